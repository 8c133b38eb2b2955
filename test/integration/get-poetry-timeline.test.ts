// get-poetry --timeline as a user runs it: the file it writes, and the files it refuses.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeAllPeers, refusedPort, startPoetryPeer } from '../helpers/peers.js';
import { killRunningClis, runCli } from '../helpers/run-cli.js';
import { removeScratchDirs, scratchDir } from '../helpers/scratch.js';

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

  it('refuses a timeline file that is neither .svg nor .html, before fetching', async () => {
    const { status, stderr } = await runCli('get-poetry', ['--timeline', 'run.png', '10000']);
    expect(status).toBe(2);
    expect(stderr).toContain('must end in .svg or .html');
  });
});
