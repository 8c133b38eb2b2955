// Writing a timeline file and reading back the runs it keeps, for --timeline and --timeline-append.

import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTimelineFile, writeTimeline } from '../../../src/cli/timeline-file.js';
import type { FetchEvent } from '../../../src/poetry/events.js';
import { MAX_EMBEDDED_EVENTS } from '../../../src/timeline/embed.js';
import type { TimelineRun } from '../../../src/timeline/index.js';
import { removeScratchDirs, scratchDir } from '../../helpers/scratch.js';

const A = '127.0.0.1:10001';

/** A run of one address that received `chunks` one-byte chunks, then its poem. */
function runOf(chunks: number): TimelineRun {
  const events: FetchEvent[] = [{ type: 'connecting', index: 0, address: A, seconds: 0 }];
  for (let i = 1; i <= chunks; i++) {
    events.push({ type: 'chunk', index: 0, address: A, seconds: i / 1e5, bytes: 1, totalBytes: i });
  }
  events.push({ type: 'done', index: 0, address: A, seconds: 3, bytes: chunks });
  return { addresses: [A], events, startSeconds: 0, endSeconds: 3 };
}

describe('writeTimeline', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await scratchDir('poetry-timeline-file-');
  });

  afterEach(async () => {
    await removeScratchDirs();
  });

  it('says which run it drew, and keeps the runs for a later one to be added', async () => {
    const file = join(dir, 'runs.html');
    expect(await readTimelineFile(file)).toEqual([]);
    await writeTimeline(file, runOf(3));
    const said = await writeTimeline(file, runOf(2), await readTimelineFile(file));
    expect(said).toBe(
      `timeline of 1 address (1 poem, 2 chunks over 3.00 s) written to ${file} (run 2 of 2)`,
    );
    expect((await readTimelineFile(file)).map((run) => run.events.length)).toEqual([5, 4]);
  });

  it('says so at once when the file has too many events to keep its runs', async () => {
    const file = join(dir, 'huge.html');
    const said = await writeTimeline(file, runOf(MAX_EMBEDDED_EVENTS));
    expect(said).toMatch(/; at 200,002 events it keeps no runs, so none can be added to it$/);
    await expect(readTimelineFile(file)).rejects.toThrow(/it keeps no recorded runs/);
  });
});
