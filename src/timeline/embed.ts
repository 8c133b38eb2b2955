// The runs a timeline file was drawn from, kept inside it, so a later run can be drawn beside them.

import type { PoetryNowError } from '../internet/errors.js';
import type { FetchEvent } from '../poetry/events.js';
import type { EventLoopSample } from './event-loop.js';
import type { TimelineRun } from './run.js';

/** The `class` of the `<metadata>` element that holds the runs. */
const CLASS = 'poetry-now-runs';
const VERSION = 1;
/**
 * Runs with more events than this in all are drawn but not kept in the file (it would grow by
 * tens of megabytes), so no run can be added to such a file later.
 */
export const MAX_EMBEDDED_EVENTS = 200_000;

/** A failure as kept in the file: what the timeline shows of it. */
interface KeptError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly address?: string;
}

function keptError(error: unknown): KeptError {
  const e = (error ?? {}) as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    address?: unknown;
  };
  return {
    name: String(e.name ?? 'Error'),
    message: String(e.message ?? ''),
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.address === 'string' ? { address: e.address } : {}),
  };
}

/** An Error again, with the fields the timeline reads; not the class it was. */
function restoredError(kept: KeptError): PoetryNowError {
  const error = new Error(kept.message) as Error & { code?: string; address?: string };
  error.name = kept.name;
  if (kept.code !== undefined) error.code = kept.code;
  if (kept.address !== undefined) error.address = kept.address;
  return error as PoetryNowError;
}

/**
 * JSON that can sit in an XML or HTML text node as it is: `<`, `>` and `&` (and the two code
 * points XML forbids) written as JSON escapes, which JSON.parse reads back unchanged.
 */
function markupSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\uFFFE\uFFFF]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The events of `runs` in all. */
export function eventCount(runs: readonly TimelineRun[]): number {
  let events = 0;
  for (const run of runs) events += run.events.length;
  return events;
}

/** Whether a file drawn from `runs` keeps them: not past `MAX_EMBEDDED_EVENTS` events. */
export function keepsRuns(runs: readonly TimelineRun[]): boolean {
  return eventCount(runs) <= MAX_EMBEDDED_EVENTS;
}

/**
 * The `<metadata>` element that keeps `runs` inside the picture, or '' when they hold more than
 * `MAX_EMBEDDED_EVENTS` events. It is data, not script: a browser neither runs nor shows it.
 */
export function embeddedRuns(runs: readonly TimelineRun[]): string {
  if (!keepsRuns(runs)) return '';
  const kept = runs.map((run) => ({
    ...(run.title === undefined ? {} : { title: run.title }),
    addresses: run.addresses,
    ...(run.laneNames === undefined ? {} : { laneNames: run.laneNames }),
    ...(run.startSeconds === undefined ? {} : { startSeconds: run.startSeconds }),
    ...(run.endSeconds === undefined ? {} : { endSeconds: run.endSeconds }),
    events: run.events.map((event) =>
      event.type === 'failed' || event.type === 'retrying'
        ? { ...event, error: keptError(event.error) }
        : event,
    ),
    ...(run.eventLoop === undefined
      ? {}
      : {
          eventLoop: run.eventLoop.map((s) => [s.fromSeconds, s.toSeconds, s.busySeconds]),
        }),
  }));
  return `<metadata class="${CLASS}" data-version="${VERSION}">${markupSafeJson(kept)}</metadata>`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function finiteOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function restoredRun(value: unknown): TimelineRun {
  if (!isRecord(value) || !Array.isArray(value.addresses) || !Array.isArray(value.events)) {
    throw new Error('a run is not as a timeline file keeps it');
  }
  const events = value.events.map((event): FetchEvent => {
    if (
      !isRecord(event) ||
      typeof event.type !== 'string' ||
      typeof event.index !== 'number' ||
      typeof event.address !== 'string' ||
      typeof event.seconds !== 'number'
    ) {
      throw new Error('an event is not as a timeline file keeps it');
    }
    if (event.type === 'failed' || event.type === 'retrying') {
      return { ...event, error: restoredError(keptError(event.error)) } as unknown as FetchEvent;
    }
    return event as unknown as FetchEvent;
  });
  const eventLoop = Array.isArray(value.eventLoop)
    ? value.eventLoop.map((sample): EventLoopSample => {
        if (!Array.isArray(sample) || !sample.every((n) => typeof n === 'number')) {
          throw new Error('a thread sample is not as a timeline file keeps it');
        }
        return { fromSeconds: sample[0], toSeconds: sample[1], busySeconds: sample[2] };
      })
    : undefined;
  return {
    addresses: value.addresses.map(String),
    events,
    startSeconds: finiteOrUndefined(value.startSeconds),
    endSeconds: finiteOrUndefined(value.endSeconds),
    title: typeof value.title === 'string' ? value.title : undefined,
    laneNames: Array.isArray(value.laneNames)
      ? value.laneNames.map((name) => (typeof name === 'string' ? name : undefined))
      : undefined,
    eventLoop,
  };
}

/**
 * The runs a timeline file (SVG or HTML, as `renderTimelineSvg` or `renderTimelineHtml` wrote
 * it) was drawn from, in the order drawn; failures come back as plain Errors with the `name`,
 * `message`, `code` and `address` they had. Throws an Error when `markup` keeps no runs (not a
 * timeline, or one of more than `MAX_EMBEDDED_EVENTS` events) or keeps them damaged.
 */
export function readTimelineRuns(markup: string): TimelineRun[] {
  const match = new RegExp(
    `<metadata class="${CLASS}" data-version="(\\d+)">([^<]*)</metadata>`,
  ).exec(markup);
  if (match === null) {
    throw new Error(
      `it keeps no recorded runs (it is not a timeline, or one of more than ${MAX_EMBEDDED_EVENTS.toLocaleString('en')} events)`,
    );
  }
  if (Number(match[1]) !== VERSION) {
    throw new Error(`it keeps runs in version ${match[1]} of the format, not ${VERSION}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(match[2]!);
  } catch (error) {
    throw new Error('its recorded runs are damaged', { cause: error });
  }
  if (!Array.isArray(parsed)) throw new Error('its recorded runs are damaged');
  return parsed.map(restoredRun);
}
