// Collects a run's fetch events from an `onEvent` listener, with the run's start and end times.

import type { IReactorTime } from '../internet/interfaces.js';
import type { FetchEvent, FetchEventListener } from '../poetry/events.js';
import { type EventLoopSample, EventLoopSampler } from './event-loop.js';
import type { TimelineRun } from './run.js';

export interface TimelineRecorderOptions {
  /** The run's heading (see `TimelineRun.title`). */
  title?: string;
  /** What each lane fetched, drawn beside its address (see `TimelineRun.laneNames`). */
  laneNames?: readonly (string | undefined)[];
  /**
   * Samples how busy the event loop's thread is while recording (see `EventLoopSampler`), for a
   * lane of its own: true for the runtime's utilisation every 10 ms, or a sampler of your own
   * (already started). Where the runtime cannot measure it, there is simply no such lane.
   * Default false.
   */
  eventLoop?: boolean | EventLoopSampler;
}

/**
 * Records one run for a timeline. Lifecycle: construct (the run starts now, on `clock`) → pass
 * `onEvent` to the fetching API → `finish()` when the run is over (the run ends then) → draw
 * `run()` with `renderTimelineSvg` or `renderTimelineHtml`.
 *
 *   const recorder = new TimelineRecorder(reactor, addresses);
 *   await fetchPoems(addresses, { reactor, onEvent: recorder.onEvent });
 *   const svg = renderTimelineSvg(recorder.finish());
 *
 * Recording is all it does per event (one push), so it costs nothing worth measuring per chunk;
 * sampling the thread (the `eventLoop` option) is a timer every 10 ms, apart from the events.
 */
export class TimelineRecorder {
  /** The lanes' labels, in argument order. */
  readonly addresses: readonly string[];
  /** When the run started, in seconds on `clock`. */
  readonly startSeconds: number;
  readonly #clock: Pick<IReactorTime, 'seconds'>;
  readonly #events: FetchEvent[] = [];
  #endSeconds: number | undefined = undefined;
  readonly #title: string | undefined;
  readonly #laneNames: readonly (string | undefined)[] | undefined;
  readonly #sampler: EventLoopSampler | undefined;
  #eventLoop: readonly EventLoopSample[] | undefined = undefined;

  /**
   * `clock` must be the reactor the fetches run on (its `seconds()` is the events' clock);
   * `addresses` label the lanes, lane n being the fetch whose events carry `index` n.
   */
  constructor(
    clock: Pick<IReactorTime, 'seconds'>,
    addresses: readonly string[] = [],
    options: TimelineRecorderOptions = {},
  ) {
    this.#clock = clock;
    this.addresses = [...addresses];
    this.startSeconds = clock.seconds();
    this.#title = options.title;
    this.#laneNames = options.laneNames === undefined ? undefined : [...options.laneNames];
    this.#sampler =
      options.eventLoop === true
        ? EventLoopSampler.create(clock)
        : options.eventLoop === false || options.eventLoop === undefined
          ? undefined
          : options.eventLoop;
  }

  /** The listener to pass as the fetching API's `onEvent` option; bound, so pass it as is. */
  readonly onEvent: FetchEventListener = (event) => {
    this.#events.push(event);
  };

  /**
   * A listener that records each event and then hands it to `next` (a progress display, say),
   * for an API that takes one `onEvent`. Without `next`, it is `onEvent`.
   */
  tee(next?: FetchEventListener): FetchEventListener {
    if (next === undefined) return this.onEvent;
    const record = this.onEvent;
    return function recordThenForward(event) {
      record(event);
      next(event);
    };
  }

  /** Events recorded so far, in the order they happened. */
  get events(): readonly FetchEvent[] {
    return this.#events;
  }

  /** When `finish()` was first called, in seconds on the clock; undefined before. */
  get endSeconds(): number | undefined {
    return this.#endSeconds;
  }

  /** Marks the end of the run (the first call counts), stops sampling, and returns the run. */
  finish(): TimelineRun {
    if (this.#endSeconds === undefined) {
      this.#endSeconds = this.#clock.seconds();
      this.#eventLoop = this.#sampler?.stop();
    }
    return this.run();
  }

  /** The run so far: a snapshot, unaffected by events recorded after. */
  run(): TimelineRun {
    return {
      addresses: this.addresses,
      events: [...this.#events],
      startSeconds: this.startSeconds,
      endSeconds: this.#endSeconds,
      title: this.#title,
      laneNames: this.#laneNames,
      eventLoop: this.#eventLoop ?? this.#sampler?.samples,
    };
  }
}
