// Keeps the README's library examples true: each ```js block runs against real loopback servers,
// under the tests' runtime (POETRY_TEST_RUNTIME).

import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Reactor } from '../../src/internet/reactor.js';
import { type PoetryServer, servePoetry, silentLogger } from '../../src/poetry/server.js';
import { BufferPoemSource } from '../../src/poetry/server-source.js';
import { runtimeCommand, runtimeEnv } from '../helpers/runtime.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
// Inside the package, so `import … from 'poetry-now'` resolves to the package itself (dist/).
const scratch = join(root, '.readme-check');

const readme = await readFile(join(root, 'README.md'), 'utf8');
const examples = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]!);

describe('the README examples', () => {
  const reactor = new Reactor();
  const servers: PoetryServer[] = [];
  const ports: number[] = [];

  beforeAll(async () => {
    await mkdir(scratch, { recursive: true });
    // Slow enough (about 1.5 s a poem) that the AbortSignal example's 100 ms cancels a fetch.
    for (const poem of ['a slow poem, ten bytes at a time\n'.repeat(9), 'a short one\n']) {
      const server = await servePoetry(reactor, new BufferPoemSource(poem), {
        interface: '127.0.0.1',
        delay: 0.05,
        numBytes: 10,
        logger: silentLogger,
      });
      servers.push(server);
      ports.push(server.getHost().port);
    }
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.shutdown(0)));
    await rm(scratch, { recursive: true, force: true });
  });

  it('has examples to check', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });

  it.each(examples.map((code, index) => [index + 1, code] as const))(
    'runs example %i to completion',
    async (index, code) => {
      const file = join(scratch, `example-${index}.mjs`);
      const source = code
        .replaceAll('10000', String(ports[0]))
        .replaceAll('10001', String(ports[1]));
      await writeFile(file, source);
      const [executable, ...argv] = runtimeCommand(file);
      const { stdout } = await run(executable!, argv, {
        cwd: scratch,
        env: runtimeEnv(),
        timeout: 20_000,
      });
      expect(stdout.length).toBeGreaterThan(0);
      expect(stdout).not.toMatch(/ERR_(?!CANCELLED)/);
    },
    30_000,
  );
});
