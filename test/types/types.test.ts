// The package's types as a user meets them: a small program (fixture.ts) compiled under `strict`
// against the built dist/*.d.ts, so a failure typed back to `Error` (or `any`) breaks the build.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const project = fileURLToPath(new URL('./', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** tsc's diagnostics for the fixture project, empty when it compiles. */
async function compile(): Promise<string> {
  try {
    await run(process.execPath, [tsc, '--noEmit', '-p', project], {
      cwd: root,
      timeout: 60_000,
    });
    return '';
  } catch (error) {
    const { stdout, stderr, message } = error as { stdout?: string; stderr?: string } & Error;
    return `${stdout ?? ''}${stderr ?? ''}` || message;
  }
}

describe('the built package’s types, under strict', () => {
  it('types every failure it hands out as PoetryNowError, so reason.code compiles without a cast', async () => {
    // `npm test` builds first; the fixture must see what a user installs, not the sources.
    expect(existsSync(`${root}dist/index.d.ts`), 'dist/index.d.ts: run `npm run build`').toBe(true);
    expect(await compile()).toBe('');
  }, 60_000);
});
