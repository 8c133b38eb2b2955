// UNIX sockets over the TCP adapter: how their sockets are opened and accepted, and the life of
// the socket file (a stale one replaced, ours removed when the port stops).

import { lstat, unlink } from 'node:fs/promises';
import * as net from 'node:net';
import { dirname } from 'node:path';
import { unixPathTooLong } from './address.js';
import {
  AddressInUseError,
  CannotListenError,
  type ConnectError,
  ConnectionRefusedError,
  connectErrorFrom,
  describeSystemError,
  systemErrorCode,
} from './errors.js';
import type { Address, IProtocolFactory, UNIXListenOptions } from './interfaces.js';
import { type ClientSocketKind, type ServerSocketKind, type TCPOwner, TCPPort } from './tcp.js';

/**
 * A failed connection to a UNIX socket: a path with no socket file, or one nobody listens on
 * (or whose queue is full), is refused, as a TCP port with nothing behind it.
 */
export function unixConnectErrorFrom(error: unknown, address: string): ConnectError {
  const options = { address, cause: error };
  switch (systemErrorCode(error)) {
    case 'ENOENT':
      return new ConnectionRefusedError('connection refused: no socket file', options);
    case 'ECONNREFUSED':
      return new ConnectionRefusedError(
        'connection refused: nothing listens on the socket',
        options,
      );
    case 'EAGAIN':
      return new ConnectionRefusedError(
        "connection refused: the listener's queue is full",
        options,
      );
    default:
      return connectErrorFrom(error, address);
  }
}

/** How a UNIX socket connector opens its sockets: to the path, which needs no lookup. */
export const UNIX_CLIENT: ClientSocketKind = {
  open(options: net.TcpNetConnectOpts, destination: Address): net.Socket {
    // Thrown, it fails the attempt as a ConnectError naming the path.
    const tooLong = unixPathTooLong(destination.host);
    if (tooLong !== undefined) throw new Error(tooLong);
    const onread = options.onread;
    return net.connect({
      path: destination.host,
      allowHalfOpen: options.allowHalfOpen ?? false,
      ...(onread === undefined ? {} : { onread }),
    });
  },
  connectedEvent: 'connect',
  direct: () => true,
  connectError: unixConnectErrorFrom,
  label: (destination) => destination.host,
  peerIsDestination: true,
  lendsReadBuffer: true,
  resetSocket: destroyWithoutReset,
  resets: false,
};

/**
 * A UNIX stream socket has no reset: its peer sees a close as the end of the stream, whatever
 * was left unsent (Linux reports ECONNRESET instead only when the closing end left bytes unread).
 */
function destroyWithoutReset(socket: net.Socket): void {
  socket.destroy();
}

function unixServerKind(path: string): ServerSocketKind {
  return {
    createServer: (options) => net.createServer(options),
    connectionEvent: 'connection',
    listenOptions: (_port, _host, backlog) => ({ path, backlog }),
    label: () => path,
    resetSocket: destroyWithoutReset,
    resets: false,
  };
}

/**
 * Listens on the UNIX socket `path`. A socket file already there that nothing answers on is
 * stale and replaced; one that answers rejects with AddressInUseError; any other file in the
 * way rejects with CannotListenError. Node removes the file when the port stops listening.
 */
export async function listenUNIX(
  owner: TCPOwner,
  path: string,
  factory: IProtocolFactory,
  options: UNIXListenOptions = {},
): Promise<TCPPort> {
  const tooLong = unixPathTooLong(path);
  if (tooLong !== undefined)
    throw new CannotListenError(`cannot listen: ${tooLong}`, { address: path });
  const kind = unixServerKind(path);
  try {
    return await TCPPort.listen(owner, 0, factory, options, kind);
  } catch (error) {
    if (!(error instanceof AddressInUseError)) throw await withMissingDirectory(error, path);
    await removeIfStale(path, error);
    return TCPPort.listen(owner, 0, factory, options, kind);
  }
}

/**
 * libuv reports a bind in a directory that does not exist as EACCES, as Windows does: this
 * says which it was, since "permission denied" sends a user looking in the wrong place.
 */
async function withMissingDirectory(error: unknown, path: string): Promise<unknown> {
  if (!(error instanceof CannotListenError) || systemErrorCode(error.cause) !== 'EACCES') {
    return error;
  }
  const directory = dirname(path);
  try {
    await lstat(directory);
    return error;
  } catch (missing) {
    if (systemErrorCode(missing) !== 'ENOENT') return error;
    return new CannotListenError(`cannot listen: no such directory: ${directory}`, {
      address: path,
      cause: error.cause,
    });
  }
}

/** Removes the socket file at `path` if nothing answers on it; throws `inUse` if something does. */
async function removeIfStale(path: string, inUse: AddressInUseError): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch {
    return; // gone meanwhile: the second listen will tell
  }
  if (!isSocket) {
    throw new CannotListenError('cannot listen: a file that is not a socket is in the way', {
      address: path,
    });
  }
  const answer = await knock(path);
  if (answer === 'answered') {
    throw new AddressInUseError('cannot listen: socket in use (a server answers on it)', {
      address: path,
      cause: inUse.cause,
    });
  }
  if (answer !== 'stale') {
    throw new CannotListenError(`cannot listen: ${describeSystemError(answer)}`, {
      address: path,
      cause: answer,
    });
  }
  try {
    await unlink(path);
  } catch (error) {
    if (systemErrorCode(error) !== 'ENOENT') {
      throw new CannotListenError(
        `cannot remove the stale socket file: ${describeSystemError(error)}`,
        {
          address: path,
          cause: error,
        },
      );
    }
  }
}

/**
 * Connects to `path` and hangs up: 'answered' when a server is there, 'stale' when the file is
 * there and nobody listens (or it has just gone), or the error that says neither. A UNIX
 * connect is answered at once, so this waits for no timer.
 */
function knock(path: string): Promise<'answered' | 'stale' | Error> {
  return new Promise((resolve) => {
    const socket = net.connect({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve('answered');
    });
    socket.once('error', (error) => {
      const code = systemErrorCode(error);
      // A full queue means a server is there, only busy.
      if (code === 'EAGAIN') resolve('answered');
      else resolve(code === 'ECONNREFUSED' || code === 'ENOENT' ? 'stale' : error);
    });
  });
}
