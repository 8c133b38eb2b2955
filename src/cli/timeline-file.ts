// Writing a run's timeline to the file a user named, for get-poetry --timeline and the demo.

import { constants } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { describeSystemError } from '../internet/errors.js';
import {
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
 * Draws `run` into `path` (SVG or HTML by its extension) and returns the sentence that says so:
 * `timeline of 5 addresses (3 poems, 2 failed, 44 chunks over 1.00 s) written to run.html`.
 * Throws an Error whose message names the file and the reason when it cannot be written.
 */
export async function writeTimeline(path: string, run: TimelineRun): Promise<string> {
  const format = timelineFormatOf(path);
  if (format === undefined)
    throw new Error(`cannot draw a timeline into ${path}: not .svg or .html`);
  try {
    await writeFile(path, renderTimeline(run, format));
  } catch (error) {
    throw new Error(`cannot write the timeline to ${path}: ${describeSystemError(error)}`);
  }
  const s = summarizeTimeline(run);
  const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  const failed = s.failed === 0 ? '' : `, ${s.failed} failed`;
  return (
    `timeline of ${count(s.addresses, 'address', 'addresses')} ` +
    `(${count(s.poems, 'poem', 'poems')}${failed}, ${count(s.chunks, 'chunk', 'chunks')} ` +
    `over ${s.durationSeconds.toFixed(2)} s) written to ${path}`
  );
}

export { TimelineRecorder } from '../timeline/index.js';
