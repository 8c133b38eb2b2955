// Samples how busy the event loop's thread was during a run, for the timeline's thread lane.

import type { IReactorTime } from '../internet/interfaces.js';

/** One interval of the run: how long it lasted and how much of it the thread spent working. */
export interface EventLoopSample {
  /** When the interval began and ended, in seconds on the run's clock. */
  readonly fromSeconds: number;
  readonly toSeconds: number;
  /**
   * Seconds of the interval the thread spent running callbacks (ours, the servers', Node's own)
   * rather than waiting for the operating system to report something: Node's event-loop
   * utilisation, `active` time.
   */
  readonly busySeconds: number;
}

/** What `performance.eventLoopUtilization()` returns; times in milliseconds since the loop began. */
export interface EventLoopUtilization {
  readonly idle: number;
  readonly active: number;
}

/** Node's `performance.eventLoopUtilization`, or a stand-in for it in a test. */
export type EventLoopUtilizationFunction = () => EventLoopUtilization;

/** Seconds between samples unless told otherwise (10 ms): fine enough to tell one chunk's work. */
export const DEFAULT_SAMPLE_INTERVAL_SECONDS = 0.01;
/** Samples kept before neighbours are merged in pairs, so a long run stays small. */
export const DEFAULT_MAX_SAMPLES = 4096;

/**
 * The runtime's `performance.eventLoopUtilization`, bound, or undefined where there is none
 * (Deno, an old Bun). Node's global `performance` is perf_hooks' own, loaded the first time it
 * is read, so only a run that records a timeline ever asks for it.
 */
export function runtimeEventLoopUtilization(
  runtime: { performance?: unknown } = globalThis,
): EventLoopUtilizationFunction | undefined {
  const performance = runtime.performance as
    | { eventLoopUtilization?: (...args: unknown[]) => unknown }
    | undefined;
  const measure = performance?.eventLoopUtilization;
  if (typeof measure !== 'function') return undefined;
  try {
    const first = measure.call(performance) as Partial<EventLoopUtilization> | undefined;
    if (typeof first?.active !== 'number' || typeof first.idle !== 'number') return undefined;
  } catch {
    return undefined;
  }
  return () => measure.call(performance) as EventLoopUtilization;
}

export interface EventLoopSamplerOptions {
  /** Seconds between samples. Default 0.01. */
  intervalSeconds?: number;
  /** Samples kept; past it, neighbours merge in pairs. Default 4,096; at least 2. */
  maxSamples?: number;
  /** Where utilisation comes from. Default: the runtime's (see `runtimeEventLoopUtilization`). */
  eventLoopUtilization?: EventLoopUtilizationFunction;
}

/**
 * Samples the event loop's utilisation in small intervals, timestamped on the run's clock.
 * Lifecycle: construct (the first interval starts now) → `start()` (a timer takes a sample every
 * interval; it never keeps the process alive) → `stop()` (a last sample, the timer cleared) →
 * `samples`. `sample()` takes one at once; a test with a fake clock calls it by hand.
 *
 * Memory is bounded: past `maxSamples`, neighbouring samples merge in pairs and each later
 * sample covers twice as many intervals, so an hour-long run keeps as many as a minute's.
 */
export class EventLoopSampler {
  readonly intervalSeconds: number;
  readonly #clock: Pick<IReactorTime, 'seconds'>;
  readonly #measure: EventLoopUtilizationFunction;
  readonly #maxSamples: number;
  readonly #samples: EventLoopSample[] = [];
  /** Intervals each kept sample covers (doubles each time the samples are merged). */
  #perSample = 1;
  /** The sample being built from several intervals, while `#perSample` > 1. */
  #pending:
    | { fromSeconds: number; toSeconds: number; busySeconds: number; count: number }
    | undefined = undefined;
  #lastSeconds: number;
  #lastActiveMs: number;
  #timer: ReturnType<typeof setInterval> | undefined = undefined;
  #stopped = false;

  /**
   * `clock` must be the reactor the run's events are timed on. Throws when the runtime cannot
   * measure utilisation and none is given: see `EventLoopSampler.create` for the forgiving form.
   */
  constructor(clock: Pick<IReactorTime, 'seconds'>, options: EventLoopSamplerOptions = {}) {
    const measure = options.eventLoopUtilization ?? runtimeEventLoopUtilization();
    if (measure === undefined) {
      throw new Error('this runtime has no performance.eventLoopUtilization to sample');
    }
    const interval = options.intervalSeconds ?? DEFAULT_SAMPLE_INTERVAL_SECONDS;
    if (!(Number.isFinite(interval) && interval > 0)) {
      throw new RangeError(`intervalSeconds must be a number > 0, not ${interval}`);
    }
    const max = options.maxSamples ?? DEFAULT_MAX_SAMPLES;
    if (!(Number.isInteger(max) && max >= 2)) {
      throw new RangeError(`maxSamples must be a whole number >= 2, not ${max}`);
    }
    this.intervalSeconds = interval;
    this.#clock = clock;
    this.#measure = measure;
    this.#maxSamples = max;
    this.#lastSeconds = clock.seconds();
    this.#lastActiveMs = measure().active;
  }

  /** A started sampler, or undefined where the runtime cannot measure utilisation. */
  static create(
    clock: Pick<IReactorTime, 'seconds'>,
    options: EventLoopSamplerOptions = {},
  ): EventLoopSampler | undefined {
    const measure = options.eventLoopUtilization ?? runtimeEventLoopUtilization();
    if (measure === undefined) return undefined;
    return new EventLoopSampler(clock, { ...options, eventLoopUtilization: measure }).start();
  }

  /** Takes a sample every interval until `stop()`. */
  start(): this {
    if (this.#timer === undefined && !this.#stopped) {
      this.#timer = setInterval(this.#tick, this.intervalSeconds * 1000);
      // Sampling is no reason to keep a finished program running.
      this.#timer.unref?.();
    }
    return this;
  }

  readonly #tick = (): void => {
    this.sample();
  };

  /** Closes the current interval now and starts the next. */
  sample(): void {
    if (this.#stopped) return;
    const now = this.#clock.seconds();
    const activeMs = this.#measure().active;
    const busySeconds = Math.max(0, (activeMs - this.#lastActiveMs) / 1000);
    const fromSeconds = this.#lastSeconds;
    this.#lastSeconds = now;
    this.#lastActiveMs = activeMs;
    if (!(now > fromSeconds)) return;
    this.#add(fromSeconds, now, Math.min(busySeconds, now - fromSeconds));
  }

  /** Takes a last sample and stops the timer; returns the samples. Later calls change nothing. */
  stop(): readonly EventLoopSample[] {
    if (!this.#stopped) {
      this.sample();
      this.#flushPending();
      this.#stopped = true;
      if (this.#timer !== undefined) clearInterval(this.#timer);
      this.#timer = undefined;
    }
    return this.samples;
  }

  /** The samples so far, oldest first (a copy). */
  get samples(): readonly EventLoopSample[] {
    return [...this.#samples];
  }

  #add(fromSeconds: number, toSeconds: number, busySeconds: number): void {
    if (this.#perSample === 1) {
      this.#push({ fromSeconds, toSeconds, busySeconds });
      return;
    }
    const pending = this.#pending;
    if (pending === undefined) {
      this.#pending = { fromSeconds, toSeconds, busySeconds, count: 1 };
    } else {
      pending.toSeconds = toSeconds;
      pending.busySeconds += busySeconds;
      pending.count++;
    }
    if (this.#pending!.count >= this.#perSample) this.#flushPending();
  }

  #flushPending(): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    this.#pending = undefined;
    this.#push({
      fromSeconds: pending.fromSeconds,
      toSeconds: pending.toSeconds,
      busySeconds: pending.busySeconds,
    });
  }

  #push(sample: EventLoopSample): void {
    this.#samples.push(sample);
    if (this.#samples.length < this.#maxSamples) return;
    const merged: EventLoopSample[] = [];
    for (let i = 0; i < this.#samples.length; i += 2) {
      const a = this.#samples[i]!;
      const b = this.#samples[i + 1];
      merged.push(
        b === undefined
          ? a
          : {
              fromSeconds: a.fromSeconds,
              toSeconds: b.toSeconds,
              busySeconds: a.busySeconds + b.busySeconds,
            },
      );
    }
    this.#samples.length = 0;
    this.#samples.push(...merged);
    this.#perSample *= 2;
  }
}
