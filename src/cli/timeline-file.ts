// Writing a run's timeline to the file a user named, for get-poetry --timeline and the demo, and
// reading back the runs a timeline file keeps, for get-poetry --timeline-append.

import { constants } from 'node:fs';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { describeSystemError } from '../internet/errors.js';
import { eventCount, keepsRuns } from '../timeline/embed.js';
import { formatCount } from '../timeline/format.js';
import {
  readTimelineRuns,
  renderTimeline,
  summarizeTimeline,
  type TimelineRun,
  timelineFormatOf,
} from '../timeline/index.js';

/** Throws an Error naming the file and the reason when its folder cannot be written to. */
export async function checkWritable(path: string): Promise<void> {
  try {
    await access(dirname(resolve(path)), constants.W_OK);
  } catch (error) {
    throw new Error(`cannot write the timeline to ${path}: ${describeSystemError(error)}`);
  }
}

/**
 * Past this, a file is refused unread: longer than any timeline that keeps its runs, and short
 * of the longest string of every runtime (Node's is just under 512 MiB, Bun's longer).
 */
export const LONGEST_TIMELINE_BYTES = 500 * 2 ** 20;

/**
 * The runs the timeline file at `path` keeps, to draw a new run below them; none when there is
 * no such file yet. Throws an Error naming the file and the reason when it cannot be read, is
 * not a timeline, or its folder cannot be written to: all before anything is fetched.
 */
export async function readTimelineFile(path: string): Promise<TimelineRun[]> {
  await checkWritable(path);
  const unreadable = (error: unknown): Error =>
    new Error(`cannot read the timeline in ${path}: ${describeSystemError(error)}`);
  let size: number;
  try {
    ({ size } = await stat(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw unreadable(error);
  }
  // Refused by its size, rather than by "Invalid string length" once read whole.
  if (size > LONGEST_TIMELINE_BYTES) {
    const mebibytes = Math.round(size / 2 ** 20);
    throw new Error(`cannot add a run to ${path}: at ${mebibytes} MiB it cannot be a timeline`);
  }
  let markup: string;
  try {
    markup = await readFile(path, 'utf8');
  } catch (error) {
    throw unreadable(error);
  }
  try {
    return readTimelineRuns(markup);
  } catch (error) {
    throw new Error(`cannot add a run to ${path}: ${(error as Error).message}`);
  }
}

const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/**
 * Draws `run` into `path` (SVG or HTML by its extension), below the runs in `before` if any,
 * and returns the sentence that says so:
 * `timeline of 5 addresses (3 poems, 2 failed, 44 chunks over 1.00 s) written to run.html`,
 * ending in `(run 2 of 2)` when there were runs before, and saying so when the file has too many
 * events to keep its runs (see `keepsRuns`). Throws an Error whose message names the
 * file and the reason when it cannot be written.
 */
export async function writeTimeline(
  path: string,
  run: TimelineRun,
  before: readonly TimelineRun[] = [],
): Promise<string> {
  const runs = [...before, run];
  await writeTimelineRuns(path, runs);
  const s = summarizeTimeline(run);
  const failed = s.failed === 0 ? '' : `, ${s.failed} failed`;
  const which = runs.length === 1 ? '' : ` (run ${runs.length} of ${runs.length})`;
  // Said now, not only when the next --timeline-append fails on it.
  const kept = keepsRuns(runs)
    ? ''
    : `; at ${formatCount(eventCount(runs))} events it keeps no runs, so none can be added to it`;
  return (
    `timeline of ${count(s.addresses, 'address', 'addresses')} ` +
    `(${count(s.poems, 'poem', 'poems')}${failed}, ${count(s.chunks, 'chunk', 'chunks')} ` +
    `over ${s.durationSeconds.toFixed(2)} s) written to ${path}${which}${kept}`
  );
}

/**
 * Draws `runs` into `path`, one above the other on one time scale. Throws an Error whose message
 * names the file and the reason when it cannot be written.
 */
export async function writeTimelineRuns(
  path: string,
  runs: readonly TimelineRun[],
  title?: string,
): Promise<void> {
  const format = timelineFormatOf(path);
  if (format === undefined)
    throw new Error(`cannot draw a timeline into ${path}: not .svg or .html`);
  try {
    await writeFile(path, renderTimeline(runs, format, title === undefined ? {} : { title }));
  } catch (error) {
    throw new Error(`cannot write the timeline to ${path}: ${describeSystemError(error)}`);
  }
}

export { TimelineRecorder } from '../timeline/index.js';
