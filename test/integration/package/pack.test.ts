// The package as a user gets it: packed, installed offline into an empty project, and used there
// through npx, the installed commands, `import` and `require`, under the Node that runs the tests;
// the fetch through the installed get-poetry, and `import` and `require`, under the tests'
// runtime (POETRY_TEST_RUNTIME) as its users would type them.

import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedCommand, runtimeCommand, runtimeEnv } from '../../helpers/runtime.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
// npm, npx and the commands' `#!/usr/bin/env node` all find this Node first on the PATH.
const env: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
  NO_COLOR: '1',
};
const TIMEOUT_MS = 30_000;

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

describe('the packed package', () => {
  let scratch: string;
  let app: string;
  let packedFiles: string[];
  let pkg: { version: string; scripts: Record<string, string>; dependencies?: object };

  beforeAll(async () => {
    pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    scratch = await mkdtemp(join(tmpdir(), 'poetry-now-pack-'));
    // The dist/ that `npm test` has just built: prepack's build would rewrite it under the feet of
    // the tests running beside this one.
    const { stdout } = await run(
      npm,
      ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch],
      { cwd: root, env, timeout: TIMEOUT_MS },
    );
    const [packed] = JSON.parse(stdout) as [Packed];
    packedFiles = packed.files.map((file) => file.path);
    app = join(scratch, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), '{"name":"app","private":true}\n');
    // Offline: the package needs nothing but itself.
    await run(
      npm,
      ['install', '--offline', '--no-audit', '--no-fund', join(scratch, packed.filename)],
      { cwd: app, env, timeout: TIMEOUT_MS },
    );
  }, 2 * TIMEOUT_MS);

  afterAll(async () => {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  it('holds the library and the two commands, nothing the demo, the build or the tests need', () => {
    for (const path of packedFiles) {
      expect(path).toMatch(/^(dist\/|package\.json$|README\.md$|LICENSE$)/);
      expect(path).not.toMatch(/\.test\.|(^|\/)test\/|demo|\.cache$/);
    }
    for (const path of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/testing/index.js',
      'dist/testing/index.d.ts',
      'dist/cli/package.json',
      'dist/cli/get-poetry.js',
      'dist/cli/get-poetry.bundle.js',
      'dist/cli/poetry-server.js',
      'dist/cli/poetry-server.bundle.js',
    ]) {
      expect(packedFiles).toContain(path);
    }
  });

  it('depends on no other package and is built before it is packed', async () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.scripts.prepack).toBe('npm run build');
    const installed = (await readdir(join(app, 'node_modules'))).filter((n) => !n.startsWith('.'));
    expect(installed).toEqual(['poetry-now']);
  });

  it('runs `npx get-poetry` and `npx poetry-server` for help and version', async () => {
    for (const command of ['get-poetry', 'poetry-server']) {
      const help = await run(npx, ['--no-install', command, '--help'], {
        cwd: app,
        env,
        timeout: TIMEOUT_MS,
      });
      expect(help.stdout).toContain(`Usage: ${command}`);
      const version = await run(npx, ['--no-install', command, '--version'], {
        cwd: app,
        env,
        timeout: TIMEOUT_MS,
      });
      expect(version.stdout).toBe(`${pkg.version}\n`);
    }
  });

  it('serves a poem with the installed poetry-server, fetches it with `npx get-poetry`, and stops the server on SIGTERM', async () => {
    const poem = join(app, 'poem.txt');
    await writeFile(poem, 'a poem for the packed package\nin two lines\n');
    // The command npx runs, started directly: npx runs it under `sh -c`, which would not pass
    // SIGTERM on.
    const server = spawn(
      join(app, 'node_modules', '.bin', 'poetry-server'),
      ['--port', '0', '--iface', '127.0.0.1', '--delay', '0', '--quiet', 'poem.txt'],
      { cwd: app, env, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(server, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const timer = setTimeout(() => server.kill('SIGKILL'), TIMEOUT_MS);
    try {
      const lines = createInterface({ input: server.stdout });
      const [first] = (await Promise.race([once(lines, 'line'), exited])) as [string];
      const port = /^Serving poem\.txt on 127\.0\.0\.1:(\d+)$/.exec(first)?.[1];
      expect(port, first).toBeDefined();
      const [command, ...args] = installedCommand('get-poetry', [`127.0.0.1:${port}`]);
      const { stdout } = await run(command!, args, {
        cwd: app,
        env: runtimeEnv(env),
        encoding: 'buffer',
        timeout: TIMEOUT_MS,
      });
      expect(stdout.equals(await readFile(poem))).toBe(true);
      server.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
    } finally {
      clearTimeout(timer);
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    }
  });

  it('can be imported by both entry points and required', async () => {
    await writeFile(
      join(app, 'check.mjs'),
      [
        "import * as poetryNow from 'poetry-now';",
        "import * as testing from 'poetry-now/testing';",
        'console.log(typeof poetryNow.getPoetry, typeof poetryNow.Reactor, typeof testing.Clock);',
      ].join('\n'),
    );
    await writeFile(
      join(app, 'check.cjs'),
      "const poetryNow = require('poetry-now');\nconsole.log(typeof poetryNow.fetchPoem);\n",
    );
    const options = { cwd: app, env: runtimeEnv(env), timeout: TIMEOUT_MS };
    const [importer, ...importArgs] = runtimeCommand('check.mjs');
    const imported = await run(importer!, importArgs, options);
    expect(imported.stdout).toBe('function function function\n');
    const [requirer, ...requireArgs] = runtimeCommand('check.cjs');
    const required = await run(requirer!, requireArgs, options);
    expect(required.stdout).toBe('function\n');
  });
});
