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

/** Every peer started and not yet closed, so one call in afterEach closes them all. */
const openPeers = new Set<Peer>();

/** Registers `peer` until its `close()`. */
function track(peer: Peer): Peer {
  const close = peer.close;
  peer.close = () => {
    openPeers.delete(peer);
    return close();
  };
  openPeers.add(peer);
  return peer;
}

/** Closes every peer still open (for afterEach, or mid-test to provoke what a fetch does next). */
export async function closeAllPeers(): Promise<void> {
  const peers = [...openPeers];
  openPeers.clear();
  await Promise.all(peers.map((peer) => peer.close()));
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
  return track({
    host,
    port,
    address: peerAddress(host, port),
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
}

/** `host:port`, with an IPv6 host in brackets. */
function peerAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
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

/**
 * Sends `poem` one byte at a time, `intervalMs` apart (default 200), then closes cleanly: slower
 * than any sensible total timeout, yet never silent long enough for an idle timeout of a second.
 */
export function startTricklePeer(
  poem: string | Buffer,
  options: PeerOptions & { intervalMs?: number } = {},
): Promise<Peer> {
  return startPoetryPeer(poem, { ...options, chunkSize: 1, delayMs: options.intervalMs ?? 200 });
}

/**
 * Sends `poem` and closes in one call, so the last byte and the FIN leave together (often in
 * one segment): a client must still count the poem as whole.
 */
export function startLastByteClosePeer(
  poem: string | Buffer,
  options: PeerOptions = {},
): Promise<Peer> {
  const bytes = typeof poem === 'string' ? Buffer.from(poem) : poem;
  return startPeer((socket) => {
    socket.end(bytes, () => socket.destroy());
  }, options);
}

/**
 * Sends the whole `poem`, then resets instead of closing: every byte arrived, but nothing says
 * the poem is complete, so a client must not report it as a poem.
 */
export function startWholeThenResetPeer(
  poem: string | Buffer,
  options: PeerOptions = {},
): Promise<Peer> {
  return startResetPeer(poem, options);
}

/**
 * Node, for a peer in a process of its own: the one running the tests, or the one on the PATH
 * when Deno or Bun runs them. A peer is the fixed side of a test, whichever runtime is tested.
 */
function nodeExecutable(): string {
  const versions = process.versions as NodeJS.ProcessVersions & { bun?: string; deno?: string };
  return versions.deno === undefined && versions.bun === undefined ? process.execPath : 'node';
}

/**
 * Runs `script` (CommonJS, for `node -e`) in a child process that prints its port on the first
 * line of stdout, and returns it as a Peer whose `close()` kills the child. `args` reach the
 * script as process.argv[1…]. A peer in its own process keeps working while a test blocks this
 * process's event loop on purpose.
 */
async function startPeerProcess(
  host: string,
  script: string,
  args: readonly string[],
  onClose: () => void = () => {},
): Promise<Peer> {
  const { spawn } = await import('node:child_process');
  const child = spawn(nodeExecutable(), ['-e', script, host, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(Number(text.trim()));
    });
    child.once('exit', () => reject(new Error('the peer process exited before listening')));
  });
  return track({
    host,
    port,
    address: peerAddress(host, port),
    connections: 0,
    close: async () => {
      onClose();
      child.kill('SIGKILL');
      await exited;
    },
  });
}

// The listener of startUnacceptingPeer: listens with the smallest backlog, then blocks its
// event loop, so it never accepts (bounded: it exits by itself after argv[2] ms).
const UNACCEPTING_PEER = `
const net = require('node:net');
const server = net.createServer();
server.listen({ host: process.argv[1], port: 0, backlog: 1 }, () => {
  process.stdout.write(server.address().port + '\\n', () => {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.argv[2]));
    process.exit(0);
  });
});
`;

/**
 * A server that never accepts: its listen queue (backlog 1) is filled with connections nobody
 * takes, so a further connection attempt gets no answer at all and can only time out. The
 * listener is a child process whose event loop is blocked; `close()` kills it and the fillers.
 * It exits by itself after `lifetimeMs` (default 60,000) should a test fail to close it.
 */
export async function startUnacceptingPeer(
  options: PeerOptions & { lifetimeMs?: number } = {},
): Promise<Peer> {
  const host = options.host ?? '127.0.0.1';
  const fillers: net.Socket[] = [];
  const peer = await startPeerProcess(
    host,
    UNACCEPTING_PEER,
    [String(options.lifetimeMs ?? 60_000)],
    () => {
      for (const socket of fillers) socket.destroy();
    },
  );
  // Fill the accept queue: the kernel completes handshakes for backlog + 1 connections and
  // then drops further SYNs. A filler that never completes is simply destroyed on close.
  await Promise.all(
    Array.from(
      { length: 3 },
      () =>
        new Promise<void>((resolve) => {
          const socket = net.connect({ host, port: peer.port });
          fillers.push(socket);
          socket.on('error', () => {});
          socket.once('connect', () => resolve());
          setTimeout(resolve, 300);
        }),
    ),
  );
  return peer;
}

// The server of startResetPeerProcess: the prefix, then a reset argv[3] ms later; it exits by
// itself after a minute.
const RESET_PEER = `
const net = require('node:net');
const prefix = Buffer.from(process.argv[2], 'base64');
const server = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.write(prefix, () => setTimeout(() => socket.resetAndDestroy(), Number(process.argv[3])));
});
server.listen({ host: process.argv[1], port: 0, backlog: 4096 }, () => {
  process.stdout.write(server.address().port + '\\n');
  setTimeout(() => process.exit(0), 60000).unref();
});
`;

/**
 * As startResetPeer, but in a child process: it sends `prefix`, then resets `resetAfterMs`
 * later (default 20) even while this process's event loop is busy, so a test can have the
 * bytes and the reset both waiting when the client next reads.
 */
export function startResetPeerProcess(
  prefix: string | Buffer,
  options: PeerOptions & { resetAfterMs?: number } = {},
): Promise<Peer> {
  const bytes = typeof prefix === 'string' ? Buffer.from(prefix) : prefix;
  return startPeerProcess(options.host ?? '127.0.0.1', RESET_PEER, [
    bytes.toString('base64'),
    String(options.resetAfterMs ?? 20),
  ]);
}

/**
 * A poem meant to take over a terminal: escape sequences (OSC retitle, clear screen, colour),
 * NUL, BEL, CR, C1 controls (U+009B and the raw byte 0x9B), bidirectional overrides (U+202E,
 * U+202C) and invalid UTF-8. Piped, every byte must come through; on a terminal, none of them
 * may act.
 */
export const HOSTILE_POEM: Buffer = Buffer.concat([
  Buffer.from('title\x1b]0;owned\x07\x1b[2J\x1b[31mred\0nul\u009b31m \u202eevil\u202c\r\n'),
  Buffer.from([0x9b, 0x07, 0xff, 0xfe, 0x0a]),
]);
