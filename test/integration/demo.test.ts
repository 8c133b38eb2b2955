import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runtimeCommand, runtimeEnv } from '../helpers/runtime.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

describe('the demo (npm start)', () => {
  it('serves three bundled poems, fetches them at once, prints them and the measured speed-up', async () => {
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
    const timeline =
      /timeline of 3 addresses \(3 poems, \d+ chunks over [\d.]+ s\) written to (.+\.html)$/m.exec(
        stdout,
      );
    expect(timeline).not.toBeNull();
    const html = await readFile(timeline![1]!, 'utf8');
    expect(html.match(/<g class="lane"/g)).toHaveLength(3);
  }, 70_000);
});
