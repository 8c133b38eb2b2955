// get-poetry's size cap, run as a user would: a poem bigger than the 64 MiB default streams whole
// to a file with --output, the default still holds a poem kept in memory, and a --max-bytes with
// a unit caps --output too. How fast, and at what cost in memory, vary with the machine: these
// tests assert only what cannot.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeNumberedPoem } from '../helpers/numbered-poem.js';
import { killRunningClis, runCli } from '../helpers/run-cli.js';
import { startServer, stopServersAndReaders } from '../helpers/server-process.js';

const MiB = 1 << 20;
/** Bigger than the 64 MiB default cap, by enough that no rounding hides the difference. */
const POEM_MIB = 80;

let dir = '';
let poemPath = '';
let poemSha256 = '';

/** /dev/shm when it has room for the poem and its copy (and some to spare), else the temp dir. */
async function scratchBase(): Promise<string> {
  try {
    const fs = await statfs('/dev/shm');
    if (fs.bavail * fs.bsize > 4 * POEM_MIB * MiB) return '/dev/shm';
  } catch {
    // No /dev/shm here: the temp dir will do.
  }
  return tmpdir();
}

/** One MiB of printable ASCII, numbered per block by writeNumberedPoem. */
function printableMiB(): Buffer {
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < block.length; i++) block[i] = 0x20 + ((i * 7) % 95);
  return block;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

beforeAll(async () => {
  dir = await mkdtemp(join(await scratchBase(), 'get-poetry-sizes-'));
  poemPath = join(dir, 'big-poem.txt');
  poemSha256 = await writeNumberedPoem(poemPath, POEM_MIB, printableMiB());
}, 30_000);
afterEach(async () => {
  killRunningClis();
  await stopServersAndReaders();
});
afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

async function serveBigPoem(): Promise<string> {
  const server = await startServer(['--iface', '127.0.0.1', '--delay', '0', '--quiet', poemPath]);
  return `127.0.0.1:${server.port}`;
}

describe('get-poetry and the size cap', () => {
  it('streams a poem larger than 64 MiB whole to --output when no --max-bytes is given', async () => {
    const address = await serveBigPoem();
    const out = join(dir, 'out-uncapped');
    const result = await runCli('get-poetry', ['--no-progress', '--output', out, address], {
      timeoutMs: 60_000,
    });
    expect(result.stderr).not.toContain('larger than');
    expect(result.status).toBe(0);
    const files = await readdir(out);
    expect(files).toHaveLength(1);
    expect(await sha256Of(join(out, files[0]!))).toBe(poemSha256);
  }, 70_000);

  it('still caps a poem held in memory at 64 MiB, and says so in MiB', async () => {
    const address = await serveBigPoem();
    const result = await runCli('get-poetry', ['--no-progress', '--quiet', address], {
      timeoutMs: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the poem is larger than the 64 MiB cap');
  }, 70_000);

  it('caps --output at --max-bytes 1MiB, says so in MiB, and leaves no file', async () => {
    const address = await serveBigPoem();
    const out = join(dir, 'out-capped');
    const result = await runCli(
      'get-poetry',
      ['--no-progress', '--output', out, '--max-bytes', '1MiB', address],
      { timeoutMs: 30_000 },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the poem is larger than the 1 MiB cap');
    expect(await readdir(out)).toEqual([]);
  }, 40_000);

  it('refuses a --max-bytes it cannot read, in one line, with exit status 2', async () => {
    const result = await runCli('get-poetry', ['--max-bytes', '64 MiBs', '127.0.0.1:1']);
    expect(result.status).toBe(2);
    const [first, hint] = result.stderr.split('\n');
    expect(first).toMatch(/^get-poetry: option '--max-bytes <size>' argument '64 MiBs' is invalid/);
    expect(first).toContain('KiB, MiB, GiB');
    expect(hint).toBe("(see 'get-poetry --help')");
  });
});
