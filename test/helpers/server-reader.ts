// A raw node:net poetry reader for the server's integration tests (not the project's client, so
// a server bug cannot hide behind a client bug).

import { createHash } from 'node:crypto';
import * as net from 'node:net';

const sockets = new Set<net.Socket>();

export interface ReadResult {
  /** Every byte received (empty when `keep` was false). */
  data: Buffer;
  byteLength: number;
  /** sha256 of the bytes received, hex. */
  sha256: string;
  /** The server closed cleanly (FIN); false when the connection was reset. */
  clean: boolean;
  /** The error that ended the connection, if any (ECONNRESET when cut). */
  error: (Error & { code?: string }) | undefined;
}

export interface ReadOptions {
  /** Half-close our side as soon as connected: the server must still send the whole poem. */
  halfClose?: boolean;
  /** Keep the bytes (default true); a 256 MiB read keeps only their hash. */
  keep?: boolean;
  /** Gives up (destroying the socket) after this many ms. Default 20,000. */
  timeoutMs?: number;
  /** Called with each chunk and the socket, to throttle (pause/resume) from a test. */
  onData?: (chunk: Buffer, socket: net.Socket, received: number) => void;
  /** Called once connected. */
  onConnect?: (socket: net.Socket) => void;
}

/** Connects, reads until the server closes, and reports what came and how it ended. */
export function readPoem(
  host: string,
  port: number,
  options: ReadOptions = {},
): Promise<ReadResult> {
  const keep = options.keep ?? true;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, allowHalfOpen: true });
    sockets.add(socket);
    const parts: Buffer[] = [];
    const hash = createHash('sha256');
    let received = 0;
    let clean = false;
    let error: ReadResult['error'];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of poem from ${host}:${port} after ${received} bytes`));
    }, options.timeoutMs ?? 20_000);
    socket.once('connect', () => {
      if (options.halfClose === true) socket.end();
      options.onConnect?.(socket);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      hash.update(chunk);
      if (keep) parts.push(chunk);
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
      sockets.delete(socket);
      resolve({
        data: Buffer.concat(parts),
        byteLength: received,
        sha256: hash.digest('hex'),
        clean: clean && error === undefined,
        error,
      });
    });
  });
}

/** Connects and resolves with the socket once connected; the caller reads or not. */
export function connectRaw(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, allowHalfOpen: true });
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Destroys every socket these helpers opened (for afterEach). */
export function destroyAllReaders(): void {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
