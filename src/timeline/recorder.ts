// Collects a run's fetch events from an `onEvent` listener, with the run's start and end times.

import type { IReactorTime } from '../internet/interfaces.js';
import type { FetchEvent, FetchEventListener } from '../poetry/events.js';
import type { TimelineRun } from './run.js';

/**
 * Records one run for a timeline. Lifecycle: construct (the run starts now, on `clock`) → pass
 * `onEvent` to the fetching API → `finish()` when the run is over (the run ends then) → draw
 * `run()` with `renderTimelineSvg` or `renderTimelineHtml`.
 *
 *   const recorder = new TimelineRecorder(reactor, addresses);
 *   await fetchPoems(addresses, { reactor, onEvent: recorder.onEvent });
 *   const svg = renderTimelineSvg(recorder.finish());
 *
 * Recording is all it does per event (one push), so it costs nothing worth measuring per chunk.
 */
export class TimelineRecorder {
  /** The lanes' labels, in argument order. */
  readonly addresses: readonly string[];
  /** When the run started, in seconds on `clock`. */
  readonly startSeconds: number;
  readonly #clock: Pick<IReactorTime, 'seconds'>;
  readonly #events: FetchEvent[] = [];
  #endSeconds: number | undefined = undefined;

  /**
   * `clock` must be the reactor the fetches run on (its `seconds()` is the events' clock);
   * `addresses` label the lanes, lane n being the fetch whose events carry `index` n.
   */
  constructor(clock: Pick<IReactorTime, 'seconds'>, addresses: readonly string[] = []) {
    this.#clock = clock;
    this.addresses = [...addresses];
    this.startSeconds = clock.seconds();
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

  /** Marks the end of the run (the first call counts) and returns it. */
  finish(): TimelineRun {
    if (this.#endSeconds === undefined) this.#endSeconds = this.#clock.seconds();
    return this.run();
  }

  /** The run so far: a snapshot, unaffected by events recorded after. */
  run(): TimelineRun {
    return {
      addresses: this.addresses,
      events: [...this.#events],
      startSeconds: this.startSeconds,
      endSeconds: this.#endSeconds,
    };
  }
}
