// The commands' launcher (src/cli/launch.cts): each built command starts from the code cache the
// build made for it, and runs all the same when that cache is rejected, stale or missing.

import { execFile } from 'node:child_process';
import {
  copyFile,
  cp,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs `node COMMAND --version` from `dist`, with the launcher saying what it did with the cache. */
async function version(dist: string, command: string): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [join(dist, 'cli', `${command}.js`), '--version'], {
    env: { ...process.env, NODE_DEBUG: 'poetry-now' },
    timeout: 20_000,
  });
}

describe('the commands’ launcher', () => {
  let expected: string;
  let scratch: string;
  let copy: string;

  beforeAll(async () => {
    expected = `${JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).version}\n`;
    // A copy of the built package to spoil: the commands find package.json two folders up.
    scratch = await mkdtemp(join(tmpdir(), 'poetry-now-launch-'));
    await copyFile(join(root, 'package.json'), join(scratch, 'package.json'));
    await cp(join(root, 'dist', 'cli'), join(scratch, 'dist', 'cli'), {
      recursive: true,
      preserveTimestamps: true,
    });
    copy = join(scratch, 'dist');
  });

  afterAll(async () => {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  it.each(['get-poetry', 'poetry-server'])(
    'starts %s from the code cache the build made',
    async (command) => {
      const { stdout, stderr } = await version(join(root, 'dist'), command);
      expect(stdout).toBe(expected);
      expect(stderr).toMatch(/code cache: used/);
    },
  );

  it('runs a command all the same when its cache is rejected, older than its bundle, or missing', async () => {
    const folder = join(copy, 'cli');
    const bundle = join(folder, 'get-poetry.bundle.js');
    const [cacheName] = (await readdir(folder)).filter(
      (name) => name.startsWith('get-poetry.bundle.js.') && name.endsWith('.cache'),
    );
    expect(cacheName).toContain(`.${process.versions.v8}.cache`);
    const cache = join(folder, cacheName!);
    const cacheBytes = await readFile(cache);

    await writeFile(cache, Buffer.alloc(4096, 7));
    let result = await version(copy, 'get-poetry');
    expect(result.stdout).toBe(expected);
    expect(result.stderr).toMatch(/code cache: rejected/);

    await writeFile(cache, cacheBytes);
    const built = (await stat(bundle)).mtime;
    const before = new Date(built.getTime() - 60_000);
    await utimes(cache, before, before);
    result = await version(copy, 'get-poetry');
    expect(result.stdout).toBe(expected);
    expect(result.stderr).toMatch(/code cache: older than/);

    // Another build of the bundle (its mark differs): the cache made for this one is not its.
    const source = await readFile(bundle, 'utf8');
    await writeFile(
      bundle,
      source.replace(/\/\/ build [0-9a-f]+\n$/, '// build 0123456789abcdef\n'),
    );
    await utimes(cache, new Date(), new Date());
    result = await version(copy, 'get-poetry');
    expect(result.stdout).toBe(expected);
    expect(result.stderr).toMatch(/code cache: none .*\(build 0123456789abcdef\)/);

    await rm(cache);
    result = await version(copy, 'get-poetry');
    expect(result.stdout).toBe(expected);
    expect(result.stderr).toMatch(/code cache: none/);
  });
});
