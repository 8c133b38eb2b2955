// How a built command starts (src/cli/start.cts): with Node's compile cache where Node has one,
// the plain way where it has none.

import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath } from '../../helpers/run-cli.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const COMMANDS = ['get-poetry', 'poetry-server'];
const hasCompileCache =
  typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';

describe('a command’s start-up', () => {
  let scratch: string;
  let expected: string;
  let withoutCompileCache: string;

  beforeAll(async () => {
    expected = `${JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).version}\n`;
    scratch = await mkdtemp(join(tmpdir(), 'poetry-now-start-'));
    // Makes the Node that runs the tests look like one from before the compile cache.
    withoutCompileCache = join(scratch, 'without-compile-cache.cjs');
    await writeFile(withoutCompileCache, "delete require('node:module').enableCompileCache;\n");
  });

  afterAll(async () => {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  /**
   * Runs `node [NODE_ARGS] COMMAND --version` with its own temp folder (where Node keeps the
   * compile cache unless told otherwise) and returns what it printed and the files Node cached.
   */
  async function version(
    command: string,
    nodeArgs: string[] = [],
  ): Promise<{ stdout: string; cached: string[] }> {
    const temp = await mkdtemp(join(scratch, `${command}-`));
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: temp };
    delete env.NODE_COMPILE_CACHE;
    delete env.NODE_DISABLE_COMPILE_CACHE;
    const { stdout } = await run(process.execPath, [...nodeArgs, cliPath(command), '--version'], {
      env,
      timeout: 20_000,
    });
    const entries = await readdir(join(temp, 'node-compile-cache'), {
      recursive: true,
      withFileTypes: true,
    }).catch(() => []);
    return { stdout, cached: entries.filter((entry) => entry.isFile()).map((entry) => entry.name) };
  }

  it.runIf(hasCompileCache).each(COMMANDS)(
    'keeps what V8 compiled for %s in Node’s compile cache, in the temp folder by default',
    async (command) => {
      const first = await version(command);
      expect(first.stdout).toBe(expected);
      expect(first.cached.length).toBeGreaterThan(0);
    },
  );

  it.each(COMMANDS)(
    'starts %s all the same under a Node without module.enableCompileCache, caching nothing',
    async (command) => {
      const { stdout, cached } = await version(command, ['--require', withoutCompileCache]);
      expect(stdout).toBe(expected);
      expect(cached).toEqual([]);
    },
  );
});
