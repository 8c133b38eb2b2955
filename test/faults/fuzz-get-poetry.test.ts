// A seeded, bounded fuzz of get-poetry's arguments: thousands of cases through the command's own
// parser in process, and a few hundred through the built command, which must never print a stack
// trace and always exit 0, 1 or 2 with a clear line.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/poetry/address.js';
import {
  Fuzzer,
  hasControlCharacters,
  isUsageError,
  NUMBERS,
  type ParseOutcome,
  parseGetPoetryArguments,
  show,
  stackTraceLines,
} from '../helpers/fuzz.js';
import { type Peer, refusedPort, startPoetryPeer } from '../helpers/peers.js';
import { killRunningClis, runCli } from '../helpers/run-cli.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x9e3779b9);
const IN_PROCESS_CASES = 3000;
const SPAWNED_CASES = 200;
const PARALLEL = 8;

const VALUE_OPTIONS = [
  '--connect-timeout',
  '--idle-timeout',
  '--timeout',
  '--max-bytes',
  '--concurrency',
  '-o',
  '--output',
  '--ca',
];
const FLAGS = [
  '-q',
  '--quiet',
  '-v',
  '--verbose',
  '--raw',
  '--no-progress',
  '--json',
  '--help',
  '-h',
  '-V',
  '--version',
  '--bogus',
  '-x',
  '--',
  '-',
  '-qv',
  '-qo',
  '--json=1',
  '--timeout=5',
  '--no-json',
  '--Quiet',
  '---json',
  '--insecure',
];
const HOSTS = [
  'localhost',
  '127.0.0.1',
  'example.com',
  'a_b',
  '-host',
  'host.',
  '.host',
  'ünï',
  'a b',
  '1.2.3.4',
  '999.1.1.1',
  '\x1b[31m',
  'x'.repeat(300),
];
const BRACKETED = ['::1', 'fe80::1%eth0', '::ffff:1.2.3.4', 'zz', '', '1.2.3.4', ':::'];

function fuzzAddress(f: Fuzzer): string {
  const port = f.chance(0.5) ? f.pick(NUMBERS) : String(f.int(70_000));
  if (f.chance(0.3)) {
    const good = String(1 + f.int(65535));
    return f.pick([good, `127.0.0.1:${good}`, `[::1]:${good}`, `localhost:${good}`]);
  }
  switch (f.int(7)) {
    case 0:
      return port;
    case 1:
      return `${f.pick(HOSTS)}:${port}`;
    case 2:
      return `[${f.pick(BRACKETED)}]${f.pick([':', '', '::', ':x'])}${port}`;
    case 3:
      return f.pick(['::1', '[::1]', ':', '::', '[::1]:', 'host:', ':80', '1:2:3']);
    case 4:
      return `${f.junk(6)}:${port}`;
    case 5:
      // The transport prefixes, well and badly spelt, before any of the forms above.
      return `${f.pick(['tls:', 'tcp:', 'unix:', 'TLS:', 'tsl:', 'unix', 'tls::'])}${f.pick([
        port,
        `${f.pick(HOSTS)}:${port}`,
        `[${f.pick(BRACKETED)}]:${port}`,
        f.junk(8),
        '',
      ])}`;
    default:
      return f.junk(16);
  }
}

function fuzzArguments(f: Fuzzer, value: () => string, address: () => string): string[] {
  const args: string[] = [];
  const count = 1 + f.int(6);
  for (let i = 0; i < count; i++) {
    const r = f.random();
    if (r < 0.3) {
      args.push(f.pick(VALUE_OPTIONS));
      if (f.chance(0.9)) args.push(value());
    } else if (r < 0.45) {
      args.push(f.pick(FLAGS));
    } else if (r < 0.9) {
      args.push(address());
    } else {
      args.push(f.junk());
    }
  }
  return args;
}

/** Whatever the parse accepted must be something the fetch can run with. */
function checkAccepted(outcome: Extract<ParseOutcome, { kind: 'ok' }>): string[] {
  const problems: string[] = [];
  const { options, addresses } = outcome;
  for (const name of ['connectTimeout', 'idleTimeout', 'timeout'] as const) {
    const seconds = options[name];
    if (!(Number.isFinite(seconds) && seconds >= 0)) problems.push(`${name} = ${seconds}`);
  }
  // Unset means the library's default (a cap in memory, none with --output).
  const { maxBytes } = options;
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
    problems.push(`maxBytes = ${options.maxBytes}`);
  }
  if (!(Number.isSafeInteger(options.concurrency) && options.concurrency >= 1)) {
    problems.push(`concurrency = ${options.concurrency}`);
  }
  if (addresses.length === 0) problems.push('no address');
  for (const address of addresses) {
    if (address.transport === 'unix') {
      if (address.path === '' || address.path.includes('\0')) {
        problems.push(`address unix:${address.path}`);
      }
      continue;
    }
    const { host, port } = address;
    if (host === '' || !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
      problems.push(`address ${host}:${port}`);
    }
  }
  return problems;
}

describe('get-poetry argument fuzz', () => {
  it(`parses ${IN_PROCESS_CASES} seeded cases in process into a run or one clear usage line (seed ${SEED})`, () => {
    console.info(`get-poetry fuzz seed: ${SEED} (set FUZZ_SEED to replay another)`);
    const f = new Fuzzer(SEED);
    const failures: string[] = [];
    const tally = { ok: 0, exit0: 0, usage: 0 };
    for (let n = 0; n < IN_PROCESS_CASES; n++) {
      const args = fuzzArguments(
        f,
        () => (f.chance(0.8) ? f.pick(NUMBERS) : f.junk()),
        () => fuzzAddress(f),
      );
      let outcome: ParseOutcome;
      try {
        outcome = parseGetPoetryArguments(args);
      } catch (error) {
        failures.push(`${show(args)}: threw ${String(error)}`);
        continue;
      }
      tally[outcome.kind]++;
      if (outcome.kind === 'usage') {
        const message = outcome.message.replace(/\n\(Did you mean .*\?\)$/, '');
        if (message.trim() === '' || message.includes('\n')) {
          failures.push(`${show(args)}: usage message is not one line: ${show([outcome.message])}`);
        }
      } else if (outcome.kind === 'ok') {
        for (const problem of checkAccepted(outcome)) failures.push(`${show(args)}: ${problem}`);
      }
    }
    console.info(`in process: ${JSON.stringify(tally)}`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(tally.ok).toBeGreaterThan(0);
    expect(tally.usage).toBeGreaterThan(0);
  });
});

describe('get-poetry argument fuzz, spawned', () => {
  let dir: string;
  let poem: Peer;
  let refused: number;
  let aFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fuzz-get-poetry-'));
    aFile = join(dir, 'a-file');
    await writeFile(aFile, 'not a directory\n');
    poem = await startPoetryPeer('A poem for the fuzz.\n');
    refused = await refusedPort();
  });

  afterEach(() => {
    killRunningClis();
  });

  afterAll(async () => {
    await poem.close();
    await rm(dir, { recursive: true, force: true });
  });

  it(`runs ${SPAWNED_CASES} seeded cases through the built command: status 0, 1 or 2, one clear line, no stack trace`, async () => {
    const f = new Fuzzer(SEED ^ 0x5bd1e995);
    const safePorts = new Set([poem.port, refused]);
    const safeAddress = (): string =>
      f.pick([poem.address, `localhost:${poem.port}`, String(poem.port), `127.0.0.1:${refused}`]);
    // Addresses that cannot be fetched: the parser must refuse them before any connection.
    const badAddress = (): string => {
      for (;;) {
        const candidate = fuzzAddress(f);
        try {
          parseAddress(candidate);
        } catch {
          return candidate;
        }
      }
    };
    let outputs = 0;
    const value = (): string =>
      f.chance(0.75)
        ? f.pick(NUMBERS)
        : f.pick([join(dir, `out-${outputs++}`), '/dev/null', '/dev/null/poems', aFile]);

    // Only cases that touch nothing but our peer, a refused port and the temp directory run.
    const cases: { args: string[]; predicted: ParseOutcome }[] = [];
    while (cases.length < SPAWNED_CASES) {
      const args = fuzzArguments(f, value, () => (f.chance(0.6) ? safeAddress() : badAddress()));
      const parsed = parseGetPoetryArguments(args);
      // --ca FILE is read as the run starts, and no value the fuzzer gives is a PEM file: a run
      // given one ends in a usage error all the same.
      const predicted: ParseOutcome =
        parsed.kind === 'ok' && parsed.options.ca !== undefined
          ? { kind: 'usage', message: `--ca ${parsed.options.ca}` }
          : parsed;
      if (predicted.kind === 'ok') {
        const safe =
          predicted.addresses.every(
            (a) =>
              a.transport !== 'unix' &&
              ['127.0.0.1', 'localhost'].includes(a.host) &&
              safePorts.has(a.port),
          ) &&
          (predicted.options.output === undefined ||
            predicted.options.output.startsWith('/dev/null') ||
            predicted.options.output.startsWith(dir));
        if (!safe) continue;
      }
      cases.push({ args, predicted });
    }

    const failures: string[] = [];
    const statuses: Record<string, number> = {};
    for (let start = 0; start < cases.length; start += PARALLEL) {
      const batch = cases.slice(start, start + PARALLEL);
      const results = await Promise.all(
        batch.map(({ args }) => runCli('get-poetry', args, { timeoutMs: 20_000 })),
      );
      results.forEach((result, i) => {
        const { args, predicted } = batch[i]!;
        const where = show(args);
        statuses[String(result.status)] = (statuses[String(result.status)] ?? 0) + 1;
        const lines = result.stderr.trimEnd().split('\n');
        const traces = stackTraceLines(result.stderr);
        if (traces.length > 0) failures.push(`${where}: stack trace ${show(traces)}`);
        switch (result.status) {
          case 2:
            if (!isUsageError('get-poetry', result.stderr)) {
              failures.push(`${where}: status 2 with ${show([result.stderr])}`);
            }
            if (predicted.kind !== 'usage')
              failures.push(`${where}: status 2, parsed ${predicted.kind}`);
            break;
          case 1:
          case 0:
            if (predicted.kind === 'usage')
              failures.push(`${where}: status ${result.status}, parsed usage`);
            if (result.stderr === '' && predicted.kind === 'exit0') break;
            // The summary (after --verbose's lines), or one line saying why nothing was fetched.
            if (
              !(
                lines.some((line) => /^Got \d+ poems? /.test(line)) ||
                (lines.length === 1 && lines[0]!.startsWith('get-poetry: '))
              )
            ) {
              failures.push(`${where}: status ${result.status} with ${show([result.stderr])}`);
            }
            break;
          default:
            failures.push(`${where}: status ${result.status} signal ${result.signal}`);
        }
      });
    }
    console.info(`spawned: exit statuses ${JSON.stringify(statuses)}`);
    expect(failures.slice(0, 20)).toEqual([]);
  }, 90_000);
});

describe('get-poetry usage lines', () => {
  afterEach(() => {
    killRunningClis();
  });

  it.each([
    ['a newline', '1\n2'],
    ['an escape sequence', '\x1b[2J\x1b]0;owned\x07'],
  ])(
    'keeps a bad option value with %s to one line, its control characters escaped',
    async (_what, value) => {
      const result = await runCli('get-poetry', ['--timeout', value, '10000']);
      expect(result.status).toBe(2);
      expect(isUsageError('get-poetry', result.stderr)).toBe(true);
      expect(hasControlCharacters(result.stderr)).toBe(false);
    },
  );
});
