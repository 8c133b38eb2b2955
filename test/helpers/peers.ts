// Poetry peers for loopback tests: well-behaved and misbehaving servers on node:net, port 0.

import * as net from 'node:net';

/** A server started by one of the helpers below. Always `close()` it in teardown. */
export interface Peer {
  readonly host: string;
  readonly port: number;
  /** `host:port` as the client's address argument (IPv6 in brackets). */
  readonly address: string;
  /** How many connections it has accepted so far. */
  readonly connections: number;
  /** Stops listening and destroys every connection still open. */
  close(): Promise<void>;
}

export interface PeerOptions {
  /** Where to listen. Default 127.0.0.1. */
  host?: string;
}

/**
 * Listens on `host`, port 0, and hands each connection to `onConnection`; tracks sockets so
 * `close()` leaves nothing open. A socket error (the client resetting) is expected, not fatal.
 */
export async function startPeer(
  onConnection: (socket: net.Socket) => void,
  options: PeerOptions = {},
): Promise<Peer> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  // The default backlog (511) drops SYNs under a burst of thousands of connects.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host,
    port,
    address: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface PoetryPeerOptions extends PeerOptions {
  /** Send the poem in writes of at most this many bytes. Default: all at once. */
  chunkSize?: number;
  /** Wait this many milliseconds between writes. Default 0 (write as fast as the socket takes). */
  delayMs?: number;
}

/** A well-behaved poetry server: sends `poem` (optionally in slow pieces), then closes cleanly. */
export function startPoetryPeer(
  poem: string | Buffer,
  options: PoetryPeerOptions = {},
): Promise<Peer> {
  const bytes = typeof poem === 'string' ? Buffer.from(poem) : poem;
  const chunkSize = options.chunkSize ?? bytes.length;
  const delayMs = options.delayMs ?? 0;
  return startPeer((socket) => {
    if (delayMs === 0 && chunkSize >= bytes.length) {
      socket.end(bytes);
      return;
    }
    let offset = 0;
    const next = (): void => {
      if (socket.destroyed) return;
      if (offset >= bytes.length) {
        socket.end();
        return;
      }
      socket.write(bytes.subarray(offset, offset + chunkSize));
      offset += chunkSize;
      setTimeout(next, delayMs);
    };
    next();
  }, options);
}

/** Sends `prefix`, then resets the connection (RST): the poem is cut off mid-way. */
export function startResetPeer(prefix: string | Buffer, options: PeerOptions = {}): Promise<Peer> {
  return startPeer((socket) => {
    socket.write(prefix, () => {
      // Give the bytes a moment to reach the client before the reset overtakes them.
      setTimeout(() => socket.resetAndDestroy(), 20);
    });
  }, options);
}

/** Accepts and closes cleanly without sending a byte. */
export function startEmptyPeer(options: PeerOptions = {}): Promise<Peer> {
  return startPeer((socket) => socket.end(), options);
}

/**
 * Sends forever (64 KiB at a time, as fast as the client reads) until the client goes away:
 * for size caps. It respects backpressure, so it never buffers without bound itself.
 */
export function startFloodPeer(options: PeerOptions = {}): Promise<Peer> {
  const block = Buffer.alloc(64 * 1024, 'All work and no play makes Jack a dull boy.\n');
  return startPeer((socket) => {
    const pump = (): void => {
      while (!socket.destroyed && socket.write(block)) {
        // keep writing until the socket buffer is full
      }
    };
    socket.on('drain', pump);
    pump();
  }, options);
}

/** Accepts and then says nothing, ever: for idle and total timeouts and for Ctrl-C. */
export function startBlackholePeer(options: PeerOptions = {}): Promise<Peer> {
  return startPeer(() => {}, options);
}

/**
 * A port that nothing listens on: one that was just bound and released. Another process could
 * take it in between, but on loopback within a test that is vanishingly rare.
 */
export async function refusedPort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen({ host, port: 0 }, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether this machine can listen on ::1. */
export async function hasIPv6Loopback(): Promise<boolean> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '::1', port: 0 }, resolve);
    });
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}
