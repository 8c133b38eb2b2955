// Drives the poetry server in memory: a factory on a MemoryReactor, readers on MemoryTransports,
// a recording logger, and a disk whose reads complete only when the test says so.

import { expect } from 'vitest';
import type { Address } from '../../src/internet/interfaces.js';
import {
  PoetryServerFactory,
  type PoetryServerOptions,
  type PoetryServerProtocol,
  type ServerLogger,
} from '../../src/poetry/server.js';
import {
  type BlockReader,
  BufferPoemSource,
  FilePoemSource,
  type PoemSource,
} from '../../src/poetry/server-source.js';
import { MemoryReactor } from '../../src/testing/memory-reactor.js';
import { MemoryTransport } from '../../src/testing/memory-transport.js';

/** A logger that keeps its lines: `info` and `reader` apart, and `all` in order. */
export class RecordingLogger implements ServerLogger {
  readonly infoLines: string[] = [];
  readonly readerLines: string[] = [];
  readonly all: string[] = [];

  info = (line: string): void => {
    this.infoLines.push(line);
    this.all.push(line);
  };

  reader = (line: string): void => {
    this.readerLines.push(line);
    this.all.push(line);
  };
}

export interface MemoryReader {
  protocol: PoetryServerProtocol;
  transport: MemoryTransport;
}

/** A poetry server factory on a fake reactor; `connect` makes a reader. */
export class MemoryPoetryServer {
  readonly reactor = new MemoryReactor();
  readonly logger = new RecordingLogger();
  readonly factory: PoetryServerFactory;
  #nextPort = 50000;

  constructor(poem: PoemSource | string | Uint8Array, options: PoetryServerOptions = {}) {
    const source =
      typeof poem === 'string' || poem instanceof Uint8Array ? new BufferPoemSource(poem) : poem;
    // No stall watchdog unless a test asks: it would be one more pending call to account for.
    this.factory = new PoetryServerFactory(this.reactor, source, {
      stallTimeout: 0,
      logger: this.logger,
      ...options,
    });
  }

  /** A reader connects now. */
  connect(peer: Address = { host: '127.0.0.1', port: this.#nextPort++ }): MemoryReader {
    const transport = new MemoryTransport({ peer });
    const protocol = this.factory.buildProtocol(peer);
    if (protocol === null) throw new Error('the factory refused the reader');
    protocol.makeConnection(transport);
    return { protocol, transport };
  }
}

/** The byte count of every write, in order. */
export function writeSizes(transport: MemoryTransport): number[] {
  return transport.written.map((chunk) => chunk.length);
}

/** Lets promise callbacks (a completed disk read) run; no time passes. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface PendingRead {
  position: number;
  length: number;
  resolve: (data: Buffer) => void;
  reject: (error: unknown) => void;
}

/** A BlockReader over a Buffer whose reads wait until `complete` or `fail`. */
export class ManualDisk implements BlockReader {
  readonly pending: PendingRead[] = [];
  readonly reads: { position: number; length: number }[] = [];
  closed = false;
  content: Buffer;

  constructor(content: Buffer) {
    this.content = content;
  }

  read(position: number, length: number): Promise<Buffer> {
    this.reads.push({ position, length });
    return new Promise((resolve, reject) => {
      this.pending.push({ position, length, resolve, reject });
    });
  }

  /** Completes the oldest pending read with the content's bytes, then lets callbacks run. */
  async complete(): Promise<void> {
    const read = this.pending.shift();
    if (read === undefined) throw new Error('no read is pending');
    read.resolve(Buffer.from(this.content.subarray(read.position, read.position + read.length)));
    await settle();
  }

  /** Completes every read, including those the completions start, until none is pending. */
  async completeAll(): Promise<void> {
    while (this.pending.length > 0) await this.complete();
  }

  /** Fails the oldest pending read. */
  async fail(error: unknown): Promise<void> {
    const read = this.pending.shift();
    if (read === undefined) throw new Error('no read is pending');
    read.reject(error);
    await settle();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A server of `poem` as a file too large to hold in memory: read in blocks from a ManualDisk. */
export function serveFromDisk(
  poem: Buffer,
  options: PoetryServerOptions = {},
): { server: MemoryPoetryServer; disk: ManualDisk } {
  const disk = new ManualDisk(poem);
  const server = new MemoryPoetryServer(new FilePoemSource(disk, poem.length, 'big.bin'), options);
  return { server, disk };
}

/** Deterministic bytes of every value, `length` long. */
export function binaryPoem(length: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    // xorshift32: cheap, deterministic, and it covers all 256 byte values.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

/** Asserts two byte strings are equal without vitest's slow element-by-element diff. */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(actual, expected)).toBe(0);
}
