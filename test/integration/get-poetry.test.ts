// get-poetry as a user runs it: the built command against real servers on loopback, for what only
// a real process shows (files, signals, a closed pipe, the exit status of a usage error). What the
// command prints for each outcome is tested on fakes in test/unit/cli; what it makes of each
// misbehaving server, in test/faults/client-cli.test.ts.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeAllPeers,
  startBlackholePeer,
  startPoetryPeer,
  startResetPeer,
} from '../helpers/peers.js';
import { killRunningClis, runCli, startCli } from '../helpers/run-cli.js';
import { removeScratchDirs, scratchDir } from '../helpers/scratch.js';

afterEach(async () => {
  killRunningClis();
  await closeAllPeers();
  await removeScratchDirs();
});

const SONNET =
  'Shall I compare thee to a summer’s day?\nThou art more lovely and more temperate:\n';

describe('get-poetry', () => {
  it('streams poems into --output files and leaves no complete-looking file for a failure', async () => {
    const dir = join(await scratchDir('get-poetry-'), 'made', 'for', 'poems');
    const big = Buffer.alloc(3 * 1024 * 1024, 'Big poem line.\n');
    const good = await startPoetryPeer(big, { chunkSize: 256 * 1024 });
    const broken = await startResetPeer('Half a po');
    const result = await runCli('get-poetry', [
      '--output',
      dir,
      '--json',
      good.address,
      broken.address,
    ]);
    expect(result.status).toBe(1);
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([`001-127.0.0.1-${good.port}.txt`]);
    expect((await readFile(join(dir, files[0]!))).equals(big)).toBe(true);
    const document = JSON.parse(result.stdout.toString());
    expect(document.poems).toEqual([
      {
        index: 1,
        address: good.address,
        attempts: 1,
        bytes: big.length,
        file: join(dir, files[0]!),
      },
    ]);
    expect(document.failures[0]).toMatchObject({ index: 2, code: 'ERR_POEM_INCOMPLETE' });
  });

  it('stops quietly when the reader of stdout goes away (get-poetry … | head)', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 'A long, long poem.\n');
    const server = await startPoetryPeer(big);
    const run = startCli('get-poetry', [server.address, server.address]);
    run.child.stdout!.once('data', () => run.child.stdout!.destroy());
    const result = await run.done;
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('Got 2 poems');
    expect(result.stderr).not.toContain('EPIPE');
  });

  it('exits 130 on a real Ctrl-C (SIGINT), cancelling the fetch still running', async () => {
    const good = await startPoetryPeer(SONNET);
    const silent = await startBlackholePeer();
    const run = startCli('get-poetry', ['--verbose', good.address, silent.address]);
    await run.stderrIncludes('Task 1 finished');
    run.child.kill('SIGINT');
    const result = await run.done;
    // What it prints then is the unit tests' (on a fake Ctrl-C): here, that the signal gets there.
    expect(result.status).toBe(130);
    expect(result.stderr).toContain(`  ${silent.address}: cancelled\n`);
  });
});

describe('get-poetry usage errors', () => {
  it('exits 2 naming the bad address in one line and a hint, without a stack trace', async () => {
    const result = await runCli('get-poetry', ['10000', '1e4']);
    expect(result.status).toBe(2);
    expect(result.stdout.length).toBe(0);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^get-poetry: invalid address "1e4"/);
    expect(lines[1]).toBe("(see 'get-poetry --help')");
  });
});
