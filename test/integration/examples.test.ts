// Every program in examples/ runs against the built package, ends by itself, and prints what it
// is there to show.

import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const examplesFolder = fileURLToPath(new URL('../../examples/', import.meta.url));

interface Ran {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `args` with Node from the repository's root, as `npm run example` does. */
async function runNode(args: readonly string[]): Promise<Ran> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, args, {
      cwd: root,
      timeout: 30_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    return {
      status: typeof e.code === 'number' ? e.code : -1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? String(error),
    };
  }
}

/** Lines of `text` in which `pattern` matches. */
function linesMatching(text: string, pattern: RegExp): string[] {
  return text.split('\n').filter((line) => pattern.test(line));
}

/** What each example must print; keyed by its number. */
const CHECKS: Record<number, (stdout: string) => void> = {
  1: (stdout) => {
    const got = linesMatching(stdout, /^got "/);
    expect(got.map((line) => /^got "([^"]+)"/.exec(line)![1]).sort()).toEqual([
      'Callback Inception',
      'Ode to UTF-8 — Ωδή',
      'The Reactor',
    ]);
    expect(got.join('\n')).toMatch(/\(304 bytes\) from 127\.0\.0\.1:\d+/);
    expect(stdout).toMatch(/^the reactor stopped: 3 poems/m);
  },
  2: (stdout) => {
    expect(linesMatching(stdout, /^callback: /)).toHaveLength(2);
    expect(stdout).toMatch(
      /^errback: ConnectionRefusedError \(ERR_CONNECTION_REFUSED\): 127\.0\.0\.1:\d+: connection refused$/m,
    );
    expect(stdout).toMatch(/^the reactor stopped: 2 poems, 1 failed$/m);
  },
  3: (stdout) => {
    expect(stdout).toMatch(/^callback: "The Reactor" from 127\.0\.0\.1:\d+$/m);
    expect(stdout).toMatch(
      /^errback: PoemTimeoutError \(ERR_POEM_TIMEOUT\): 127\.0\.0\.1:\d+: no poem after 1 s; the connection was closed$/m,
    );
    expect(stdout).toMatch(/^the reactor stopped/m);
  },
  4: (stdout) => {
    const culprits = linesMatching(stdout, /is the culprit/);
    expect(culprits.map((line) => / culprit: (\w+)/.exec(line)![1]).sort()).toEqual([
      'ERR_CONNECTION_REFUSED',
      'ERR_IDLE_TIMEOUT',
    ]);
    // The address the example bound into its errback is the one the error carries.
    for (const line of culprits) {
      const [, bound, carried] = /^(\S+) is the culprit: .* says (\S+)\)$/.exec(line)!;
      expect(carried).toBe(bound);
    }
    expect(stdout).toMatch(/^127\.0\.0\.1:\d+ sent "Callback Inception" \(882 bytes\)$/m);
  },
  5: (stdout) => {
    expect(stdout).toContain(
      'fetchPoem: "The Reactor"\nfetchPoem rejected: ERR_CONNECTION_REFUSED\n',
    );
    expect(linesMatching(stdout, /^fetchPoems, in order: /)).toEqual([
      'fetchPoems, in order: "Callback Inception"',
      'fetchPoems, in order: "The Reactor"',
      'fetchPoems, in order: "Ode to UTF-8 — Ωδή"',
      expect.stringMatching(
        /^fetchPoems, in order: 127\.0\.0\.1:\d+ failed: ERR_CONNECTION_REFUSED$/,
      ),
    ]);
    const completed = linesMatching(stdout, /^poemsAsCompleted, as each ends: /).map((line) =>
      line.slice('poemsAsCompleted, as each ends: '.length),
    );
    expect([...completed].sort()).toEqual([
      '"Callback Inception"',
      '"Ode to UTF-8 — Ωδή"',
      '"The Reactor"',
      'ERR_CONNECTION_REFUSED',
    ]);
  },
  6: (stdout) => {
    expect(linesMatching(stdout, /^ok - /)).toHaveLength(3);
    expect(stdout).toMatch(/^all passed/m);
  },
};

const examples = readdirSync(examplesFolder)
  .filter((name) => /^\d+-.*\.mjs$/.test(name))
  .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));

describe('the examples (npm run example -- N)', () => {
  it('are the six steps of the lesson, numbered 1 to 6, each with a check below', () => {
    expect(examples.map((name) => Number.parseInt(name, 10))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Object.keys(CHECKS).map(Number)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('import the package only by its public names, as a user would, besides Node and each other', () => {
    const allowed = /^(poetry-now|poetry-now\/testing|node:[a-z/_]+|\.\/[\w.-]+\.mjs)$/;
    for (const name of readdirSync(examplesFolder).filter((file) => file.endsWith('.mjs'))) {
      const source = readFileSync(join(examplesFolder, name), 'utf8');
      const specifiers = [
        ...source.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/g),
      ].map((m) => m[1] ?? m[2]!);
      expect(specifiers.length, name).toBeGreaterThan(0);
      for (const specifier of specifiers) expect(specifier, name).toMatch(allowed);
    }
  });

  it.each(examples)(
    'runs %s to its end and prints what it shows',
    async (name) => {
      const ran = await runNode([`examples/${name}`]);
      expect(ran.stderr).toBe('');
      expect(ran.status).toBe(0);
      CHECKS[Number.parseInt(name, 10)]!(ran.stdout);
    },
    40_000,
  );

  it('runs an example by its number through the npm script, and refuses an unknown one', async () => {
    const ran = await runNode(['examples/run.mjs', '6']);
    expect(ran.status).toBe(0);
    expect(ran.stdout).toMatch(/^all passed/m);
    const unknown = await runNode(['examples/run.mjs', '7']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no example 7');
  }, 40_000);
});
