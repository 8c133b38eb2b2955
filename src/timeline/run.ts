// A recorded run (addresses and their fetch events) sorted into lanes, one per address.

import type { ChunkEvent, FailedEvent, FetchEvent } from '../poetry/events.js';
import type { EventLoopSample } from './event-loop.js';

/** What a timeline is drawn from: everything a `TimelineRecorder` collected. */
export interface TimelineRun {
  /** The addresses in argument order: lane n is the fetch whose events carry `index` n. */
  readonly addresses: readonly string[];
  /** The fetches' events, in the order they happened. */
  readonly events: readonly FetchEvent[];
  /**
   * When the run started, in seconds on the clock the events' `seconds` come from; the axis
   * counts from here. Default: the earliest event.
   */
  readonly startSeconds?: number | undefined;
  /** When the run ended, on the same clock. Default: the latest event. */
  readonly endSeconds?: number | undefined;
  /** What the run shows, as its heading: "One after another", say. */
  readonly title?: string | undefined;
  /**
   * What lane n fetched, drawn beside its address (a poem's title, say); undefined for a lane
   * with only its address.
   */
  readonly laneNames?: readonly (string | undefined)[] | undefined;
  /**
   * How busy the event loop's thread was, interval by interval, on the events' clock (see
   * `EventLoopSampler`); drawn as a lane of its own under the fetches.
   */
  readonly eventLoop?: readonly EventLoopSample[] | undefined;
}

/** How a lane's fetch ended: its last `done` or `failed` event, or neither yet. */
export type LaneOutcome = 'done' | 'failed' | 'unfinished';

/** One address's fetch, its events in order. */
export interface Lane {
  /** The `index` its events carry (its position in the address list). */
  readonly index: number;
  /** The address as given, or as the events name it. */
  readonly label: string;
  /** What it fetched (see `TimelineRun.laneNames`), if named. */
  readonly name: string | undefined;
  readonly events: FetchEvent[];
  readonly chunks: ChunkEvent[];
  outcome: LaneOutcome;
  /** The poem's size in bytes, when done. */
  poemBytes: number;
  /** Why it failed, when it did (the last failure, after any retries). */
  failure: FailedEvent | undefined;
}

/** Totals for a run, for a heading or a line on the terminal. */
export interface TimelineSummary {
  /** Addresses (lanes). */
  readonly addresses: number;
  /** Fetches that ended with a poem. */
  readonly poems: number;
  /** Fetches that ended in failure. */
  readonly failed: number;
  /** Fetches with neither ending recorded. */
  readonly unfinished: number;
  /** Chunks received, across every address. */
  readonly chunks: number;
  /** Bytes received, across every address (complete poems or not). */
  readonly bytes: number;
  /** When the run started, in seconds on the events' clock. */
  readonly startSeconds: number;
  /** From the start to the end of the run (or its last event), in seconds. */
  readonly durationSeconds: number;
}

function newLane(index: number, label: string, name?: string): Lane {
  return {
    index,
    label,
    name: name === undefined || name === '' ? undefined : name,
    events: [],
    chunks: [],
    outcome: 'unfinished',
    poemBytes: 0,
    failure: undefined,
  };
}

/**
 * The run's lanes: one per address, in the order given, then one per other `index` the events
 * carry (in index order), labelled with the address the events name.
 */
export function lanesOf(run: TimelineRun): Lane[] {
  const lanes = run.addresses.map((address, index) =>
    newLane(index, address, run.laneNames?.[index]),
  );
  const extra = new Map<number, Lane>();
  for (const event of run.events) {
    let lane: Lane | undefined = lanes[event.index];
    if (lane === undefined) {
      lane = extra.get(event.index);
      if (lane === undefined) {
        lane = newLane(event.index, event.address, run.laneNames?.[event.index]);
        extra.set(event.index, lane);
      }
    }
    lane.events.push(event);
    switch (event.type) {
      case 'chunk':
        lane.chunks.push(event);
        break;
      case 'done':
        lane.outcome = 'done';
        lane.poemBytes = event.bytes;
        lane.failure = undefined;
        break;
      case 'failed':
        lane.outcome = 'failed';
        lane.failure = event;
        break;
      case 'queued':
      case 'connecting':
        // A fetch retried after running out of file descriptors starts over.
        lane.outcome = 'unfinished';
        break;
      default:
        break;
    }
  }
  return [...lanes, ...[...extra.values()].sort((a, b) => a.index - b.index)];
}

/** When the run starts and how long it lasts, in seconds. */
export function runSpan(run: TimelineRun): { startSeconds: number; durationSeconds: number } {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const event of run.events) {
    if (event.seconds < first) first = event.seconds;
    if (event.seconds > last) last = event.seconds;
  }
  // The thread's samples belong to the run too: a run whose fetches all failed at once may have
  // kept the thread busy for a while after.
  for (const sample of run.eventLoop ?? []) {
    if (sample.fromSeconds < first) first = sample.fromSeconds;
    if (sample.toSeconds > last) last = sample.toSeconds;
  }
  const startSeconds = run.startSeconds ?? (Number.isFinite(first) ? first : 0);
  let endSeconds = run.endSeconds ?? last;
  if (!(endSeconds >= last)) endSeconds = last;
  const durationSeconds = Number.isFinite(endSeconds) ? Math.max(0, endSeconds - startSeconds) : 0;
  return { startSeconds, durationSeconds };
}

/** Counts a run's outcomes, chunks and bytes. */
export function summarizeTimeline(run: TimelineRun): TimelineSummary {
  return summarizeLanes(lanesOf(run), runSpan(run));
}

export function summarizeLanes(
  lanes: readonly Lane[],
  span: { startSeconds: number; durationSeconds: number },
): TimelineSummary {
  let poems = 0;
  let failed = 0;
  let chunks = 0;
  let bytes = 0;
  for (const lane of lanes) {
    if (lane.outcome === 'done') poems++;
    else if (lane.outcome === 'failed') failed++;
    chunks += lane.chunks.length;
    for (const chunk of lane.chunks) bytes += chunk.bytes;
  }
  return {
    addresses: lanes.length,
    poems,
    failed,
    unfinished: lanes.length - poems - failed,
    chunks,
    bytes,
    startSeconds: span.startSeconds,
    durationSeconds: span.durationSeconds,
  };
}
