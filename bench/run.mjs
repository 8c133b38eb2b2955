#!/usr/bin/env node
// The benchmark of issue 6: our client and server run side by side with raw node:net floors.
// Usage: node bench/run.mjs [--quick] [--runs N] [--only fan-out,big-poem,slow,capacity,startup]
//                           [--no-python] [--dist DIR]
// Exits 1 only when a program crashes or a poem is lost or corrupted; never on timing.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashFile, poemBuffer, sha256, writePoem } from './lib/poems.mjs';
import { gnuTimeAvailable, killAll, run, startServer } from './lib/processes.mjs';
import {
  machine,
  machineLine,
  measurementsTable,
  median,
  mib,
  ratio,
  targetsTable,
  times,
} from './lib/report.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = process.execPath;

const FLOOR_CLIENT = join(ROOT, 'bench/floors/client.mjs');
const PEER_CLIENT = join(ROOT, 'bench/floors/client.py');
const FAST_SERVER = join(ROOT, 'bench/floors/fast-server.mjs');
const SLOW_SERVER = join(ROOT, 'bench/floors/slow-server.mjs');
const READER = join(ROOT, 'bench/reader.mjs');
const RESULTS = join(ROOT, 'bench/results');
const MiB = 2 ** 20;
const SCENARIOS = ['fan-out', 'big-poem', 'slow', 'capacity', 'startup'];

// --- options -------------------------------------------------------------------------------

const argv = process.argv.slice(2);
if (argv.includes('--help')) {
  process.stdout.write(`${readUsage()}\n`);
  process.exit(0);
}
const quick = argv.includes('--quick');
const runsOption = argv.indexOf('--runs');
const RUNS_OPTION = runsOption === -1 ? null : Number(argv[runsOption + 1]);
/**
 * Runs of each program: one in a quick run; in a full run 3 for the big poems (each moves a GiB)
 * and 5 elsewhere, since one noisy neighbour on a shared machine can spoil a run.
 */
function runsFor(fullRuns) {
  return RUNS_OPTION ?? (quick ? 1 : fullRuns);
}
const onlyOption = argv.indexOf('--only');
const ONLY = onlyOption === -1 ? SCENARIOS : argv[onlyOption + 1].split(',');
const usePython = !argv.includes('--no-python');
const distOption = argv.indexOf('--dist');
// Another build of ours (say, a copy with a fix applied) can be measured with --dist DIR.
const DIST = distOption === -1 ? join(ROOT, 'dist') : resolve(argv[distOption + 1]);
const GET_POETRY = join(DIST, 'cli/get-poetry.js');
const POETRY_SERVER = join(DIST, 'cli/poetry-server.js');
for (const name of ONLY) {
  if (!SCENARIOS.includes(name)) fatal(`unknown scenario '${name}' (one of ${SCENARIOS})`);
}
if (RUNS_OPTION !== null && !(Number.isInteger(RUNS_OPTION) && RUNS_OPTION >= 1)) {
  fatal('--runs takes a positive integer');
}

function readUsage() {
  return [
    'Usage: node bench/run.mjs [--quick] [--runs N] [--only LIST] [--no-python] [--dist DIR]',
    `  --quick      every scenario once at small sizes (under a minute); never fails on timing`,
    `  --runs N     runs of each program per scenario (default 5; 3 for big poems; quick 1)`,
    `  --only LIST  comma-separated scenarios: ${SCENARIOS.join(',')}`,
    `  --no-python  skip the Python asyncio peer rows`,
    `  --dist DIR   measure our programs from another build (default: dist/)`,
  ].join('\n');
}

function fatal(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

// Sizes: the issue's in a full run; small ones in a quick run, the same shape.
const SIZES = quick
  ? {
      fanOut: [200, 1_000],
      fanOutPoemBytes: 3_000,
      bigFileBytes: 32 * MiB,
      bigMemoryBytes: 16 * MiB,
      slow: {
        poemBytes: 600,
        servers: [
          { delaySeconds: 0.05, numBytes: 100 },
          { delaySeconds: 0.02, numBytes: 50 },
          { delaySeconds: 0.1, numBytes: 300 },
        ],
      },
      capacity: { readers: 500, delaySeconds: 0.05, numBytes: 64, poemBytes: 1_000 },
      startupRuns: 1,
    }
  : {
      fanOut: [2_000, 10_000],
      fanOutPoemBytes: 3_000,
      bigFileBytes: 1024 * MiB,
      bigMemoryBytes: 256 * MiB,
      slow: {
        poemBytes: 3_000,
        servers: [
          { delaySeconds: 0.1, numBytes: 256 },
          { delaySeconds: 0.05, numBytes: 100 },
          { delaySeconds: 0.2, numBytes: 512 },
        ],
      },
      capacity: { readers: 5_000, delaySeconds: 0.1, numBytes: 64, poemBytes: 3_000 },
      startupRuns: Math.max(runsFor(10), 10),
    };

// --- the programs ------------------------------------------------------------------------

/**
 * Whether one of our commands is built and real: a missing file or the "not yet" stub is not
 * available (reported, not a failure); a --help that crashes is a failure.
 */
function probeOurs(path) {
  if (!existsSync(path)) return { available: false, reason: `${path} missing: npm run build` };
  const probe = spawnSync(NODE, [path, '--help'], { encoding: 'utf8', timeout: 30_000 });
  const help = `${probe.stdout ?? ''}${probe.stderr ?? ''}`;
  if (/not yet/.test(help)) return { available: false, reason: 'not built yet (stub)' };
  if (probe.status !== 0 || !/usage/i.test(help)) {
    const said = help.trim().split('\n').slice(-3).join(' | ');
    return { available: false, crashed: true, reason: `--help failed (${probe.status}): ${said}` };
  }
  return { available: true, help };
}

function probePython() {
  if (!usePython) return { available: false, reason: 'skipped (--no-python)' };
  const probe = spawnSync('python3', ['-c', 'import asyncio'], { encoding: 'utf8' });
  return probe.status === 0
    ? { available: true }
    : { available: false, reason: 'python3 not found' };
}

const PROGRAMS = {
  client: { name: 'get-poetry', ...probeOurs(GET_POETRY) },
  server: { name: 'poetry-server', ...probeOurs(POETRY_SERVER) },
  floorClient: { name: 'floor client (node:net)', available: true, isFloor: true },
  peerClient: { name: 'peer client (Python asyncio)', ...probePython() },
  floorServer: { name: 'floor slow server (node:net)', available: true, isFloor: true },
};

/** Our option, only where our --help lists it (so an absent option is not a crash). */
function option(program, name, value) {
  if (!program.help?.includes(name)) return [];
  return value === undefined ? [name] : [name, String(value)];
}

// --- running and checking ------------------------------------------------------------------

const failures = [];
let tmp;
/** A scratch folder in /dev/shm, made when first needed (see scratchWithRoom). */
let memoryTmp;

function log(message) {
  process.stderr.write(`${message}\n`);
}

function row(program) {
  return {
    program: program.name,
    isFloor: Boolean(program.isFloor),
    status: program.available ? 'ok' : program.crashed ? 'FAILED' : 'not available',
    reason: program.reason,
    runs: [],
  };
}

/** The JSON line the floor and peer clients print, checked against what every poem must give. */
function checkSummary(result, poems, bytes) {
  let summary;
  try {
    summary = JSON.parse(result.stdout.toString('utf8'));
  } catch {
    return `no summary on stdout: ${result.stdout.toString('utf8').slice(0, 200)}`;
  }
  if (summary.poems !== poems || summary.failures !== 0 || summary.bytes !== bytes) {
    return `expected ${poems} poems of ${bytes} bytes in all, got ${JSON.stringify(summary)}`;
  }
  return null;
}

/** Our --json document: every address gave a poem, each byte-exact. */
function checkOurJson(result, count, bytes, expectedHash) {
  let document;
  try {
    document = JSON.parse(result.stdout.toString('utf8'));
  } catch (error) {
    return `--json output did not parse: ${error.message}`;
  }
  const poems = document.poems ?? [];
  if (poems.length !== count || (document.failures ?? []).length !== 0) {
    return `expected ${count} poems and no failures, got ${poems.length} poems, failures ${JSON.stringify(document.failures).slice(0, 300)}`;
  }
  for (const poem of poems) {
    const text = Buffer.from(poem.text, 'utf8');
    if (text.length !== bytes || sha256(text) !== expectedHash) {
      return `poem ${poem.index} from ${poem.address} is not byte-exact (${text.length} bytes, expected ${bytes})`;
    }
  }
  return null;
}

function describeEnd(result) {
  if (result.error) return result.error;
  const said = `${result.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
  return `exit ${result.exitCode ?? result.signal}${said ? `: ${said}` : ''}`;
}

/**
 * Runs each entry `runs` times, interleaved and in alternating order (ours, floor, floor, ours,
 * …) so drifting background load falls on both. once(entry, i) returns { result, problem }.
 * A program that crashes or loses a poem is recorded as a failure and not run again.
 */
async function alternate(label, entries, runs, once, { warmUp = !quick } = {}) {
  // The floor runs once first, unrecorded: the first process to touch a fresh poem file or a
  // socket storm pays for cold caches, and that should not be whichever program goes first.
  const floor = entries.find((entry) => entry.row.isFloor);
  if (warmUp && floor) await once(floor, -1);
  for (let i = 0; i < runs; i++) {
    const order = i % 2 ? [...entries].reverse() : entries;
    for (const entry of order) {
      if (entry.row.status !== 'ok') continue;
      let result;
      let problem;
      try {
        ({ result, problem } = await once(entry, i));
      } catch (error) {
        problem = error.message;
      }
      if (problem) {
        entry.row.status = 'FAILED';
        failures.push(`${label}, ${entry.row.program}: ${problem}`);
        log(`  ${label} · ${entry.row.program}: FAILED: ${problem}`);
        continue;
      }
      const measurement = {
        wallSeconds: result.wallSeconds,
        cpuSeconds: result.cpuSeconds,
        peakRssKiB: result.peakRssKiB,
        ...result.extra,
      };
      entry.row.runs.push(measurement);
      log(
        `  ${label} · ${entry.row.program} run ${i + 1}/${runs}: wall ${result.wallSeconds.toFixed(3)} s, ` +
          `CPU ${result.cpuSeconds?.toFixed(2) ?? '–'} s, RSS ${mib(result.peakRssKiB)} MiB`,
      );
    }
  }
}

/** Medians per row, and each row's ratios to the floor row. */
function finish(rows, floorRow) {
  for (const r of rows) {
    if (r.runs.length === 0) {
      r.median = null;
      if (r.reason) r.note = r.reason;
      continue;
    }
    r.median = {
      wallSeconds: median(r.runs.map((m) => m.wallSeconds)),
      cpuSeconds: median(r.runs.map((m) => m.cpuSeconds)),
      peakRssKiB: median(r.runs.map((m) => m.peakRssKiB)),
    };
  }
  for (const r of rows) {
    if (r.isFloor || !r.median || !floorRow.median) continue;
    r.ratio = {
      wall: ratio(r.median.wallSeconds, floorRow.median.wallSeconds),
      cpu: ratio(r.median.cpuSeconds, floorRow.median.cpuSeconds),
      rss: ratio(r.median.peakRssKiB, floorRow.median.peakRssKiB),
    };
  }
}

const asTimes = (value) => times(value);
const asSeconds = (value) => (typeof value === 'number' ? `${value.toFixed(3)} s` : '–');
const asMiB = (kib) => (typeof kib === 'number' ? `${(kib / 1024).toFixed(1)} MiB` : '–');
const asMs = (value) => (typeof value === 'number' ? `${value.toFixed(1)} ms` : '–');

function ratioTargets(ours, limits) {
  const targets = [];
  if (limits.wall) {
    targets.push({ name: 'wall ours/floor', value: ours.ratio?.wall, limit: limits.wall });
  }
  if (limits.cpu) {
    targets.push({ name: 'CPU ours/floor', value: ours.ratio?.cpu, limit: limits.cpu });
  }
  if (limits.rss) {
    targets.push({ name: 'peak RSS ours/floor', value: ours.ratio?.rss, limit: limits.rss });
  }
  for (const target of targets) target.format = asTimes;
  return targets;
}

// --- scenario 1: fan-out ---------------------------------------------------------------------

async function fanOut() {
  const client = PROGRAMS.client;
  const bytes = SIZES.fanOutPoemBytes;
  const poem = poemBuffer(bytes);
  const expected = sha256(poem);
  const poemPath = join(tmp, 'fan-out.txt');
  writeFileSync(poemPath, poem);
  const server = await startServer([NODE, FAST_SERVER, poemPath], { tmp });
  const scenarios = [];
  try {
    for (const count of SIZES.fanOut) {
      const label = `1 fan-out ${count.toLocaleString('en')}`;
      const addresses = Array(count).fill(`127.0.0.1:${server.port}`);
      const ours = row(client);
      const floor = row(PROGRAMS.floorClient);
      const peer = row(PROGRAMS.peerClient);
      const ourOptions = [
        ...option(client, '--no-progress'),
        ...option(client, '--concurrency', count),
      ];
      const entries = [
        { row: ours, argv: [NODE, GET_POETRY, '--quiet', ...ourOptions, ...addresses] },
        { row: floor, argv: [NODE, FLOOR_CLIENT, ...addresses] },
        { row: peer, argv: ['python3', PEER_CLIENT, ...addresses] },
      ];
      await alternate(label, entries, runsFor(5), async (entry) => {
        const result = await run(entry.argv, { tmp, timeoutSeconds: 120 });
        if (!result.ok) return { result, problem: describeEnd(result) };
        // Ours says every address gave a poem by its exit status; its bytes are checked below.
        const problem = entry.row === ours ? null : checkSummary(result, count, count * bytes);
        return { result, problem };
      });
      if (ours.status === 'ok') {
        const result = await run([NODE, GET_POETRY, '--json', ...ourOptions, ...addresses], {
          tmp,
          measured: false,
          timeoutSeconds: 120,
        });
        const problem = result.ok
          ? checkOurJson(result, count, bytes, expected)
          : describeEnd(result);
        if (problem) {
          ours.status = 'FAILED';
          failures.push(`${label}, get-poetry --json (byte-exact check): ${problem}`);
        } else {
          ours.note = `${count} poems byte-exact (--json)`;
        }
      }
      finish([ours, floor, peer], floor);
      scenarios.push({
        id: 'fan-out',
        title: label,
        params: { fetches: count, poemBytes: bytes },
        rows: [ours, floor, peer],
        targets: ratioTargets(ours, { wall: 1.25, cpu: 1.3, rss: 1.5 }),
      });
    }
  } finally {
    await server.stop();
  }
  return scenarios;
}

// --- scenario 2: big poems -------------------------------------------------------------------

/** The one file a client wrote into dir, checked byte-exact by size and hash, then removed. */
async function checkOutputDir(dir, bytes, expected) {
  try {
    const files = readdirSync(dir);
    if (files.length !== 1) return `expected one file in --output dir, found ${files.length}`;
    const path = join(dir, files[0]);
    const hash = await hashFile(path);
    const { size } = statSync(path);
    if (size !== bytes || hash !== expected) {
      return `${files[0]} is not byte-exact (${size} bytes, expected ${bytes})`;
    }
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bigPoemToFile() {
  const client = PROGRAMS.client;
  const bytes = SIZES.bigFileBytes;
  const label = `2 big poem ${bytes / MiB} MiB → file`;
  const poemPath = join(tmp, 'big-file.txt');
  log(`  ${label}: writing the poem`);
  const expected = writePoem(poemPath, bytes);
  const server = await startServer([NODE, FAST_SERVER, poemPath], { tmp });
  const address = `127.0.0.1:${server.port}`;
  const ours = row(client);
  const floor = row(PROGRAMS.floorClient);
  const peer = row(PROGRAMS.peerClient);
  const maxBytes = option(client, '--max-bytes', bytes + MiB);
  // Room for one written poem at a time, twice over (each is checked, then removed).
  const outputRoot = scratchWithRoom(2 * bytes);
  if (outputRoot !== tmp) log(`  ${label}: writing into ${outputRoot} (memory)`);
  try {
    await alternate(
      label,
      [
        {
          row: ours,
          argv: (dir) => [
            NODE,
            GET_POETRY,
            '--quiet',
            ...option(client, '--no-progress'),
            ...maxBytes,
            '--output',
            dir,
            address,
          ],
        },
        { row: floor, argv: (dir) => [NODE, FLOOR_CLIENT, '--output', dir, address] },
        { row: peer, argv: (dir) => ['python3', PEER_CLIENT, '--output', dir, address] },
      ],
      runsFor(7),
      async (entry, i) => {
        const dir = join(outputRoot, `out-${i}`);
        mkdirSync(dir);
        const result = await run(entry.argv(dir), { tmp, timeoutSeconds: 180 });
        if (!result.ok) {
          rmSync(dir, { recursive: true, force: true });
          return { result, problem: describeEnd(result) };
        }
        return { result, problem: await checkOutputDir(dir, bytes, expected) };
      },
    );
  } finally {
    await server.stop();
    rmSync(poemPath, { force: true });
  }
  for (const r of [ours, floor, peer]) {
    if (r.runs.length) r.note = `${r.runs.length} files byte-exact`;
  }
  finish([ours, floor, peer], floor);
  return [
    {
      id: 'big-poem-file',
      title: label,
      params: { poemBytes: bytes },
      rows: [ours, floor, peer],
      targets: [
        { name: 'peak RSS ours', value: ours.median?.peakRssKiB, limit: 100 * 1024, format: asMiB },
        ...ratioTargets(ours, { wall: 1.2 }),
      ],
    },
  ];
}

async function bigPoemInMemory() {
  const client = PROGRAMS.client;
  const bytes = SIZES.bigMemoryBytes;
  const label = `2 big poem ${bytes / MiB} MiB in memory`;
  const poemPath = join(tmp, 'big-memory.txt');
  log(`  ${label}: writing the poem`);
  const expected = writePoem(poemPath, bytes);
  const server = await startServer([NODE, FAST_SERVER, poemPath], { tmp });
  const address = `127.0.0.1:${server.port}`;
  const ours = row(client);
  const floor = row(PROGRAMS.floorClient);
  const peer = row(PROGRAMS.peerClient);
  const ourOptions = [
    ...option(client, '--no-progress'),
    ...option(client, '--max-bytes', bytes + MiB),
  ];
  try {
    await alternate(
      label,
      [
        { row: ours, argv: [NODE, GET_POETRY, '--quiet', ...ourOptions, address] },
        { row: floor, argv: [NODE, FLOOR_CLIENT, address] },
        { row: peer, argv: ['python3', PEER_CLIENT, address] },
      ],
      runsFor(3),
      async (entry) => {
        const result = await run(entry.argv, { tmp, timeoutSeconds: 180 });
        if (!result.ok) return { result, problem: describeEnd(result) };
        return { result, problem: entry.row === ours ? null : checkSummary(result, 1, bytes) };
      },
    );
    if (ours.status === 'ok') {
      const result = await run([NODE, GET_POETRY, '--json', ...ourOptions, address], {
        tmp,
        measured: false,
        timeoutSeconds: 180,
      });
      const problem = result.ok ? checkOurJson(result, 1, bytes, expected) : describeEnd(result);
      if (problem) {
        ours.status = 'FAILED';
        failures.push(`${label}, get-poetry --json (byte-exact check): ${problem}`);
      } else {
        ours.note = 'byte-exact (--json)';
      }
    }
  } finally {
    await server.stop();
    rmSync(poemPath, { force: true });
  }
  finish([ours, floor, peer], floor);
  for (const r of [ours, floor, peer]) {
    if (r.median?.peakRssKiB) {
      const times = (r.median.peakRssKiB * 1024) / bytes;
      r.note = `${r.note ? `${r.note}; ` : ''}RSS ${times.toFixed(2)}× the poem`;
    }
  }
  return [
    {
      id: 'big-poem-memory',
      title: label,
      params: { poemBytes: bytes },
      rows: [ours, floor, peer],
      targets: [
        {
          name: 'peak RSS ours ÷ poem size',
          value: ours.median ? (ours.median.peakRssKiB * 1024) / bytes : null,
          limit: 1.6,
          format: asTimes,
        },
      ],
    },
  ];
}

// --- scenario 3: slow servers ----------------------------------------------------------------

async function slowServers() {
  const client = PROGRAMS.client;
  const { poemBytes, servers: configs } = SIZES.slow;
  const poem = poemBuffer(poemBytes);
  const expected = sha256(poem);
  const poemPath = join(tmp, 'slow.txt');
  writeFileSync(poemPath, poem);
  // The floor slow server writes chunk n at n × delay and closes with the last one.
  const scheduleSeconds = Math.max(
    ...configs.map((c) => (Math.ceil(poemBytes / c.numBytes) - 1) * c.delaySeconds),
  );
  const label = `3 slow servers ×${configs.length}`;
  const servers = [];
  const ours = row(client);
  const floor = row(PROGRAMS.floorClient);
  const peer = row(PROGRAMS.peerClient);
  try {
    for (const c of configs) {
      servers.push(
        await startServer([NODE, SLOW_SERVER, poemPath, c.delaySeconds, c.numBytes], { tmp }),
      );
    }
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    const ourOptions = option(client, '--no-progress');
    await alternate(
      label,
      [
        { row: ours, argv: [NODE, GET_POETRY, '--quiet', ...ourOptions, ...addresses] },
        { row: floor, argv: [NODE, FLOOR_CLIENT, ...addresses] },
        { row: peer, argv: ['python3', PEER_CLIENT, ...addresses] },
      ],
      runsFor(5),
      async (entry) => {
        const result = await run(entry.argv, { tmp, timeoutSeconds: 60 });
        if (!result.ok) return { result, problem: describeEnd(result) };
        const problem =
          entry.row === ours
            ? null
            : checkSummary(result, configs.length, configs.length * poemBytes);
        return { result, problem };
      },
    );
    if (ours.status === 'ok') {
      const result = await run([NODE, GET_POETRY, '--json', ...ourOptions, ...addresses], {
        tmp,
        measured: false,
        timeoutSeconds: 60,
      });
      const problem = result.ok
        ? checkOurJson(result, configs.length, poemBytes, expected)
        : describeEnd(result);
      if (problem) {
        ours.status = 'FAILED';
        failures.push(`${label}, get-poetry --json (byte-exact check): ${problem}`);
      } else {
        ours.note = 'byte-exact (--json)';
      }
    }
  } finally {
    for (const s of servers) await s.stop();
  }
  finish([ours, floor, peer], floor);
  for (const r of [ours, floor, peer]) {
    if (r.median) {
      const over = (r.median.wallSeconds - scheduleSeconds) * 1000;
      r.note = `${r.note ? `${r.note}; ` : ''}${over.toFixed(0)} ms past the schedule`;
    }
  }
  return [
    {
      id: 'slow',
      title: label,
      params: { poemBytes, servers: configs, slowestScheduleSeconds: scheduleSeconds },
      rows: [ours, floor, peer],
      targets: [
        {
          name: `wall ours ≤ slowest schedule (${scheduleSeconds.toFixed(2)} s) + 0.1 s`,
          value: ours.median?.wallSeconds,
          limit: scheduleSeconds + 0.1,
          format: asSeconds,
        },
      ],
    },
  ];
}

// --- scenario 4: server capacity -------------------------------------------------------------

async function serverCapacity() {
  const server = PROGRAMS.server;
  const { readers, delaySeconds, numBytes, poemBytes } = SIZES.capacity;
  const label = `4 server capacity ${readers.toLocaleString('en')} readers`;
  const poemPath = join(tmp, 'capacity.txt');
  writeFileSync(poemPath, poemBuffer(poemBytes));
  const ours = row(server);
  const floor = row(PROGRAMS.floorServer);
  const entries = [
    {
      row: ours,
      argv: [
        NODE,
        POETRY_SERVER,
        '--port',
        '0',
        '--iface',
        '127.0.0.1',
        '--delay',
        delaySeconds,
        '--num-bytes',
        numBytes,
        ...option(server, '--quiet'),
        ...option(server, '--backlog', readers),
        ...option(server, '--max-connections', readers * 2),
        poemPath,
      ],
    },
    { row: floor, argv: [NODE, SLOW_SERVER, poemPath, delaySeconds, numBytes] },
  ];
  await alternate(
    label,
    entries,
    runsFor(5),
    async (entry) => {
      const running = await startServer(entry.argv.map(String), { tmp, measured: true });
      let reading;
      let result;
      try {
        reading = await run(
          [
            NODE,
            READER,
            '--port',
            String(running.port),
            '--readers',
            String(readers),
            '--delay',
            String(delaySeconds),
            '--chunk-bytes',
            String(numBytes),
            '--poem',
            poemPath,
          ],
          { tmp, measured: false, timeoutSeconds: 120 },
        );
      } finally {
        result = await running.stop();
      }
      let summary;
      try {
        summary = JSON.parse(reading.stdout.toString('utf8'));
      } catch {
        return { result, problem: `reader: ${describeEnd(reading)}` };
      }
      if (summary.exact !== readers) {
        return {
          result,
          problem: `${summary.exact} of ${readers} readers got the poem byte-exact (${summary.wrong} wrong, ${summary.failed} failed)`,
        };
      }
      // A server stopped by SIGTERM that then exits non-zero or dies of it has not stopped cleanly.
      if (!result.ok) return { result, problem: `on SIGTERM: ${describeEnd(result)}` };
      // Wall here is the readers' (first connect to last close); CPU and RSS are the server's.
      result.wallSeconds = summary.wallSeconds;
      result.extra = {
        latenessP99Ms: summary.latenessMs.p99,
        latenessMaxMs: summary.latenessMs.max,
        firstByteP99Ms: summary.firstByteMs.p99,
      };
      return { result, problem: null };
    },
    { warmUp: false },
  );
  finish([ours, floor], floor);
  for (const r of [ours, floor]) {
    if (!r.runs.length) continue;
    r.latenessP99Ms = median(r.runs.map((m) => m.latenessP99Ms));
    r.firstByteP99Ms = median(r.runs.map((m) => m.firstByteP99Ms));
    r.note =
      `lateness p99 ${asMs(r.latenessP99Ms)}, first byte p99 ${asMs(r.firstByteP99Ms)}; ` +
      'wall is the readers’';
  }
  return [
    {
      id: 'capacity',
      title: label,
      params: { readers, delaySeconds, numBytes, poemBytes },
      rows: [ours, floor],
      targets: [
        { name: 'chunk lateness p99', value: ours.latenessP99Ms, limit: 50, format: asMs },
        ...ratioTargets(ours, { cpu: 1.3, rss: 1.5 }).map((t) => ({
          ...t,
          name: t.name.replace('ours/floor', 'server ours/floor'),
        })),
      ],
    },
  ];
}

// --- scenario 5: start-up --------------------------------------------------------------------

async function startUp() {
  const label = '5 start-up';
  const ours = row({ ...PROGRAMS.client, name: 'get-poetry --help' });
  const floor = row({ name: 'node -e ""', available: true, isFloor: true });
  await alternate(
    label,
    [
      { row: ours, argv: [NODE, GET_POETRY, '--help'] },
      { row: floor, argv: [NODE, '-e', ''] },
    ],
    SIZES.startupRuns,
    async (entry) => {
      const result = await run(entry.argv, { tmp, timeoutSeconds: 30 });
      return { result, problem: result.ok ? null : describeEnd(result) };
    },
  );
  finish([ours, floor], floor);
  return [
    {
      id: 'startup',
      title: label,
      params: { runs: SIZES.startupRuns },
      rows: [ours, floor],
      targets: ratioTargets(ours, { wall: 2 }),
    },
  ];
}

// --- main ------------------------------------------------------------------------------------

const SCENARIO_RUNNERS = {
  'fan-out': [fanOut],
  'big-poem': [bigPoemToFile, bigPoemInMemory],
  slow: [slowServers],
  capacity: [serverCapacity],
  startup: [startUp],
};

function cleanUp() {
  killAll();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (memoryTmp) rmSync(memoryTmp, { recursive: true, force: true });
}

/**
 * A scratch folder in memory (/dev/shm) with room for `bytes`, else the usual one. Files written
 * to a disk are at the mercy of its write-back: on the machine the README's figures come from, the
 * same 1 GiB write took 0.8 s or 1.8 s for either program, so the ratio said more about the disk
 * than about the programs. In memory, a file is still a file (the same system calls, the same
 * copy into the page cache) without that.
 */
function scratchWithRoom(bytes) {
  try {
    const fs = statfsSync('/dev/shm');
    if (fs.bavail * fs.bsize < bytes) return tmp;
    memoryTmp ??= mkdtempSync('/dev/shm/poetry-bench-');
    return memoryTmp;
  } catch {
    return tmp;
  }
}

async function main() {
  const began = performance.now();
  const info = machine();
  tmp = mkdtempSync(join(tmpdir(), 'poetry-bench-'));
  process.on('exit', cleanUp);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      log(`bench: ${signal}: stopping`);
      process.exit(130);
    });
  }
  log(`bench: ${quick ? 'quick' : 'full'} run; ${machineLine(info)}`);
  if (!gnuTimeAvailable) {
    log(
      'bench: /usr/bin/time (Debian package "time") is missing: CPU and peak RSS are not measured',
    );
  }
  for (const key of ['client', 'server', 'peerClient']) {
    const program = PROGRAMS[key];
    if (program.crashed) failures.push(`${program.name}: ${program.reason}`);
    if (!program.available) log(`bench: ${program.name} not available: ${program.reason}`);
  }

  const scenarios = [];
  try {
    for (const name of SCENARIOS.filter((s) => ONLY.includes(s))) {
      for (const runner of SCENARIO_RUNNERS[name]) {
        log(`bench: ${runner.name}`);
        try {
          scenarios.push(...(await runner()));
        } catch (error) {
          failures.push(`${runner.name}: ${error.stack ?? error}`);
          log(`bench: ${runner.name} FAILED: ${error.message}`);
        }
      }
    }
  } finally {
    cleanUp();
  }

  const durationSeconds = Math.round(performance.now() - began) / 1000;
  const measurements = measurementsTable(scenarios);
  const targets = targetsTable(scenarios);
  const heading =
    `Benchmark (${quick ? 'quick' : 'full'} run, ${durationSeconds} s in all; medians of the runs counted), ` +
    `${new Date().toISOString().slice(0, 10)}\n\nMachine: ${machineLine(info)}.` +
    (gnuTimeAvailable ? '' : ' CPU and RSS not measured: /usr/bin/time missing.') +
    (quick
      ? '\n\nQuick run: one run at small sizes, where start-up dominates; the targets are judged' +
        ' on a full run. Only crashes and lost or corrupted poems fail it.'
      : '');
  const markdown = `${heading}\n\n${measurements}\n\n${targets}\n`;
  process.stdout.write(`\n${markdown}`);
  if (failures.length) {
    process.stdout.write(
      `\nFAILURES (crash, lost or corrupted poem):\n- ${failures.join('\n- ')}\n`,
    );
  }

  mkdirSync(RESULTS, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const document = {
    mode: quick ? 'quick' : 'full',
    date: new Date().toISOString(),
    durationSeconds,
    machine: info,
    gnuTime: gnuTimeAvailable,
    scenarios: scenarios.map((s) => ({
      ...s,
      targets: s.targets.map(({ format: _format, ...t }) => ({
        ...t,
        holds: typeof t.value === 'number' ? t.value <= t.limit : null,
      })),
    })),
    failures,
  };
  const json = `${JSON.stringify(document, null, 2)}\n`;
  writeFileSync(join(RESULTS, `${stamp}-${document.mode}.json`), json);
  writeFileSync(join(RESULTS, `latest${quick ? '-quick' : ''}.json`), json);
  writeFileSync(join(RESULTS, `latest${quick ? '-quick' : ''}.md`), markdown);
  log(`bench: results in bench/results/latest${quick ? '-quick' : ''}.{json,md}`);
  process.exitCode = failures.length ? 1 : 0;
}

await main();
