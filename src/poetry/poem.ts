// A poem as received: its exact bytes, its text, where it came from and how the fetch went.

import { constants, isUtf8 } from 'node:buffer';
import type { PoemSink } from './sink.js';

/** When each step of a fetch happened, in seconds on the reactor's clock. */
export interface PoemTimings {
  /** The connection attempt started. */
  readonly startedSeconds: number;
  /** The connection was made. */
  readonly connectedSeconds: number;
  /** The first byte of the poem arrived. */
  readonly firstByteSeconds: number;
  /** The server closed the connection cleanly (and a sink, if any, was closed). */
  readonly doneSeconds: number;
}

export interface PoemInit {
  host: string;
  port: number;
  address: string;
  bytes: Buffer;
  byteLength: number;
  chunkCount: number;
  timings: PoemTimings;
  sink?: PoemSink | undefined;
}

/**
 * One complete poem: the server sent it and then closed the connection cleanly.
 *
 * When the poem was streamed to a sink, its bytes are in the sink, not here: `bytes` is empty
 * (and `text` with it) and `byteLength` says how many bytes were streamed.
 */
export class Poem {
  /**
   * The poem exactly as received (empty when it was streamed to `sink`). A view: for a big poem
   * its `buffer` is the resizable ArrayBuffer it was collected in (see `PoemBytesBuilder`).
   */
  readonly bytes: Buffer;
  /** How many bytes the server sent. */
  readonly byteLength: number;
  /** The host that was asked for (a name stays a name); a UNIX socket's path. */
  readonly host: string;
  /** The port; 0 for a UNIX socket. */
  readonly port: number;
  /** The address as the client names it (see `formatEndpoint`): `host:port`, `tls:…`, `unix:…`. */
  readonly address: string;
  /** How many `dataReceived` calls delivered the poem. */
  readonly chunkCount: number;
  readonly timings: PoemTimings;
  /** Where the bytes went, when the poem was streamed. */
  readonly sink: PoemSink | undefined;
  #text: string | undefined = undefined;

  constructor(init: PoemInit) {
    this.bytes = init.bytes;
    this.byteLength = init.byteLength;
    this.host = init.host;
    this.port = init.port;
    this.address = init.address;
    this.chunkCount = init.chunkCount;
    this.timings = init.timings;
    this.sink = init.sink;
  }

  /**
   * The poem decoded as UTF-8. Invalid sequences become U+FFFD (see `validUtf8`); the bytes were
   * joined before decoding, so a character split across chunks comes out whole.
   */
  get text(): string {
    this.#text ??= this.bytes.toString('utf8');
    return this.#text;
  }

  /**
   * False when `text` had to replace invalid UTF-8 with U+FFFD. A poem streamed to a sink holds
   * no bytes here (they are in the sink), so it says true: check the sink's copy instead.
   */
  get validUtf8(): boolean {
    return isUtf8(this.bytes);
  }

  /** Seconds from the start of the connection attempt to the clean close. */
  get elapsedSeconds(): number {
    return this.timings.doneSeconds - this.timings.startedSeconds;
  }

  toString(): string {
    return this.text;
  }
}

// ES2024's resizable ArrayBuffer (Node 20 has it), typed here while the project's lib is ES2023.
interface ResizableArrayBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
}
const ResizableArrayBuffer = ArrayBuffer as unknown as new (
  byteLength: number,
  options: { maxByteLength: number },
) => ResizableArrayBuffer;

/**
 * Past this many bytes, a poem held in memory is copied into one buffer that grows in place, so
 * its chunks become garbage as they arrive instead of all living until the final join.
 */
export const GROW_IN_PLACE_FROM_BYTES = 1024 * 1024;

/**
 * The largest poem held in memory, whatever the cap: 4 GiB, Node 20's largest Buffer. Node 22
 * and later allow far larger Buffers (2^53 - 1 bytes), but address space for a reservation that
 * large cannot be had; a bigger poem belongs in a sink.
 */
export const MAX_IN_MEMORY_BYTES = 2 ** 32;

/**
 * Past this many chunks, too: each chunk costs a Buffer object of its own (about a hundred
 * bytes), so a server dripping a byte at a time would otherwise make the size cap a limit on
 * bytes but not on memory.
 */
export const GROW_IN_PLACE_FROM_CHUNKS = 256;

/**
 * Collects a poem's chunks into the one Buffer that becomes `Poem.bytes`, never holding the poem
 * twice. Lifecycle: `append(chunk)*` then `take()` (once; the builder is empty afterwards).
 *
 * A small poem is a plain list of chunks, joined once at the end: a join of at most about
 * `GROW_IN_PLACE_FROM_BYTES` costs little, and a list reserves nothing, which matters for
 * thousands of small poems at once. Once a poem passes that size in more than one chunk, its
 * bytes move into a resizable ArrayBuffer and every later chunk is copied in as it arrives.
 * Growing a resizable ArrayBuffer commits pages inside a reservation of `maxByteLength` made up
 * front, so it never copies what it holds: peak memory is the poem plus the chunks the garbage
 * collector has not reclaimed yet, where a join of kept chunks (or a buffer that doubles) costs
 * two to three times the poem at its end. The reservation is address space, not memory: the
 * size cap, or the largest Buffer there can be when there is no cap.
 */
export class PoemBytesBuilder {
  /** The most bytes this builder can hold: the size cap, but never more than a Buffer can. */
  readonly maxBytes: number;
  #chunks: Buffer[] = [];
  #byteLength = 0;
  #store: ResizableArrayBuffer | undefined = undefined;
  /** Tracks `#store`'s length as it grows. */
  #view: Uint8Array | undefined = undefined;
  /** The reservation failed (address space ran out): stay with the chunk list. */
  #listOnly = false;

  /** `maxBytes` is the fetch's size cap (Infinity for none); a larger `append` throws. */
  constructor(maxBytes: number = Number.POSITIVE_INFINITY) {
    this.maxBytes = Math.min(maxBytes, constants.MAX_LENGTH, MAX_IN_MEMORY_BYTES);
  }

  get byteLength(): number {
    return this.#byteLength;
  }

  /**
   * Adds a chunk. Throws RangeError past `maxBytes`; the caller checks its cap first. A chunk
   * that is only `lent` (a view of a buffer that will be read into again) is copied where it
   * would otherwise be kept.
   */
  append(chunk: Buffer, lent = false): void {
    const start = this.#byteLength;
    const end = start + chunk.length;
    if (end > this.maxBytes) {
      throw new RangeError(`a poem held in memory cannot pass ${this.maxBytes} bytes`);
    }
    const store = this.#store;
    if (store !== undefined) {
      store.resize(end);
      this.#view!.set(chunk, start);
      this.#byteLength = end;
      return;
    }
    this.#byteLength = end;
    // A poem that arrives as one big chunk stays that chunk: nothing to save by copying it.
    const chunks = this.#chunks.length;
    const big = end >= GROW_IN_PLACE_FROM_BYTES || chunks >= GROW_IN_PLACE_FROM_CHUNKS;
    if (big && chunks > 0 && !this.#listOnly) {
      this.#growInPlace(chunk, lent);
      return;
    }
    this.#chunks.push(lent ? Buffer.from(chunk) : chunk);
  }

  /** The bytes so far as one Buffer; the builder is left empty. */
  take(): Buffer {
    const store = this.#store;
    const chunks = this.#chunks;
    const byteLength = this.#byteLength;
    this.#store = undefined;
    this.#view = undefined;
    this.#chunks = [];
    this.#byteLength = 0;
    // A fixed-length view: the poem's bytes, not the store's growable length.
    if (store !== undefined) return Buffer.from(store, 0, byteLength);
    if (chunks.length === 1) return chunks[0]!;
    return Buffer.concat(chunks, byteLength);
  }

  /** Drops everything held. */
  clear(): void {
    this.#store = undefined;
    this.#view = undefined;
    this.#chunks = [];
    this.#byteLength = 0;
  }

  #growInPlace(chunk: Buffer, lent: boolean): void {
    let store: ResizableArrayBuffer;
    try {
      store = new ResizableArrayBuffer(this.#byteLength, { maxByteLength: this.maxBytes });
    } catch {
      // Out of address space (thousands of big poems with no cap): a join costs more, but works.
      this.#listOnly = true;
      this.#chunks.push(lent ? Buffer.from(chunk) : chunk);
      return;
    }
    const view = new Uint8Array(store);
    let offset = 0;
    for (const kept of this.#chunks) {
      view.set(kept, offset);
      offset += kept.length;
    }
    view.set(chunk, offset);
    this.#chunks = [];
    this.#store = store;
    this.#view = view;
  }
}
