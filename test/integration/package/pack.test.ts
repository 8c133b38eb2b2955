import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('the packed package', () => {
  let scratch: string;
  let app: string;
  let packedFiles: string[];
  let version: string;

  beforeAll(async () => {
    version = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).version;
    scratch = await mkdtemp(join(tmpdir(), 'poetry-now-pack-'));
    const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', scratch], {
      cwd: root,
    });
    const [packed] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
    packedFiles = packed.files.map((file) => file.path);
    app = join(scratch, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), '{"name":"app","private":true}\n');
    await run(
      npm,
      ['install', '--no-audit', '--no-fund', '--prefer-offline', join(scratch, packed.filename)],
      { cwd: app },
    );
  }, 120_000);

  afterAll(async () => {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  it('holds only the built code, the poems and the package files: no tests, no sources of tests', () => {
    for (const path of packedFiles) {
      expect(path).toMatch(/^(dist\/|poems\/|package\.json$|README\.md$|LICENSE$)/);
      expect(path).not.toMatch(/\.test\.|(^|\/)test\//);
    }
    expect(packedFiles).toContain('dist/cli/get-poetry.js');
    expect(packedFiles).toContain('dist/cli/poetry-server.js');
    expect(packedFiles).toContain('dist/index.d.ts');
    expect(packedFiles.some((path) => path.startsWith('poems/'))).toBe(true);
  });

  it('installs into an empty folder where `npx get-poetry --help` and `npx poetry-server --help` work', async () => {
    for (const command of ['get-poetry', 'poetry-server']) {
      const { stdout } = await run('npx', ['--no-install', command, '--help'], { cwd: app });
      expect(stdout).toContain(`Usage: ${command}`);
      const { stdout: printed } = await run('npx', ['--no-install', command, '--version'], {
        cwd: app,
      });
      expect(printed.trim()).toBe(version);
    }
  });

  it('fetches a bundled poem from a packed poetry-server with the packed get-poetry', async () => {
    const poem = join(app, 'node_modules', 'poetry-now', 'poems', 'the-reactor.txt');
    const server = spawn(
      join(app, 'node_modules', '.bin', 'poetry-server'),
      ['--port', '0', '--iface', '127.0.0.1', '--delay', '0', poem],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const lines = createInterface({ input: server.stdout });
      const [first] = (await once(lines, 'line')) as [string];
      const port = /on 127\.0\.0\.1:(\d+)$/.exec(first)?.[1];
      expect(port).toBeDefined();
      const { stdout } = await run('npx', ['--no-install', 'get-poetry', `127.0.0.1:${port}`], {
        cwd: app,
        encoding: 'buffer',
      });
      expect(stdout.equals(await readFile(poem))).toBe(true);
    } finally {
      if (server.exitCode === null && server.signalCode === null) {
        const exited = once(server, 'exit');
        server.kill('SIGTERM');
        await exited;
      }
    }
  });
});
