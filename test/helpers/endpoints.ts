// Raw readers over TCP, TLS and UNIX sockets (node:net and node:tls, not the project's client, so a
// server bug cannot hide behind a client bug), and poetry-server processes on any transport.

import * as net from 'node:net';
import * as tls from 'node:tls';
import { type Endpoint, parseAddress } from '../../src/poetry/address.js';
import { ServerProcess } from './server-process.js';

const sockets = new Set<net.Socket>();

/** How a raw reader reaches a server: the endpoint, and the CA a TLS one is checked against. */
export interface Target {
  endpoint: Endpoint;
  /** PEM of the CA to trust for a TLS endpoint. */
  ca?: string | Buffer;
}

/**
 * Opens a socket to `target` (half-open allowed, but over TLS, whose socket has no such option);
 * a TLS socket checks the server against `ca`. `ready` is 'secureConnect' for TLS, 'connect' else.
 */
export function openSocket(target: Target): { socket: net.Socket; ready: string } {
  const { endpoint } = target;
  let socket: net.Socket;
  let ready = 'connect';
  if (endpoint.transport === 'unix') {
    socket = net.connect({ path: endpoint.path, allowHalfOpen: true });
  } else if (endpoint.transport === 'tls') {
    const servername = net.isIP(endpoint.host) === 0 ? endpoint.host : undefined;
    socket = tls.connect({
      host: endpoint.host,
      port: endpoint.port,
      servername,
      ca: target.ca,
    });
    ready = 'secureConnect';
  } else {
    socket = net.connect({ host: endpoint.host, port: endpoint.port, allowHalfOpen: true });
  }
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
  return { socket, ready };
}

/** Connects (and, over TLS, finishes the handshake); resolves with the socket. */
export function connectTo(target: Target): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const { socket, ready } = openSocket(target);
    socket.once(ready, () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export interface EndpointRead {
  data: Buffer;
  /** The server ended the stream cleanly (and, over TLS, with its close_notify). */
  clean: boolean;
  error: (Error & { code?: string }) | undefined;
}

export interface EndpointReadOptions {
  /** Called once connected (after the handshake over TLS). */
  onConnect?: (socket: net.Socket) => void;
  /** Called with each chunk, to pause and resume from a test. */
  onData?: (chunk: Buffer, socket: net.Socket, received: number) => void;
  /** Gives up after this many ms (the promise rejects). Default 20,000. */
  timeoutMs?: number;
}

/** Reads from `target` until the server closes; what came and how it ended. */
export function readFrom(target: Target, options: EndpointReadOptions = {}): Promise<EndpointRead> {
  return new Promise((resolve, reject) => {
    const { socket, ready } = openSocket(target);
    const parts: Buffer[] = [];
    let received = 0;
    let clean = false;
    let error: EndpointRead['error'];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of poem after ${received} bytes`));
    }, options.timeoutMs ?? 20_000);
    socket.once(ready, () => options.onConnect?.(socket));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      parts.push(chunk);
      options.onData?.(chunk, socket, received);
    });
    socket.on('end', () => {
      clean = true;
      if (!socket.writableEnded) socket.end();
    });
    socket.on('error', (e) => {
      error = e;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(parts), clean: clean && error === undefined, error });
    });
  });
}

/** Destroys every socket these helpers opened (for afterEach). */
export function destroyEndpointSockets(): void {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
}

const SERVING = /^Serving (.*) on (\S+)$/;

/**
 * Starts poetry-server with `args` and resolves once it prints `Serving FILE on ADDRESS`, with
 * ADDRESS read by the client's own parser (so the line is one get-poetry takes).
 */
export async function startServing(
  args: string[],
): Promise<ServerProcess & { address: string; endpoint: Endpoint }> {
  const server = new ServerProcess(args);
  const first = await server.waitForLine(() => true, 'its first line');
  const match = SERVING.exec(first);
  if (match === null) throw new Error(`unexpected first line: ${first}`);
  const address = match[2]!;
  return Object.assign(server, { address, endpoint: parseAddress(address) });
}
