// A seeded, bounded fuzz of poetry-server's arguments through the built command: it never prints
// a stack trace and exits 0, 1 or 2 with one clear line; a case that starts serving is stopped at
// its first line. Ports are only ever 0 (or invalid), interfaces only loopback or IP literals, so
// nothing binds a fixed port or looks a name up.

import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Fuzzer,
  hasControlCharacters,
  isUsageError,
  NUMBERS,
  show,
  stackTraceLines,
} from '../helpers/fuzz.js';
import { killAllServers, runServer, ServerProcess } from '../helpers/server-process.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x9e3779b9) ^ 0x27d4eb2f;
const CASES = 160;
const PARALLEL = 8;

/** Port values that are 0 or invalid: a fuzz case never binds a fixed port. */
const PORTS = [
  '0',
  '00',
  '0.0',
  '-1',
  '-0',
  '+0',
  ' 0',
  '65536',
  '99999',
  '1e3',
  '0x10',
  '1.5',
  'abc',
  '',
  'Infinity',
];
/** Literals and localhost only: a name would be looked up. */
const INTERFACES = ['127.0.0.1', '::1', 'localhost', '1.2.3.4', '::2', ''];
/** Values every numeric option takes. */
const SENSIBLE = ['0.05', '1', '2', '10', '512'];
const VALUE_OPTIONS = [
  '--delay',
  '--num-bytes',
  '--max-connections',
  '--backlog',
  '--grace',
  '--stall-timeout',
];
const FLAGS = [
  '-q',
  '--quiet',
  '--help',
  '-h',
  '-V',
  '--version',
  '--bogus',
  '--',
  '-x',
  '--quiet=1',
  '--Port',
];

interface Ending {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  served: boolean;
}

/** Runs one case; a server that starts serving is sent SIGTERM at its first line. */
async function runCase(args: string[]): Promise<Ending> {
  const server = new ServerProcess(args);
  let served = false;
  const first = server
    .waitForLine(() => true, 'a first line')
    .then(
      (line) => {
        if (line.startsWith('Serving ')) {
          served = true;
          server.signal('SIGTERM');
        }
      },
      () => {},
    );
  const timer = setTimeout(() => server.signal('SIGKILL'), 15_000);
  const exit = await server.exited;
  clearTimeout(timer);
  await first;
  return {
    status: exit.code,
    signal: exit.signal,
    stdout: server.lines.join('\n'),
    stderr: server.stderr,
    served,
  };
}

describe('poetry-server argument fuzz, spawned', () => {
  let dir: string;
  let files: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fuzz-poetry-server-'));
    const poem = join(dir, 'poem.txt');
    await writeFile(poem, 'A poem to serve.\n');
    await writeFile(join(dir, 'empty'), '');
    await writeFile(join(dir, 'név ✓ with spaces'), 'Spaced.\n');
    await mkdir(join(dir, 'a-dir'));
    execFileSync('mkfifo', [join(dir, 'a-fifo')]);
    files = [
      poem,
      join(dir, 'empty'),
      join(dir, 'név ✓ with spaces'),
      join(dir, 'a-dir'),
      join(dir, 'a-fifo'),
      join(dir, 'missing'),
      '/dev/null',
      '-',
      '',
    ];
  });

  afterEach(async () => {
    await killAllServers();
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`runs ${CASES} seeded cases: status 0, 1 or 2, one clear line, no stack trace (seed ${SEED})`, async () => {
    console.info(`poetry-server fuzz seed: ${SEED}`);
    const f = new Fuzzer(SEED);
    const cases: string[][] = [];
    for (let n = 0; n < CASES; n++) {
      const args: string[] = [];
      // Most cases would serve on a free loopback port, so a typo elsewhere is what fails.
      if (f.chance(0.7)) args.push('--iface', f.chance(0.6) ? '127.0.0.1' : f.pick(INTERFACES));
      if (f.chance(0.3)) args.push('--port', f.chance(0.5) ? '0' : f.pick(PORTS));
      const count = f.int(4);
      for (let i = 0; i < count; i++) {
        const r = f.random();
        if (r < 0.55) {
          args.push(f.pick(VALUE_OPTIONS));
          if (f.chance(0.9)) {
            const r2 = f.random();
            args.push(r2 < 0.5 ? f.pick(SENSIBLE) : r2 < 0.9 ? f.pick(NUMBERS) : f.junk());
          }
        } else if (r < 0.75) {
          args.push(f.pick(FLAGS));
        } else if (r < 0.85) {
          args.push(f.pick(files));
        } else {
          args.push(f.junk());
        }
      }
      if (f.chance(0.9))
        args.splice(f.int(args.length + 1), 0, f.chance(0.6) ? files[0]! : f.pick(files));
      cases.push(args);
    }

    const failures: string[] = [];
    const tally: Record<string, number> = {};
    for (let start = 0; start < cases.length; start += PARALLEL) {
      const batch = cases.slice(start, start + PARALLEL);
      const endings = await Promise.all(batch.map(runCase));
      endings.forEach((ending, i) => {
        const where = show(batch[i]!);
        const key = ending.served ? 'served' : String(ending.status);
        tally[key] = (tally[key] ?? 0) + 1;
        const traces = stackTraceLines(ending.stderr);
        if (traces.length > 0) failures.push(`${where}: stack trace ${show(traces)}`);
        if (ending.served) {
          if (ending.status !== 0 || ending.stderr !== '') {
            failures.push(
              `${where}: served, then status ${ending.status}: ${show([ending.stderr])}`,
            );
          }
          return;
        }
        const lines = ending.stderr.trimEnd().split('\n');
        switch (ending.status) {
          case 0:
            // --help or --version: printed on stdout, nothing on stderr.
            if (ending.stderr !== '' || ending.stdout === '') {
              failures.push(`${where}: status 0 without serving: ${show([ending.stderr])}`);
            }
            break;
          case 1:
            if (lines.length !== 1 || !lines[0]!.startsWith('poetry-server: ')) {
              failures.push(`${where}: status 1 with ${show([ending.stderr])}`);
            }
            break;
          case 2:
            if (!isUsageError('poetry-server', ending.stderr)) {
              failures.push(`${where}: status 2 with ${show([ending.stderr])}`);
            }
            break;
          default:
            failures.push(`${where}: status ${ending.status} signal ${ending.signal}`);
        }
      });
    }
    console.info(`poetry-server fuzz outcomes: ${JSON.stringify(tally)}`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(tally.served ?? 0).toBeGreaterThan(0);
    expect(tally['2'] ?? 0).toBeGreaterThan(0);
  }, 90_000);

  it('keeps a bad option value with a newline in it to one usage line', async () => {
    const result = await runServer(['--delay', '\x1b[2J\n', join(dir, 'poem.txt')]);
    expect(result.code).toBe(2);
    expect(isUsageError('poetry-server', result.stderr)).toBe(true);
    expect(hasControlCharacters(result.stderr)).toBe(false);
  });
});
