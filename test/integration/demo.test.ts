import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runtimeCommand, runtimeEnv } from '../helpers/runtime.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

describe('the demo (npm start)', () => {
  it('serves three bundled poems, fetches them at once and one by one, prints them, the speed-up and the picture of both', async () => {
    const [executable, ...argv] = runtimeCommand('dist/cli/demo.js');
    const { stdout } = await run(executable!, argv, {
      cwd: root,
      timeout: 60_000,
      env: runtimeEnv({ ...process.env, NO_COLOR: '1' }),
    });
    for (const file of ['the-reactor.txt', 'callback-inception.txt', 'ode-to-utf8.txt']) {
      const poem = await readFile(new URL(`../../poems/${file}`, import.meta.url), 'utf8');
      expect(stdout).toContain(`==> ${file} from 127.0.0.1:`);
      expect(stdout).toContain(poem);
    }
    expect(stdout).toMatch(/^async: \d+\.\d s; one after another it would be \d+\.\d s/m);
    const timeline = /^The picture of both runs, on one time scale, .*: (.+\.html)$/m.exec(stdout);
    expect(timeline).not.toBeNull();
    const html = await readFile(timeline![1]!, 'utf8');
    // The synchronous model above the asynchronous one, each with the thread that ran it.
    const runs = [...html.matchAll(/<g class="run" data-run="(\d)" data-title="([^"]+)"/g)]
      .sort((a, b) => Number(a[1]) - Number(b[1]))
      .map((m) => m[2]);
    expect(runs).toEqual([
      'One after another (the synchronous model)',
      'All at once, on one event loop (the asynchronous model)',
    ]);
    expect(html.match(/<g class="lane"/g)).toHaveLength(6);
    expect(html.match(/<g class="thread-lane"/g)).toHaveLength(2);
    for (const title of ['The Reactor', 'Callback Inception', 'Ode to UTF-8 — Ωδή']) {
      expect(
        html.match(new RegExp(`class="label mono"[^>]*>${title} · 127\\.0\\.0\\.1:\\d+<`, 'g')),
      ).toHaveLength(2);
    }
  }, 70_000);
});
