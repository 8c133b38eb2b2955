// A poem as received: its exact bytes, its text, where it came from and how the fetch went.

import { isUtf8 } from 'node:buffer';
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
  /** The poem exactly as received (empty when it was streamed to `sink`). */
  readonly bytes: Buffer;
  /** How many bytes the server sent. */
  readonly byteLength: number;
  /** The host that was asked for (a name stays a name). */
  readonly host: string;
  readonly port: number;
  /** `host:port`, IPv6 literals in brackets. */
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

  /** False when `text` had to replace invalid UTF-8 with U+FFFD. */
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
