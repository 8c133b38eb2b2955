// get-poetry --timeline as a user runs it: the file it writes, and the files it refuses.

import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LONGEST_TIMELINE_BYTES } from '../../src/cli/timeline-file.js';
import { closeAllPeers, refusedPort, startPoetryPeer } from '../helpers/peers.js';
import { killRunningClis, runCli } from '../helpers/run-cli.js';
import { removeScratchDirs, scratchDir } from '../helpers/scratch.js';

/** The runs drawn in a timeline file, top to bottom: their titles and how many lanes each has. */
function runsDrawn(html: string): { title: string; lanes: number }[] {
  return [
    ...html.matchAll(/<g class="run" data-run="(\d+)" data-title="([^"]*)" data-lanes="(\d+)"/g),
  ]
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => ({ title: m[2]!, lanes: Number(m[3]) }));
}

describe('get-poetry --timeline', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await scratchDir('poetry-timeline-');
  });

  afterEach(async () => {
    killRunningClis();
    await closeAllPeers();
    await removeScratchDirs();
  });

  it('draws one lane per address, in argument order, with a mark per chunk and the failure', async () => {
    const slow = await startPoetryPeer('four chunks of poetry!!', { chunkSize: 6, delayMs: 20 });
    const fast = await startPoetryPeer('all at once\n');
    const refused = `127.0.0.1:${await refusedPort()}`;
    const file = join(dir, 'run.html');
    const { status, stderr } = await runCli('get-poetry', [
      '--quiet',
      '--timeline',
      file,
      slow.address,
      refused,
      fast.address,
    ]);
    expect(status).toBe(1);
    // How many reads the slow poem takes is the machine's to decide (pieces 20 ms apart may
    // arrive together): the count of chunks is checked on fakes, in the unit tests.
    expect(stderr).toMatch(/timeline of 3 addresses \(2 poems, 1 failed, \d+ chunks over /);
    expect(stderr).toContain(`written to ${file}`);
    const html = await readFile(file, 'utf8');
    const lanes = [...html.matchAll(/<g class="lane" data-lane="(\d)" data-address="([^"]+)"/g)]
      .map((m) => [Number(m[1]), m[2]] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, address]) => address);
    expect(lanes).toEqual([slow.address, refused, fast.address]);
    expect(html).toContain('connection refused');
    expect(html).not.toMatch(/<script|https?:/);
  });

  it('writes SVG for a .svg file', async () => {
    const peer = await startPoetryPeer('a poem\n');
    const file = join(dir, 'run.svg');
    const { status } = await runCli('get-poetry', ['--quiet', '--timeline', file, peer.address]);
    expect(status).toBe(0);
    expect(await readFile(file, 'utf8')).toMatch(/^(<\?xml[^>]*>\s*)?<svg /);
  });

  it('refuses a timeline it could not write, before fetching anything', async () => {
    const peer = await startPoetryPeer('a poem\n');
    const file = join(dir, 'no-such-folder', 'run.html');
    const { status, stderr } = await runCli('get-poetry', ['--timeline', file, peer.address]);
    expect(status).toBe(1);
    expect(stderr).toBe(
      `get-poetry: cannot write the timeline to ${file}: ENOENT: no such file or directory, access '${join(dir, 'no-such-folder')}'\n`,
    );
    expect(peer.connections).toBe(0);
  });

  it('draws the thread that ran the fetches in a lane under them', async () => {
    const peer = await startPoetryPeer('a poem\n');
    const file = join(dir, 'run.html');
    const { status } = await runCli('get-poetry', ['--quiet', '--timeline', file, peer.address]);
    expect(status).toBe(0);
    const html = await readFile(file, 'utf8');
    expect(html.match(/<g class="thread-lane"/g)).toHaveLength(1);
    expect(html).toContain('>event loop thread<');
  });

  it('adds a run below the runs a file holds, with --timeline-append, on one time scale', async () => {
    const slow = await startPoetryPeer('four chunks of poetry!!', { chunkSize: 6, delayMs: 20 });
    const fast = await startPoetryPeer('all at once\n');
    const file = join(dir, 'compare.html');
    const first = await runCli('get-poetry', [
      '--quiet',
      '--concurrency',
      '1',
      '--timeline-append',
      file,
      slow.address,
      fast.address,
    ]);
    expect(first.status).toBe(0);
    expect(first.stderr).toContain(`written to ${file}\n`);
    const second = await runCli('get-poetry', [
      '--quiet',
      '--timeline-append',
      file,
      slow.address,
      fast.address,
    ]);
    expect(second.status).toBe(0);
    expect(second.stderr).toMatch(
      /timeline of 2 addresses \(2 poems, \d+ chunks over [\d.]+ s\) written to .* \(run 2 of 2\)/,
    );
    const third = await runCli('get-poetry', [
      '--quiet',
      '--timeline-append',
      file,
      '--timeline-title',
      'mine <3',
      fast.address,
    ]);
    expect(third.status).toBe(0);
    const html = await readFile(file, 'utf8');
    expect(runsDrawn(html)).toEqual([
      { title: '2 addresses, one after another (--concurrency 1)', lanes: 2 },
      { title: '2 addresses, all at once', lanes: 2 },
      { title: 'mine &lt;3', lanes: 1 },
    ]);
    expect(html.match(/<g class="thread-lane"/g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('refuses to add a run to a file that is not a timeline, before fetching', async () => {
    const peer = await startPoetryPeer('a poem\n');
    const file = join(dir, 'notes.html');
    await writeFile(file, '<html><body>my notes</body></html>\n');
    const { status, stderr } = await runCli('get-poetry', [
      '--timeline-append',
      file,
      peer.address,
    ]);
    expect(status).toBe(1);
    expect(stderr).toBe(
      `get-poetry: cannot add a run to ${file}: it keeps no recorded runs (it is not a timeline, or one of more than 200,000 events)\n`,
    );
    expect(peer.connections).toBe(0);
    expect(await readFile(file, 'utf8')).toBe('<html><body>my notes</body></html>\n');
  });

  it('refuses, in one line and by its size alone, a file too long to be a timeline', async () => {
    const peer = await startPoetryPeer('a poem\n');
    const file = join(dir, 'huge.html');
    // Sparse: it takes no room on disk, and is never read.
    await writeFile(file, '');
    await truncate(file, LONGEST_TIMELINE_BYTES + 1);
    const { status, stderr } = await runCli('get-poetry', [
      '--timeline-append',
      file,
      peer.address,
    ]);
    expect(status).toBe(1);
    expect(stderr).toMatch(
      new RegExp(
        `^get-poetry: cannot add a run to ${file}: at \\d+ MiB it cannot be a timeline\\n$`,
      ),
    );
    expect(peer.connections).toBe(0);
  });

  it('takes --timeline or --timeline-append, not both', async () => {
    const { status, stderr } = await runCli('get-poetry', [
      '--timeline',
      'a.html',
      '--timeline-append',
      'b.html',
      '10000',
    ]);
    expect(status).toBe(2);
    expect(stderr).toContain('cannot be used with');
  });

  it('refuses a timeline file that is neither .svg nor .html, before fetching', async () => {
    const { status, stderr } = await runCli('get-poetry', ['--timeline', 'run.png', '10000']);
    expect(status).toBe(2);
    expect(stderr).toContain('must end in .svg or .html');
  });
});
