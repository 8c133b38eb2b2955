// Misbehaving poetry readers on raw node:net, for the fault tests of the server (and the soak).

import * as net from 'node:net';

/** How a reader misbehaves. */
export type ReaderKind =
  /** Reads the whole poem like a good reader: the control group. */
  | 'whole'
  /** Reads the first chunk, then closes its side and goes away. */
  | 'disconnect-after-first-chunk'
  /** Reads the first chunk, then resets the connection (RST). */
  | 'reset-mid-poem'
  /** Half-closes (FIN) as soon as it connects, then reads the whole poem. */
  | 'half-close-at-once'
  /** Never reads: the poem piles up in the kernel until the server must hold off. */
  | 'never-read'
  /** Connects and does nothing at all, neither reading nor writing, until it is closed. */
  | 'connect-and-idle'
  /** Sends data the whole time it reads (the server must drop it and still send the poem). */
  | 'send-data';

export const READER_KINDS: readonly ReaderKind[] = [
  'whole',
  'disconnect-after-first-chunk',
  'reset-mid-poem',
  'half-close-at-once',
  'never-read',
  'connect-and-idle',
  'send-data',
];

/** How one reader's connection ended. */
export interface ReaderOutcome {
  kind: ReaderKind;
  /** The bytes read (never-read and connect-and-idle read none). */
  data: Buffer;
  /** The server ended the connection with a FIN, not a reset. */
  endedByServer: boolean;
  /** The socket error code, if the connection ended with one. */
  errorCode: string | undefined;
}

export interface HostileReader {
  readonly kind: ReaderKind;
  readonly socket: net.Socket;
  /** Resolves when the connection has closed, however it closed. */
  readonly done: Promise<ReaderOutcome>;
  /** Destroys the connection now (for the readers that would otherwise hold it forever). */
  close(): void;
}

const open = new Set<net.Socket>();

/** Junk a send-data reader sends: bytes of every value, as a hostile client might. */
const JUNK = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff));

/** Starts one reader of `kind` against `host:port`. */
export function startReader(kind: ReaderKind, host: string, port: number): HostileReader {
  const socket = net.connect({ host, port, allowHalfOpen: true });
  open.add(socket);
  const parts: Buffer[] = [];
  let endedByServer = false;
  let errorCode: string | undefined;
  let junkTimer: NodeJS.Timeout | undefined;

  socket.on('error', (error: NodeJS.ErrnoException) => {
    errorCode ??= error.code ?? error.message;
  });
  socket.on('end', () => {
    endedByServer = true;
    if (!socket.writableEnded) socket.end();
  });
  socket.once('connect', () => {
    switch (kind) {
      case 'half-close-at-once':
        socket.end();
        break;
      case 'never-read':
      case 'connect-and-idle':
        socket.pause();
        break;
      case 'send-data': {
        const send = (): void => {
          if (socket.destroyed || socket.writableEnded) return;
          // Respect our own buffer: the point is to test the server, not to fill our memory.
          if (socket.writableLength < 64 * 1024) socket.write(JUNK);
          junkTimer = setTimeout(send, 5);
        };
        send();
        break;
      }
      default:
        break;
    }
  });
  if (kind !== 'never-read' && kind !== 'connect-and-idle') {
    socket.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      if (parts.length !== 1) return;
      if (kind === 'disconnect-after-first-chunk') {
        socket.end();
        socket.destroy();
      } else if (kind === 'reset-mid-poem') {
        socket.resetAndDestroy();
      }
    });
  }
  const done = new Promise<ReaderOutcome>((resolve) => {
    socket.once('close', () => {
      clearTimeout(junkTimer);
      open.delete(socket);
      resolve({ kind, data: Buffer.concat(parts), endedByServer, errorCode });
    });
  });
  return { kind, socket, done, close: () => socket.destroy() };
}

/** Waits until `reader` is connected (or its connection failed). */
export function whenConnected(reader: HostileReader): Promise<void> {
  if (!reader.socket.connecting) return Promise.resolve();
  return new Promise((resolve) => {
    reader.socket.once('connect', () => resolve());
    reader.socket.once('close', () => resolve());
  });
}

/** Destroys every reader still open (for afterEach). */
export function destroyHostileReaders(): void {
  for (const socket of open) socket.destroy();
  open.clear();
}
