// The tutorial's callback client (PoetryProtocol, PoetryClientFactory, getPoetry), made correct.

import { formatAddress } from '../internet/address.js';
import {
  asPoetryError,
  ConnectionDone,
  connectErrorFrom,
  connectionLostFrom,
  type PoetryNowError,
  UserCancelledError,
} from '../internet/errors.js';
import type {
  Address,
  ConnectOptions,
  IConnector,
  IDelayedCall,
  IReactor,
  PEM,
} from '../internet/interfaces.js';
import { checkByteLimit, checkTimeout } from '../internet/limits.js';
import { ClientFactory, Protocol } from '../internet/protocol.js';
import { DEFAULT_CONNECT_TIMEOUT_SECONDS, reactor as sharedReactor } from '../internet/reactor.js';
import { TIMER_SLACK_SECONDS } from '../internet/timer-queue.js';
import type { Endpoint } from './address.js';
import { DEFAULT_IDLE_TIMEOUT_SECONDS, DEFAULT_MAX_BYTES, READ_BUFFER_BYTES } from './defaults.js';
import { deliver } from './deliver.js';
import {
  EmptyPoemError,
  IdleTimeoutError,
  PoemIncompleteError,
  PoemSinkError,
  PoemTimeoutError,
  PoemTooLargeError,
  reasonOf,
} from './errors.js';
import type { FetchEvent, FetchEventListener } from './events.js';
import { Poem, PoemBytesBuilder } from './poem.js';
import {
  checkRetryOptions,
  isRetryable,
  type RetryOptions,
  type RetrySettings,
  retryDelaySeconds,
} from './retry.js';
import type { PoemSink } from './sink.js';
import { formatBytes } from './size.js';

/** How long a fetch may take. Every value is in seconds; 0 or Infinity turns a limit off. */
export interface PoemTimeouts {
  /** From the start of the attempt until the connection is made. Default 30 s. */
  connectSeconds?: number;
  /** Between the connection being made or the last byte and the next byte. Default 60 s. */
  idleSeconds?: number;
  /** From the start of the attempt until the poem is complete. Default: no limit. */
  totalSeconds?: number;
}

/** The options every fetching API takes. */
export interface PoetryClientOptions {
  /** The reactor to connect and keep time with. Default: the shared `reactor`. */
  reactor?: IReactor;
  timeouts?: PoemTimeouts;
  /**
   * The largest poem accepted, in bytes; a larger one aborts the connection with
   * `PoemTooLargeError`. 0 or Infinity for no cap. Default: 64 MiB for a poem held in memory;
   * no cap for one streamed to a `sink`, which is how a poem too big for memory is fetched (the
   * timeouts still bound it; give `maxBytes` to cap what a hostile server may write to disk).
   * Given or not, a poem held in memory is also limited to what one Buffer can hold (see
   * `PoemBytesBuilder.maxBytes`).
   */
  maxBytes?: number;
  /** Stream the poem here instead of holding it in memory (see `PoemSink`). */
  sink?: PoemSink;
  /** Told about every step of the fetch (see `FetchEvent`). Nothing is built when it is unset. */
  onEvent?: FetchEventListener;
  /** Copied into every event, so one listener can tell many fetches apart. Default 0. */
  index?: number;
  /** Cancels the fetch: the errback gets `UserCancelledError` and the connection is closed. */
  signal?: AbortSignal;
  /**
   * Tries a fetch that failed for a passing reason again, refetching the poem whole: a number of
   * retries (with the default waits: 0.5 s, doubling, up to 10 s, ±10 %), or `RetryOptions`.
   * Default 0. What is retried: see `isRetryable`; `timeouts.totalSeconds` bounds all tries
   * together, and a `sink` is started afresh for each (see `PoemSink`).
   */
  retries?: number | RetryOptions;
  /** How a `tls:` address's server is checked; plain TCP and UNIX addresses ignore it. */
  tls?: PoetryTLSOptions;
}

/**
 * The trust of a TLS fetch. By default the server's certificate must chain to a CA Node trusts
 * and name the host asked for (see `TLSConnectOptions`).
 */
export interface PoetryTLSOptions {
  /** Trust these CAs (PEM, one certificate or several) instead of the default ones. */
  ca?: PEM;
  /** Check nothing: the poem is encrypted on its way, but the server may be anyone. */
  insecure?: boolean;
}

/** Gets the poem; called at most once per fetch. */
export type PoemCallback = (poem: Poem) => void;
/**
 * Gets the reason a fetch failed; called at most once per fetch, and never with a callback. The
 * reason is always a `PoetryNowError`, so its `code` tells failures apart without a cast.
 */
export type PoemErrback = (error: PoetryNowError) => void;

/** The limits of a fetch, checked and defaulted. */
export interface ClientLimits {
  /** Seconds; 0 for none. */
  connectTimeoutSeconds: number;
  /** Seconds; 0 for none. */
  idleTimeoutSeconds: number;
  /** Seconds; 0 for none. */
  totalTimeoutSeconds: number;
  /** Bytes; Infinity for none. */
  maxBytes: number;
  retry: RetrySettings;
}

/**
 * Checks and defaults the timeouts and size cap of `options` (see `checkTimeout` and
 * `checkByteLimit`: 0 or Infinity turns a limit off). Throws RangeError naming the option for a
 * negative, NaN or non-number one. Every fetching API checks its options here, once, before it
 * connects anywhere. `streamed`: the poems go to sinks (no size cap by default).
 */
export function checkClientOptions(
  options: PoetryClientOptions,
  streamed = options.sink !== undefined,
): ClientLimits {
  const timeouts = options.timeouts ?? {};
  return {
    connectTimeoutSeconds: checkTimeout(
      timeouts.connectSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS,
      'timeouts.connectSeconds',
    ),
    idleTimeoutSeconds: checkTimeout(
      timeouts.idleSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS,
      'timeouts.idleSeconds',
    ),
    totalTimeoutSeconds: checkTimeout(timeouts.totalSeconds ?? 0, 'timeouts.totalSeconds'),
    maxBytes: checkByteLimit(options.maxBytes ?? (streamed ? 0 : DEFAULT_MAX_BYTES), 'maxBytes'),
    retry: checkRetryOptions(options.retries),
  };
}

/**
 * One fetch of a batch whose fetches share their options (`PoetryQueue`'s): the options' limits,
 * checked once for the batch, and what is the fetch's own, which would otherwise take a copy of
 * the options per fetch.
 */
export interface BatchFetch {
  limits: ClientLimits;
  /** In place of `PoetryClientOptions.index`. */
  index: number;
  /** In place of `PoetryClientOptions.sink`; `limits` must have been checked with it. */
  sink: PoemSink | undefined;
}

let sharedReadBuffer: Buffer | undefined;

/**
 * Where every fetch that keeps nothing it is lent reads into, one read at a time (see
 * `ConnectOptions.readBuffer`): no allocation per read, and big reads for big poems.
 */
function readBuffer(): Buffer {
  sharedReadBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  return sharedReadBuffer;
}

/**
 * Collects one poem from one connection, as the tutorial's PoetryProtocol, but only a clean
 * close completes a poem. Lifecycle, after the transport's own (see `Protocol`):
 *
 *   connectionMade      the idle timer starts; a sink, if any, is started
 *   dataReceived*       each chunk is kept (or streamed to the sink), counted and capped
 *   connectionLost      clean, with bytes: poemReceived(poem) → factory.poemFinished(poem)
 *                       otherwise: factory.poemFailed(PoemIncompleteError or EmptyPoemError)
 *
 * A timeout or the size cap aborts the connection and calls `factory.poemFailed` at once; the
 * `connectionLost` that follows changes nothing. The protocol never stops the reactor.
 */
export class PoetryProtocol extends Protocol {
  declare factory: PoetryClientFactory | undefined;
  /** The poem's bytes, when it is held in memory (no sink). */
  #bytes: PoemBytesBuilder | undefined = undefined;
  #byteLength = 0;
  #chunkCount = 0;
  /** The outcome is decided: the poem was handed on, or the fetch failed. */
  #settled = false;
  /** The server closed cleanly and the sink is being closed. */
  #closing = false;
  /** Reading is paused because the sink is full. */
  #paused = false;
  #connectedSeconds = Number.NaN;
  #firstByteSeconds = Number.NaN;
  #lastByteSeconds = 0;
  #idleCall: IDelayedCall | undefined = undefined;
  // Copied from the factory in connectionMade, to keep dataReceived to a few field reads.
  #reactor: IReactor = sharedReactor;
  #maxBytes = DEFAULT_MAX_BYTES;
  #idleSeconds = 0;
  #sink: PoemSink | undefined = undefined;
  #onEvent: FetchEventListener | undefined = undefined;

  override connectionMade(): void {
    const factory = this.#factory();
    this.#reactor = factory.reactor;
    this.#idleSeconds = factory.idleTimeoutSeconds;
    this.#sink = factory.sink;
    if (this.#sink === undefined) {
      this.#bytes = new PoemBytesBuilder(factory.maxBytes);
      // A poem held in memory must also fit in one Buffer, cap or no cap.
      this.#maxBytes = this.#bytes.maxBytes;
    } else {
      this.#maxBytes = factory.maxBytes;
    }
    this.#onEvent = factory.onEvent;
    this.#connectedSeconds = this.#reactor.seconds();
    factory.protocolConnected(this, this.#connectedSeconds);
    if (this.#idleSeconds > 0) {
      this.#lastByteSeconds = this.#connectedSeconds;
      this.#idleCall = this.#reactor.callLater(this.#idleSeconds, this.#onIdleTimer);
    }
    const sink = this.#sink;
    if (sink !== undefined) {
      try {
        sink.start({
          resume: () => this.#resumeReading(),
          fail: (error) => this.#sinkFailed(error),
        });
      } catch (error) {
        this.#sinkFailed(error);
      }
    }
  }

  override dataReceived(data: Buffer): void {
    if (this.#settled || data.length === 0) return;
    const total = this.#byteLength + data.length;
    if (total > this.#maxBytes) {
      const factory = this.#factory();
      this.#fail(
        new PoemTooLargeError(`the poem is larger than the ${formatBytes(this.#maxBytes)} cap`, {
          address: factory.address,
          maxBytes: this.#maxBytes,
        }),
      );
      return;
    }
    if (this.#chunkCount === 0) this.#firstByte();
    this.#byteLength = total;
    this.#chunkCount++;
    if (this.#idleSeconds > 0) this.#lastByteSeconds = this.#reactor.seconds();
    const bytes = this.#bytes;
    const sink = this.#sink;
    if (bytes !== undefined) {
      // Lent: the connection may be reading into a shared buffer (see `borrowsData`).
      bytes.append(data, true);
    } else if (sink !== undefined && !this.#write(sink, data) && !this.#paused && !this.#settled) {
      this.#paused = true;
      this.transport?.pauseProducing();
    }
    // The sink may have failed the fetch (thrown, or called `fail` at once): `failed` was last.
    if (this.#settled) return;
    if (this.#onEvent !== undefined) {
      this.#emit({
        type: 'chunk',
        index: this.#factory().index,
        address: this.#factory().address,
        seconds: this.#reactor.seconds(),
        bytes: data.length,
        totalBytes: total,
      });
    }
  }

  override connectionLost(reason: Error): void {
    super.connectionLost(reason);
    this.#cancelIdleTimer();
    if (this.#settled || this.#closing) return;
    const address = this.#factory().address;
    if (!(reason instanceof ConnectionDone)) {
      const partial = this.#bytes?.take();
      this.#fail(
        new PoemIncompleteError(
          `${reasonOf(reason)} after ${this.#byteLength} bytes; the poem is incomplete`,
          { address, cause: reason, partial, bytesReceived: this.#byteLength },
        ),
      );
      return;
    }
    if (this.#byteLength === 0) {
      this.#fail(
        new EmptyPoemError('the server closed the connection without sending a poem', {
          address,
        }),
      );
      return;
    }
    const sink = this.#sink;
    if (sink === undefined) {
      this.#settled = true;
      this.poemReceived(this.#makePoem(this.#bytes?.take() ?? Buffer.alloc(0)));
      return;
    }
    this.#closing = true;
    const finished = (error?: unknown): void => {
      if (this.#settled) return; // failed (a total timeout, a cancel) while the sink closed
      if (error !== undefined) {
        this.#fail(
          new PoemSinkError(`cannot finish the poem: ${reasonOf(error)}`, {
            address,
            cause: error,
          }),
        );
        return;
      }
      this.#settled = true;
      this.poemReceived(this.#makePoem(Buffer.alloc(0)));
    };
    try {
      sink.close(finished);
    } catch (error) {
      // Else the fetch would wait for a `done` that never comes.
      finished(error ?? new Error('PoemSink.close threw'));
    }
  }

  /** Hands the complete poem to the factory, as the tutorial's protocol does. */
  poemReceived(poem: Poem): void {
    this.#factory().poemFinished(poem);
  }

  /**
   * Gives up the poem because the factory failed the fetch (a total timeout, a cancel): aborts
   * the connection and the sink, without telling the factory again.
   */
  abort(reason: Error): void {
    this.#settle(reason);
  }

  /** Bytes received so far. */
  get byteLength(): number {
    return this.#byteLength;
  }

  #fail(error: PoetryNowError): void {
    if (this.#settle(error)) this.#factory().poemFailed(error);
  }

  /** Decides the outcome is a failure and releases everything; false if already decided. */
  #settle(reason: Error): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#cancelIdleTimer();
    this.#bytes?.clear();
    const sink = this.#sink;
    if (sink !== undefined) {
      try {
        sink.abort(reason);
      } catch (error) {
        this.#reactor.reportError(error, 'PoemSink.abort');
      }
    }
    if (this.connected) this.transport?.abortConnection();
    return true;
  }

  #firstByte(): void {
    this.#firstByteSeconds = this.#reactor.seconds();
    if (this.#onEvent !== undefined) {
      const factory = this.#factory();
      this.#emit({
        type: 'firstByte',
        index: factory.index,
        address: factory.address,
        seconds: this.#firstByteSeconds,
      });
    }
  }

  #makePoem(bytes: Buffer): Poem {
    const factory = this.#factory();
    const destination = factory.destination ?? { host: '', port: 0 };
    const unix = destination.transport === 'unix';
    return new Poem({
      host: unix ? destination.path : destination.host,
      port: unix ? 0 : destination.port,
      address: factory.address,
      bytes,
      byteLength: this.#byteLength,
      chunkCount: this.#chunkCount,
      sink: this.#sink,
      timings: {
        startedSeconds: factory.startedSeconds,
        connectedSeconds: this.#connectedSeconds,
        firstByteSeconds: this.#firstByteSeconds,
        doneSeconds: this.#reactor.seconds(),
      },
    });
  }

  #resumeReading(): void {
    if (!this.#paused || this.#settled) return;
    this.#paused = false;
    // Time spent waiting for the sink was not the server's silence.
    this.#lastByteSeconds = this.#reactor.seconds();
    this.transport?.resumeProducing();
  }

  /** A sink that throws fails the fetch as one that calls `fail`: with PoemSinkError. */
  #write(sink: PoemSink, data: Buffer): boolean {
    try {
      return sink.write(data);
    } catch (error) {
      this.#sinkFailed(error);
      return true;
    }
  }

  #sinkFailed(error: unknown): void {
    const address = this.#factory().address;
    this.#fail(
      new PoemSinkError(`cannot store the poem: ${reasonOf(error)}`, { address, cause: error }),
    );
  }

  /**
   * Checking a timestamp when the timer fires, instead of resetting the timer for every chunk,
   * keeps timer work off the per-chunk path.
   */
  readonly #onIdleTimer = (): void => {
    this.#idleCall = undefined;
    if (this.#settled || this.#closing) return;
    const idle = this.#idleSeconds;
    const now = this.#reactor.seconds();
    if (this.#paused) {
      this.#idleCall = this.#reactor.callLater(idle, this.#onIdleTimer);
      return;
    }
    const left = this.#lastByteSeconds + idle - now;
    if (left > TIMER_SLACK_SECONDS) {
      this.#idleCall = this.#reactor.callLater(left, this.#onIdleTimer);
      return;
    }
    this.#fail(
      new IdleTimeoutError(`no data for ${idle} s`, {
        address: this.#factory().address,
        bytesReceived: this.#byteLength,
      }),
    );
  };

  #cancelIdleTimer(): void {
    const call = this.#idleCall;
    this.#idleCall = undefined;
    if (call?.active()) call.cancel();
  }

  #emit(event: FetchEvent): void {
    this.#factory().emit(event);
  }

  #factory(): PoetryClientFactory {
    const factory = this.factory;
    if (factory === undefined) throw new Error('a PoetryProtocol needs a PoetryClientFactory');
    return factory;
  }
}

/**
 * Makes the PoetryProtocol for one fetch and calls exactly one of `callback(poem)` and
 * `errback(error)`, exactly once, as the tutorial's factory does. Lifecycle:
 *
 *   startedConnecting → clientConnectionFailed                      → errback
 *   startedConnecting → buildProtocol → … → poemFinished / poemFailed → callback / errback
 *
 * With `retries`, as Twisted's ReconnectingClientFactory: a failure worth another try (see
 * `isRetryable`) is not handed on; once the connector is done with it (clientConnectionFailed,
 * clientConnectionLost) a `retrying` event is emitted and `connector.connect()` is called after
 * a growing wait on the reactor's clock, until a try succeeds, the retries run out, or
 * `stopTrying()`; the poem is refetched whole each time.
 *
 * Timeouts and cancelling can end the fetch at any point: the errback is called at once and the
 * connection attempt or connection is closed. An exception thrown by the callback or errback is
 * reported through `reactor.reportError` and goes no further. The factory never stops the reactor.
 */
export class PoetryClientFactory extends ClientFactory<PoetryProtocol> {
  override protocol = PoetryProtocol;
  readonly reactor: IReactor;
  readonly connectTimeoutSeconds: number;
  readonly idleTimeoutSeconds: number;
  readonly totalTimeoutSeconds: number;
  /** The size cap in bytes; Infinity for none. */
  readonly maxBytes: number;
  readonly sink: PoemSink | undefined;
  /**
   * True when the protocol keeps nothing `dataReceived` is given (a poem in memory is copied as
   * it comes; a sink that borrows writes it at once): getPoetry then has the connection read
   * into one shared buffer instead of a new one per read.
   */
  readonly borrowsData: boolean;
  readonly onEvent: FetchEventListener | undefined;
  readonly index: number;
  /** What is being fetched; known once the connection attempt starts. */
  destination: Endpoint | undefined = undefined;
  /** `host:port` (see `formatEndpoint`); empty until the connection attempt starts. */
  address = '';
  /** When the connection attempt started, in reactor seconds. */
  startedSeconds = Number.NaN;
  #callback: PoemCallback | undefined;
  #errback: PoemErrback | undefined;
  readonly #signal: AbortSignal | undefined;
  #connector: IConnector | undefined = undefined;
  #current: PoetryProtocol | undefined = undefined;
  #totalCall: IDelayedCall | undefined = undefined;
  readonly retry: RetrySettings;
  /** Connection attempts started so far (1 during the first). */
  attempts = 0;
  #continueTrying = true;
  /** Why the current try failed, when it is to be retried once its connection is gone. */
  #retryReason: PoetryNowError | undefined = undefined;
  #retryCall: IDelayedCall | undefined = undefined;
  /** Why the last try failed, while waiting to retry. */
  #lastReason: PoetryNowError | undefined = undefined;

  /**
   * Throws RangeError for a bad timeout or size cap (see `checkClientOptions`). With `batch`,
   * its limits, index and sink are used instead of `options`' (see `BatchFetch`).
   */
  constructor(
    callback: PoemCallback,
    errback: PoemErrback,
    options: PoetryClientOptions = {},
    batch?: BatchFetch,
  ) {
    super();
    const limits = batch === undefined ? checkClientOptions(options) : batch.limits;
    this.reactor = options.reactor ?? sharedReactor;
    this.connectTimeoutSeconds = limits.connectTimeoutSeconds;
    this.idleTimeoutSeconds = limits.idleTimeoutSeconds;
    this.totalTimeoutSeconds = limits.totalTimeoutSeconds;
    this.maxBytes = limits.maxBytes;
    this.sink = batch === undefined ? options.sink : batch.sink;
    this.borrowsData = this.sink === undefined || this.sink.borrowsChunks === true;
    this.onEvent = options.onEvent;
    this.index = batch === undefined ? (options.index ?? 0) : batch.index;
    this.retry = limits.retry;
    this.#signal = options.signal;
    this.#callback = callback;
    this.#errback = errback;
  }

  /** True until the callback or errback has been called. */
  get pending(): boolean {
    return this.#callback !== undefined;
  }

  override startedConnecting(connector: IConnector): void {
    this.#connector = connector;
    const known = this.destination;
    // getPoetryAt named it already (a UNIX socket's connector names no host and port); a TCP
    // connector of someone else's making may go elsewhere.
    if (known?.transport !== 'unix') {
      const destination = connector.getDestination();
      if (
        known === undefined ||
        known.host !== destination.host ||
        known.port !== destination.port
      ) {
        this.address = formatAddress(destination.host, destination.port);
        this.destination = destination;
      }
    }
    this.startedSeconds = this.reactor.seconds();
    this.attempts++;
    if (this.onEvent !== undefined) {
      this.emit({
        type: 'connecting',
        index: this.index,
        address: this.address,
        seconds: this.startedSeconds,
      });
    }
    if (this.totalTimeoutSeconds > 0 && this.#totalCall === undefined) {
      this.#totalCall = this.reactor.callLater(this.totalTimeoutSeconds, this.#onTotalTimeout);
    }
    const signal = this.#signal;
    if (signal !== undefined) {
      if (signal.aborted) this.cancel(signal.reason);
      else signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  override buildProtocol(addr: Address): PoetryProtocol | null {
    const protocol = super.buildProtocol(addr);
    this.#current = protocol ?? undefined;
    return protocol;
  }

  override clientConnectionFailed(connector: IConnector, reason: Error): void {
    // The TCP connector's reasons are ConnectErrors already; another reactor's may not be.
    this.#retryOrFail(connector, asPoetryError(reason, this.address, connectErrorFrom));
  }

  override clientConnectionLost(connector: IConnector, reason: Error): void {
    const failed = this.#retryReason;
    this.#retryReason = undefined;
    if (failed !== undefined) this.#retryOrFail(connector, failed);
    // Our protocol reports its own ending; this catches a connection that never got one.
    else if (this.#current === undefined) {
      this.#retryOrFail(connector, asPoetryError(reason, this.address, connectionLostFrom));
    }
  }

  /** Called by the protocol when the connection is made. */
  protocolConnected(_protocol: PoetryProtocol, connectedSeconds: number): void {
    if (this.onEvent !== undefined) {
      this.emit({
        type: 'connected',
        index: this.index,
        address: this.address,
        seconds: connectedSeconds,
      });
    }
  }

  /** Called by the protocol with a complete poem: the callback gets it. */
  poemFinished(poem: Poem): void {
    const callback = this.#callback;
    if (callback === undefined) return;
    this.#callback = undefined;
    this.#errback = undefined;
    this.#release();
    if (this.onEvent !== undefined) {
      this.emit({
        type: 'done',
        index: this.index,
        address: this.address,
        seconds: this.reactor.seconds(),
        bytes: poem.byteLength,
      });
    }
    deliver(this.reactor, 'callback', callback, poem);
  }

  /** Called by the protocol when its poem failed: the errback gets `error`, unless it is retried. */
  poemFailed(error: PoetryNowError): void {
    // Retried from clientConnectionLost, once the connection is gone.
    if (this.#mayRetry(error)) this.#retryReason = error;
    else this.#fail(error);
  }

  /**
   * Retries no more, as Twisted's: a try under way still ends the fetch either way, and a fetch
   * waiting to retry fails at once with the reason of its last try.
   */
  stopTrying(): void {
    this.#continueTrying = false;
    const waiting = this.#retryCall;
    if (waiting === undefined) return;
    this.#retryCall = undefined;
    waiting.cancel();
    this.#fail(this.#lastReason ?? new UserCancelledError('stopped trying'));
  }

  /**
   * Gives the fetch up: the errback gets `UserCancelledError` (with `reason` as its cause) and
   * the connection attempt or connection is closed. Does nothing once the fetch has ended.
   */
  cancel(reason?: unknown): void {
    if (!this.pending) return;
    this.#fail(
      new UserCancelledError('cancelled', {
        address: this.address === '' ? undefined : this.address,
        cause: reason,
      }),
    );
  }

  /** Tells the event listener, if any; what it throws is reported, not raised. */
  emit(event: FetchEvent): void {
    const listener = this.onEvent;
    if (listener !== undefined) deliver(this.reactor, 'listener', listener, event);
  }

  #fail(error: PoetryNowError): void {
    const errback = this.#errback;
    if (errback === undefined) return;
    this.#callback = undefined;
    this.#errback = undefined;
    this.#release();
    // Close before telling anyone, so an errback that stops the reactor finds nothing half-open.
    const connector = this.#connector;
    if (connector?.state === 'connecting') connector.stopConnecting();
    this.#current?.abort(error);
    if (this.onEvent !== undefined) {
      this.emit({
        type: 'failed',
        index: this.index,
        address: this.address,
        seconds: this.reactor.seconds(),
        error,
      });
    }
    deliver(this.reactor, 'errback', errback, error);
  }

  #mayRetry(reason: Error): boolean {
    return (
      this.pending &&
      this.#continueTrying &&
      this.attempts <= this.retry.maxRetries &&
      isRetryable(reason)
    );
  }

  #retryOrFail(connector: IConnector, reason: PoetryNowError): void {
    if (!this.#mayRetry(reason)) {
      this.#fail(reason);
      return;
    }
    const delaySeconds = retryDelaySeconds(this.retry, this.attempts);
    this.#lastReason = reason;
    if (this.onEvent !== undefined) {
      this.emit({
        type: 'retrying',
        index: this.index,
        address: this.address,
        seconds: this.reactor.seconds(),
        attempt: this.attempts + 1,
        maxAttempts: this.retry.maxRetries + 1,
        delaySeconds,
        error: reason,
      });
    }
    this.#retryCall = this.reactor.callLater(delaySeconds, () => {
      this.#retryCall = undefined;
      this.#current = undefined;
      try {
        connector.connect();
      } catch (error) {
        this.reactor.reportError(error, 'IConnector.connect');
        this.#fail(reason);
      }
    });
  }

  #release(): void {
    const retry = this.#retryCall;
    this.#retryCall = undefined;
    if (retry?.active()) retry.cancel();
    const call = this.#totalCall;
    this.#totalCall = undefined;
    if (call?.active()) call.cancel();
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  readonly #onTotalTimeout = (): void => {
    this.#totalCall = undefined;
    this.#fail(
      new PoemTimeoutError(`no complete poem after ${this.totalTimeoutSeconds} s`, {
        address: this.address,
      }),
    );
  };

  readonly #onAbort = (): void => {
    this.cancel(this.#signal?.reason);
  };
}

/**
 * Fetches one poem from `host:port` over TCP: makes a PoetryClientFactory and asks the reactor to
 * connect, as the tutorial's get_poetry (`getPoetryAt` reaches the other transports). Exactly one of `callback` and `errback` is called, exactly once;
 * neither is ever called synchronously from here. Returns the factory, whose `cancel()` gives the
 * fetch up. Throws RangeError for a bad timeout or size cap (see `checkClientOptions`).
 */
export function getPoetry(
  host: string,
  port: number,
  callback: PoemCallback,
  errback: PoemErrback,
  options: PoetryClientOptions = {},
): PoetryClientFactory {
  return getPoetryAt({ host, port }, formatAddress(host, port), callback, errback, options);
}

/**
 * `getPoetry` for a destination on any transport, named already (`address` is its
 * `formatEndpoint`), so that a fetch's events, errors and result all carry the one string. The
 * transport picks the reactor's connectTCP, connectTLS (with `options.tls`) or connectUNIX; the
 * factory and protocol are the same on each. `batch`, for one fetch of many sharing `options`
 * (see `BatchFetch`).
 */
export function getPoetryAt(
  destination: Endpoint,
  address: string,
  callback: PoemCallback,
  errback: PoemErrback,
  options: PoetryClientOptions = {},
  batch?: BatchFetch,
): PoetryClientFactory {
  const factory = new PoetryClientFactory(callback, errback, options, batch);
  factory.destination = destination;
  factory.address = address;
  const signal = options.signal;
  if (signal?.aborted) {
    // Cancelled before it began: no connection, and the errback still comes later, not now.
    factory.reactor.callLater(0, () => factory.cancel(signal.reason));
    return factory;
  }
  const connectOptions: ConnectOptions = {
    timeout: factory.connectTimeoutSeconds,
    readBuffer: factory.borrowsData ? readBuffer() : undefined,
    address,
  };
  const { reactor } = factory;
  if (destination.transport === 'unix') {
    reactor.connectUNIX(destination.path, factory, connectOptions);
  } else if (destination.transport === 'tls') {
    const { ca, insecure } = options.tls ?? {};
    reactor.connectTLS(destination.host, destination.port, factory, {
      ...connectOptions,
      ca,
      insecure,
    });
  } else {
    reactor.connectTCP(destination.host, destination.port, factory, connectOptions);
  }
  return factory;
}
