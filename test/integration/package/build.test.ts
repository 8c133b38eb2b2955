// The build (scripts/build.mjs) is reproducible: two builds of the same sources give the same bytes.

import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const build = fileURLToPath(new URL('../../../scripts/build.mjs', import.meta.url));

/** Every file under `folder`, by its path inside it, with its bytes. */
async function contents(folder: string): Promise<Map<string, Buffer>> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const files = new Map<string, Buffer>();
  for (const entry of entries.filter((entry) => entry.isFile())) {
    const path = join(entry.parentPath, entry.name);
    files.set(relative(folder, path), await readFile(path));
  }
  return files;
}

describe('the build', () => {
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'poetry-now-build-'));
  });

  afterAll(async () => {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  it('gives byte-identical output when run twice', async () => {
    const [first, second] = [join(scratch, 'first'), join(scratch, 'second')];
    // At once: the two builds take as long as one on two cores.
    await Promise.all(
      [first, second].map((out) => run(process.execPath, [build, out], { timeout: 60_000 })),
    );
    const [a, b] = [await contents(first), await contents(second)];
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    expect(a.has(join('cli', 'get-poetry.bundle.js'))).toBe(true);
    expect(a.has('index.js')).toBe(true);
    for (const [path, bytes] of a) {
      expect(bytes.equals(b.get(path)!), `${path} differs between the two builds`).toBe(true);
    }
  }, 90_000);
});
