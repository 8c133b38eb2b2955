// The Promise API (fetchPoem, fetchPoems, poemsAsCompleted) and the queue that caps concurrency.

import {
  asPoetryError,
  connectErrorFrom,
  type PoetryNowError,
  systemErrorCode,
  UserCancelledError,
} from '../internet/errors.js';
import type { IDelayedCall, IReactor } from '../internet/interfaces.js';
import { checkCount } from '../internet/limits.js';
import { reactor as sharedReactor } from '../internet/reactor.js';
import { type Endpoint, formatEndpoint, parseAddress } from './address.js';
import {
  type BatchFetch,
  type ClientLimits,
  checkClientOptions,
  getPoetryAt,
  type PoemCallback,
  type PoemErrback,
  type PoetryClientFactory,
  type PoetryClientOptions,
} from './client.js';
import { DEFAULT_CONCURRENCY } from './defaults.js';
import { deliver } from './deliver.js';
import { PoemSinkError, reasonOf } from './errors.js';
import type { FetchEvent } from './events.js';
import type { Poem } from './poem.js';
import type { PoemSink } from './sink.js';

/** The first wait after running out of file descriptors, doubled each time it happens again. */
const FD_BACKOFF_FIRST_SECONDS = 0.01;
const FD_BACKOFF_MAX_SECONDS = 1;
/**
 * Retries in a row, with nothing else of ours running, before giving up on descriptors: then
 * something outside this queue holds them, and waiting on our own fetches cannot help.
 */
const FD_MAX_LONELY_RETRIES = 8;

/** An address given as text (`PORT`, `HOST:PORT`, `tls:HOST:PORT`, `unix:PATH`…) or parsed. */
export type AddressLike = string | Endpoint;

/** Addresses in any form a caller may hold them: an array, a generator, a stream of lines. */
export type AddressSource = Iterable<AddressLike> | AsyncIterable<AddressLike>;

/** Options for the APIs that fetch many poems. */
export interface PoetryQueueOptions extends Omit<PoetryClientOptions, 'sink' | 'index'> {
  /** How many fetches may run at once (a whole number >= 1); the rest wait. Default 512. */
  concurrency?: number;
  /** Makes the sink for each attempt at an address, to stream poems instead of holding them. */
  sink?: (address: Endpoint, index: number) => PoemSink;
  /** Cancels every fetch not yet finished: each ends with `UserCancelledError`. */
  signal?: AbortSignal;
}

/**
 * How one address of a batch ended, as `Promise.allSettled` reports it, plus where it was. A
 * `reason` is always a `PoetryNowError`: `result.reason.code` needs no cast.
 */
export type PoemResult =
  | { status: 'fulfilled'; index: number; address: string; value: Poem }
  | { status: 'rejected'; index: number; address: string; reason: PoetryNowError };

/** A parsed address, parsing it if it is a string (throws InvalidAddressError). */
export function toAddress(address: AddressLike): Endpoint {
  return typeof address === 'string' ? parseAddress(address) : address;
}

/** True when `error` (or a cause under it) is the process or system running out of descriptors. */
export function isOutOfFileDescriptors(error: unknown): boolean {
  for (let depth = 0; depth < 8 && error instanceof Error; depth++) {
    const code = systemErrorCode(error);
    if (code === 'EMFILE' || code === 'ENFILE') return true;
    error = error.cause;
  }
  return false;
}

/** A source being read by `PoetryQueue.addFrom`, one address at a time. */
interface Source {
  readonly iterator: Iterator<AddressLike> | AsyncIterator<AddressLike>;
  readonly isAsync: boolean;
  readonly onResult: (result: PoemResult) => void;
  readonly resolve: (taken: number) => void;
  readonly reject: (error: unknown) => void;
  /** The index the next address taken gets. */
  nextIndex: number;
  /** How many addresses were taken. */
  taken: number;
  /** Taken addresses whose result has not been delivered yet. */
  outstanding: number;
  /** Where its tasks' results go; made when the first address is taken. */
  outcome?: TaskOutcome;
  /** Handlers of an async `next()`'s answer, made once per source rather than per address. */
  readonly pulled: (step: IteratorResult<AddressLike>) => void;
  readonly pullFailed: (error: unknown) => void;
  /** An async `next()` is on its way: at most one at a time. */
  pulling: boolean;
  /** Nothing more will be taken from it: it ended, failed, or the queue was cancelled. */
  ended: boolean;
  failed: boolean;
  error: unknown;
}

/**
 * Where a task's outcome goes: `add`'s callback and errback, or the `PoemResult` handler of
 * `addAll` or of the source `addFrom` took the task from (held as they are, not wrapped in
 * closures per task).
 */
type TaskOutcome =
  | { readonly callback: PoemCallback; readonly errback: PoemErrback }
  | { readonly onResult: (result: PoemResult) => void; readonly source: Source | undefined };

interface Task {
  readonly address: Endpoint;
  /** `address` as `formatEndpoint` names it, made once: every event, error and result of the task names it. */
  readonly label: string;
  readonly index: number;
  readonly outcome: TaskOutcome;
  factory: PoetryClientFactory | undefined;
  /** When the first attempt started, on the reactor clock; the total timeout counts from it. */
  firstStartedSeconds: number | undefined;
  /** Retries after running out of descriptors while no other fetch of ours was running. */
  lonelyRetries: number;
}

/**
 * Runs `getPoetry` for many addresses, at most `concurrency` at a time, starting them in the
 * order they were added. A task waiting for a slot is queued, not failed. A fetch that fails
 * because the process ran out of file descriptors (EMFILE, ENFILE) is not failed either: it goes
 * back to the front of the queue, and no new fetch starts until a short back-off (on the
 * reactor's clock) has passed, so the ones running can finish and free their descriptors.
 *
 * `addFrom` reads a source (an iterable or async iterable) lazily instead: it takes the next
 * address only when a slot is free and nothing else waits, so the tasks taken from it never
 * outnumber `concurrency`, and a million-line stream never becomes a million tasks.
 *
 * Lifecycle: (add | addAll | addFrom)* → (every callback/errback) → close(). `cancel()` ends every
 * task not yet finished with `UserCancelledError`; tasks added after it fail the same way, and
 * nothing more is taken from a source.
 */
export class PoetryQueue {
  readonly reactor: IReactor;
  readonly concurrency: number;
  readonly #options: PoetryClientOptions;
  readonly #sinkFor: ((address: Endpoint, index: number) => PoemSink) | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #waiting: Task[] = [];
  #waitingHead = 0;
  /** Tasks put back after running out of descriptors; they go before the waiting ones. */
  readonly #retrying: Task[] = [];
  readonly #running = new Set<Task>();
  /** Sources given to `addFrom`, read one after the other: the first is being read. */
  readonly #sources: Source[] = [];
  #backoffCall: IDelayedCall | undefined = undefined;
  #backoffSeconds = FD_BACKOFF_FIRST_SECONDS;
  #cancelReason: unknown = undefined;
  #cancelled = false;
  /** The options' limits, checked once for every fetch of the queue. */
  readonly #limits: ClientLimits;

  /** Throws RangeError for a bad concurrency, timeout or size cap (see `checkClientOptions`). */
  constructor(options: PoetryQueueOptions = {}) {
    const { concurrency = DEFAULT_CONCURRENCY, sink, signal, ...clientOptions } = options;
    this.concurrency = checkCount(concurrency, 'concurrency');
    // Checked here, so a bad option throws at once and not from every fetch.
    this.#limits = checkClientOptions(clientOptions, sink !== undefined);
    this.reactor = options.reactor ?? sharedReactor;
    this.#options = { ...clientOptions, reactor: this.reactor };
    this.#sinkFor = sink;
    this.#signal = signal;
    // One listener for the whole queue: a listener per fetch would trip Node's leak warning.
    if (signal?.aborted) this.#cancelled = true;
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#cancelReason = signal?.reason;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running.size;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length - this.#waitingHead + this.#retrying.length;
  }

  /**
   * Queues a fetch of `address`; `index` goes into its events. Exactly one of `callback` and
   * `errback` is called, exactly once, never synchronously from here.
   */
  add(address: Endpoint, index: number, callback: PoemCallback, errback: PoemErrback): void {
    this.#add(address, formatEndpoint(address), index, { callback, errback });
  }

  /**
   * Queues a fetch per target, `index` being its position, each ending in one `PoemResult`
   * handed to `onResult` (never synchronously from here).
   */
  addAll(targets: readonly Endpoint[], onResult: (result: PoemResult) => void): void {
    const outcome: TaskOutcome = { onResult, source: undefined };
    targets.forEach((target, index) => {
      this.#add(target, formatEndpoint(target), index, outcome);
    });
  }

  /**
   * Fetches every address `source` gives, the n-th (from 0) with index `firstIndex + n`, each
   * ending in one `PoemResult` handed to `onResult` (never synchronously from here). The next
   * address is taken only when a slot is free, after the tasks already waiting: a sync source
   * is read at once up to `concurrency`, an async one with one `next()` at a time.
   *
   * Resolves to how many addresses were taken, once the source has ended (or the queue was
   * cancelled) and every one of them has its result. If the source throws, or gives a malformed
   * address (`InvalidAddressError`), nothing more is taken, the queue is cancelled with that
   * error as the reason, and the promise rejects with it once every result is delivered.
   */
  addFrom(
    source: AddressSource,
    onResult: (result: PoemResult) => void,
    firstIndex = 0,
  ): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const isAsync = Symbol.asyncIterator in source;
      const iterator = isAsync
        ? (source as AsyncIterable<AddressLike>)[Symbol.asyncIterator]()
        : (source as Iterable<AddressLike>)[Symbol.iterator]();
      const read: Source = {
        iterator,
        isAsync,
        onResult,
        resolve,
        reject,
        nextIndex: firstIndex,
        taken: 0,
        outstanding: 0,
        pulled: (step) => this.#pulled(read, step),
        pullFailed: (error) => {
          read.pulling = false;
          if (!read.ended) this.#sourceFailed(read, error);
        },
        pulling: false,
        ended: false,
        failed: false,
        error: undefined,
      };
      this.#sources.push(read);
      if (this.#cancelled) this.#endSources();
      else this.#pump();
    });
  }

  #add(address: Endpoint, label: string, index: number, outcome: TaskOutcome): void {
    const task = this.#task(address, label, index, outcome);
    if (this.#cancelled) {
      // A microtask, not callLater(0): a reactor stopped in between would cancel that call,
      // and the errback must come all the same.
      queueMicrotask(() => this.#deliverError(task, this.#cancelledError(task)));
      return;
    }
    this.#waiting.push(task);
    this.#pump();
  }

  #task(address: Endpoint, label: string, index: number, outcome: TaskOutcome): Task {
    const task: Task = {
      address,
      label,
      index,
      outcome,
      factory: undefined,
      firstStartedSeconds: undefined,
      lonelyRetries: 0,
    };
    this.#emitQueued(task);
    return task;
  }

  /**
   * The next task from the first source still read, or undefined: that source is done, or an
   * async `next()` is on its way (its answer pumps again).
   */
  #pull(): Task | undefined {
    if (this.#cancelled) return undefined;
    for (;;) {
      const source = this.#sources[0];
      if (source === undefined) return undefined;
      if (source.ended) {
        this.#sources.shift();
        continue;
      }
      if (source.pulling) return undefined;
      if (!source.isAsync) {
        let step: IteratorResult<AddressLike>;
        try {
          step = (source.iterator as Iterator<AddressLike>).next();
        } catch (error) {
          this.#sourceFailed(source, error);
          return undefined;
        }
        if (step.done === true) {
          this.#sourceEnded(source);
          continue;
        }
        return this.#take(source, step.value);
      }
      source.pulling = true;
      (source.iterator as AsyncIterator<AddressLike>).next().then(source.pulled, source.pullFailed);
      return undefined;
    }
  }

  /** An async source's `next()` has answered. */
  #pulled(source: Source, step: IteratorResult<AddressLike>): void {
    source.pulling = false;
    if (source.ended) return;
    if (step.done === true) {
      this.#sourceEnded(source);
      this.#pump();
      return;
    }
    const task = this.#take(source, step.value);
    if (task === undefined) return;
    this.#waiting.push(task);
    this.#pump();
  }

  /** A task for an address taken from `source`; undefined (and the source failed) if malformed. */
  #take(source: Source, value: AddressLike): Task | undefined {
    let address: Endpoint;
    try {
      address = toAddress(value);
    } catch (error) {
      this.#sourceFailed(source, error);
      return undefined;
    }
    const index = source.nextIndex++;
    source.taken++;
    source.outstanding++;
    const label = formatEndpoint(address);
    source.outcome ??= { onResult: source.onResult, source };
    return this.#task(address, label, index, source.outcome);
  }

  #sourceEnded(source: Source): void {
    source.ended = true;
    if (this.#sources[0] === source) this.#sources.shift();
    this.#settleSource(source);
  }

  #sourceFailed(source: Source, error: unknown): void {
    source.failed = true;
    source.error = error;
    this.#sourceEnded(source);
    closeIterator(source.iterator);
    this.cancel(error);
  }

  /** Resolves or rejects `addFrom`'s promise once the source is done and every result is in. */
  #settleSource(source: Source): void {
    if (!source.ended || source.outstanding > 0) return;
    if (source.failed) source.reject(source.error);
    else source.resolve(source.taken);
  }

  /** After a cancel: nothing more is taken from any source, and each is closed. */
  #endSources(): void {
    const sources = this.#sources.splice(0);
    for (const source of sources) {
      if (source.ended) continue;
      source.ended = true;
      closeIterator(source.iterator);
      this.#settleSource(source);
    }
  }

  /** Ends every task not yet finished with `UserCancelledError`, its `cause` being `reason`. */
  cancel(reason?: unknown): void {
    if (!this.#cancelled) {
      this.#cancelled = true;
      this.#cancelReason = reason;
    }
    this.#cancelBackoff();
    const waiting = [...this.#retrying, ...this.#waiting.slice(this.#waitingHead)];
    this.#retrying.length = 0;
    this.#waiting.length = 0;
    this.#waitingHead = 0;
    // Before the running fetches end: each that ends frees a slot a source must not fill.
    this.#endSources();
    for (const task of [...this.#running]) task.factory?.cancel(this.#cancelReason);
    waiting.sort((a, b) => a.index - b.index);
    for (const task of waiting) this.#deliverError(task, this.#cancelledError(task));
  }

  /** Stops listening to the signal; call when done with the queue. */
  close(): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#cancelBackoff();
  }

  #pump(): void {
    while (this.#running.size < this.concurrency && this.#backoffCall === undefined) {
      const task = this.#retrying.shift() ?? this.#nextWaiting() ?? this.#pull();
      if (task === undefined) return;
      this.#start(task);
    }
  }

  #nextWaiting(): Task | undefined {
    if (this.#waitingHead >= this.#waiting.length) return undefined;
    const task = this.#waiting[this.#waitingHead]!;
    this.#waiting[this.#waitingHead++] = undefined as unknown as Task;
    if (this.#waitingHead > 1024 && this.#waitingHead * 2 > this.#waiting.length) {
      this.#waiting.splice(0, this.#waitingHead);
      this.#waitingHead = 0;
    }
    return task;
  }

  #start(task: Task): void {
    this.#running.add(task);
    task.firstStartedSeconds ??= this.reactor.seconds();
    let sink: PoemSink | undefined;
    try {
      sink = this.#sinkFor?.(task.address, task.index);
    } catch (error) {
      // The caller's sink maker threw: this task fails, and #pump goes on to the next.
      const reason = new PoemSinkError(`cannot make the sink: ${reasonOf(error)}`, {
        address: task.label,
        cause: error,
      });
      this.#startFailed(task, reason);
      return;
    }
    const gotPoem = (poem: Poem): void => {
      this.#running.delete(task);
      this.#backoffSeconds = FD_BACKOFF_FIRST_SECONDS;
      this.#deliver(task, poem);
      this.#pump();
    };
    const poemFailed = (error: PoetryNowError): void => {
      this.#running.delete(task);
      if (!this.#cancelled && isOutOfFileDescriptors(error) && this.#mayRetry(task)) {
        this.#retrying.push(task);
        this.#emitQueued(task);
        this.#backOff();
        return;
      }
      this.#deliverError(task, error);
      this.#pump();
    };
    try {
      // The queue's options are shared; only the index and sink are the fetch's own.
      const batch: BatchFetch = { limits: this.#limits, index: task.index, sink };
      const { address, label } = task;
      task.factory = getPoetryAt(address, label, gotPoem, poemFailed, this.#options, batch);
    } catch (error) {
      // A reactor of someone else's making may throw from connectTCP.
      this.#startFailed(task, asPoetryError(error, task.label, connectErrorFrom));
    }
  }

  /** A task that could not start ends as every fetch does: a `failed` event, then its errback. */
  #startFailed(task: Task, reason: PoetryNowError): void {
    this.#running.delete(task);
    if (this.#options.onEvent !== undefined) {
      this.#emit({
        type: 'failed',
        index: task.index,
        address: task.label,
        seconds: this.reactor.seconds(),
        error: reason,
      });
    }
    queueMicrotask(() => this.#deliverError(task, reason));
  }

  /**
   * Whether a fetch that ran out of descriptors should wait for another try: yes while other
   * fetches of ours run (they will free theirs), within the total timeout, and for a few tries
   * when none runs; then the failure is the answer.
   */
  #mayRetry(task: Task): boolean {
    const total = this.#limits.totalTimeoutSeconds;
    if (total > 0 && this.reactor.seconds() - task.firstStartedSeconds! >= total) return false;
    if (this.#running.size > 0) return true;
    task.lonelyRetries++;
    return task.lonelyRetries <= FD_MAX_LONELY_RETRIES;
  }

  #backOff(): void {
    if (this.#backoffCall !== undefined) return;
    const delay = this.#backoffSeconds;
    this.#backoffSeconds = Math.min(delay * 2, FD_BACKOFF_MAX_SECONDS);
    this.#backoffCall = this.reactor.callLater(delay, () => {
      this.#backoffCall = undefined;
      this.#pump();
    });
  }

  #cancelBackoff(): void {
    const call = this.#backoffCall;
    this.#backoffCall = undefined;
    if (call?.active()) call.cancel();
  }

  #deliver(task: Task, poem: Poem): void {
    const { outcome, index, label } = task;
    if ('callback' in outcome) deliver(this.reactor, 'callback', outcome.callback, poem);
    else this.#deliverResult(outcome, { status: 'fulfilled', index, address: label, value: poem });
  }

  #deliverError(task: Task, error: PoetryNowError): void {
    const { outcome, index, label } = task;
    if ('errback' in outcome) deliver(this.reactor, 'errback', outcome.errback, error);
    else this.#deliverResult(outcome, { status: 'rejected', index, address: label, reason: error });
  }

  /** Hands a result on, and tells the source it came from (if any) that it is delivered. */
  #deliverResult(
    outcome: { onResult: (result: PoemResult) => void; source: Source | undefined },
    result: PoemResult,
  ): void {
    const source = outcome.source;
    if (source !== undefined) source.outstanding--;
    deliver(this.reactor, 'callback', outcome.onResult, result);
    if (source !== undefined) this.#settleSource(source);
  }

  #cancelledError(task: Task): UserCancelledError {
    const error = new UserCancelledError('cancelled', {
      address: task.label,
      cause: this.#cancelReason,
    });
    if (this.#options.onEvent === undefined) return error;
    this.#emit({
      type: 'failed',
      index: task.index,
      address: task.label,
      seconds: this.reactor.seconds(),
      error,
    });
    return error;
  }

  #emitQueued(task: Task): void {
    if (this.#options.onEvent === undefined) return;
    this.#emit({
      type: 'queued',
      index: task.index,
      address: task.label,
      seconds: this.reactor.seconds(),
    });
  }

  #emit(event: FetchEvent): void {
    const listener = this.#options.onEvent;
    if (listener !== undefined) deliver(this.reactor, 'listener', listener, event);
  }

  readonly #onAbort = (): void => {
    this.cancel(this.#signal?.reason);
  };
}

/**
 * Fetches one poem. Resolves to the Poem; rejects with the reason the fetch failed, always a
 * `PoetryNowError` (for a bad address, `InvalidAddressError`; for `signal`,
 * `UserCancelledError`), except for a bad timeout or size cap, a usage error, which rejects with
 * RangeError. A Promise cannot say its rejection's type: narrow with
 * `error instanceof PoetryNowError`, then `error.code`.
 */
export function fetchPoem(address: AddressLike, options: PoetryClientOptions = {}): Promise<Poem> {
  return new Promise<Poem>((resolve, reject) => {
    const endpoint = toAddress(address);
    getPoetryAt(endpoint, formatEndpoint(endpoint), resolve, reject, options);
  });
}

/** Tells an iterator nobody will read on (a file stream closes), ignoring what it throws. */
function closeIterator(iterator: Iterator<AddressLike> | AsyncIterator<AddressLike>): void {
  try {
    const closing = iterator.return?.();
    if (closing instanceof Promise) closing.catch(() => {});
  } catch {
    // The reader has failed or finished already; there is nothing left to close.
  }
}

/**
 * Fetches many poems, at most `concurrency` at once. Resolves, once every fetch has ended, to
 * one result per address in input order; never rejects for a failed fetch.
 *
 * An array is checked whole first: a malformed address rejects with `InvalidAddressError`
 * before connecting anywhere, and a cancel gives every address not finished a result. Any other
 * iterable or async iterable is read lazily, an address taken only when a slot is free: a
 * malformed address (or the source throwing) cancels the fetches running and rejects with that
 * error; a cancel stops the reading, so the results are those of the addresses taken.
 */
export function fetchPoems(
  addresses: AddressSource,
  options: PoetryQueueOptions = {},
): Promise<PoemResult[]> {
  return new Promise<PoemResult[]>((resolve, reject) => {
    const results: PoemResult[] = [];
    const settle = (result: PoemResult): void => {
      results[result.index] = result;
    };
    if (!Array.isArray(addresses)) {
      const queue = new PoetryQueue(options);
      queue.addFrom(addresses, settle).then(
        () => {
          queue.close();
          resolve(results);
        },
        (error: unknown) => {
          queue.close();
          reject(error);
        },
      );
      return;
    }
    const targets = (addresses as readonly AddressLike[]).map(toAddress);
    results.length = targets.length;
    if (targets.length === 0) {
      resolve(results);
      return;
    }
    const queue = new PoetryQueue(options);
    let left = targets.length;
    queue.addAll(targets, (result) => {
      settle(result);
      if (--left === 0) {
        queue.close();
        resolve(results);
      }
    });
  });
}

/**
 * Fetches many poems, at most `concurrency` at once, and yields each result as its fetch ends
 * (fastest first). Fetching starts at the first `next()`. Leaving the loop early (`break`,
 * `return`, an exception) cancels the fetches not yet finished.
 *
 * An array is checked whole first (`InvalidAddressError` before connecting anywhere). Any
 * other iterable or async iterable is read lazily: an address is taken only when a slot is free
 * and fewer than `concurrency` results wait to be yielded, so neither the fetches nor the results
 * held grow with the source; a malformed address (or the source throwing) cancels the fetches
 * running and is thrown from the loop.
 */
export async function* poemsAsCompleted(
  addresses: AddressSource,
  options: PoetryQueueOptions = {},
): AsyncGenerator<PoemResult, void, undefined> {
  const lazy = !Array.isArray(addresses);
  const targets = lazy ? [] : (addresses as readonly AddressLike[]).map(toAddress);
  if (!lazy && targets.length === 0) return;
  const finished: PoemResult[] = [];
  let finishedHead = 0;
  let wake: (() => void) | undefined;
  let roomWaiter: (() => void) | undefined;
  let stopped = false;
  const wakeUp = (): void => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  /** Results pushed so far: when the source fails, the count still to yield before throwing. */
  let delivered = 0;
  const push = (result: PoemResult): void => {
    finished.push(result);
    delivered++;
    wakeUp();
  };
  const queue = new PoetryQueue(options);
  let sourceDone = false;
  let sourceError: unknown;
  let failed = false;
  let total = targets.length;
  try {
    if (lazy) {
      const limit = queue.concurrency;
      // Waits while the results not yet yielded fill `concurrency`: a slow consumer slows
      // the reading, rather than results piling up.
      async function* paced(): AsyncGenerator<AddressLike> {
        for await (const address of addresses) {
          while (!stopped && finished.length - finishedHead >= limit) {
            await new Promise<void>((resolve) => {
              roomWaiter = resolve;
            });
          }
          yield address;
        }
      }
      queue.addFrom(paced(), push).then(
        (taken) => {
          total = taken;
          sourceDone = true;
          wakeUp();
        },
        (error: unknown) => {
          // addFrom rejects only once every address taken has its result pushed.
          total = delivered;
          sourceError = error;
          failed = true;
          sourceDone = true;
          wakeUp();
        },
      );
    } else {
      queue.addAll(targets, push);
      sourceDone = true;
    }
    for (let yielded = 0; !sourceDone || yielded < total; ) {
      while (finished.length === finishedHead) {
        if (sourceDone && yielded >= total) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (finished.length === finishedHead) break;
      const result = finished[finishedHead]!;
      finished[finishedHead++] = undefined as unknown as PoemResult;
      if (finishedHead > 1024 && finishedHead * 2 > finished.length) {
        finished.splice(0, finishedHead);
        finishedHead = 0;
      }
      const room = roomWaiter;
      roomWaiter = undefined;
      room?.();
      yielded++;
      yield result;
    }
    if (failed) throw sourceError;
  } finally {
    stopped = true;
    roomWaiter?.();
    queue.cancel();
    queue.close();
  }
}
