// The timeline of a fetch: typed events with reactor-clock timestamps, for progress and timelines.

import type { PoetryNowError } from '../internet/errors.js';

interface FetchEventBase {
  /** Tells the fetches of one batch apart: the address's position in the list (from 0). */
  readonly index: number;
  /** `host:port` being fetched. */
  readonly address: string;
  /** When it happened, in seconds on the reactor's clock (`reactor.seconds()`). */
  readonly seconds: number;
}

/** The fetch waits for a concurrency slot (or, after running out of file descriptors, again). */
export interface QueuedEvent extends FetchEventBase {
  readonly type: 'queued';
}

/** The connection attempt started. */
export interface ConnectingEvent extends FetchEventBase {
  readonly type: 'connecting';
}

/** The connection was made. */
export interface ConnectedEvent extends FetchEventBase {
  readonly type: 'connected';
}

/** The first byte of the poem arrived (just before its `chunk` event). */
export interface FirstByteEvent extends FetchEventBase {
  readonly type: 'firstByte';
}

/** A chunk of the poem arrived. */
export interface ChunkEvent extends FetchEventBase {
  readonly type: 'chunk';
  /** Bytes in this chunk. */
  readonly bytes: number;
  /** Bytes received so far, this chunk included. */
  readonly totalBytes: number;
}

/** The poem is complete; the callback is about to get it. */
export interface DoneEvent extends FetchEventBase {
  readonly type: 'done';
  /** Bytes in the whole poem. */
  readonly bytes: number;
}

/** The fetch failed (or was cancelled); the errback is about to get `error`. */
export interface FailedEvent extends FetchEventBase {
  readonly type: 'failed';
  /** Its `code` says why (`ERR_CANCELLED` for a cancel). */
  readonly error: PoetryNowError;
}

/**
 * A try failed for a passing reason (see `isRetryable`) and the fetch will connect again after
 * `delaySeconds`; what the failed try received is dropped, and the poem is fetched whole.
 */
export interface RetryingEvent extends FetchEventBase {
  readonly type: 'retrying';
  /** The try that comes next, from 2 (the first try is 1). */
  readonly attempt: number;
  /** The most tries the fetch may make: its retries plus one. */
  readonly maxAttempts: number;
  /** The wait before the next try, in seconds. */
  readonly delaySeconds: number;
  /** Why the last try failed. */
  readonly error: PoetryNowError;
}

/**
 * One step of one fetch. A fetch's events come in this order:
 *
 *   queued? → (connecting → (connected → (firstByte → chunk+)?)? → retrying)*
 *           → connecting → (connected → (firstByte → chunk+)?)? → done | failed
 *
 * `queued` comes only from the queued APIs (fetchPoems, poemsAsCompleted, poetryMain), and again
 * before a retry when the process ran out of file descriptors. `retrying` comes only with the
 * `retries` option. Exactly one of `done` and `failed` ends every fetch.
 */
export type FetchEvent =
  | QueuedEvent
  | ConnectingEvent
  | ConnectedEvent
  | FirstByteEvent
  | ChunkEvent
  | DoneEvent
  | FailedEvent
  | RetryingEvent;

/**
 * Told about every step of a fetch. It runs inside the fetch's own event handling, once per chunk
 * for `chunk` events, so it should be quick; an exception it throws is reported, not raised.
 */
export type FetchEventListener = (event: FetchEvent) => void;
