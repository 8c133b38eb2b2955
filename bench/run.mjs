#!/usr/bin/env node
// The benchmark harness: options, the context each scenario in bench/scenarios/ runs in, and the report.
// Usage: node bench/run.mjs [--quick] [--runs N] [--only LIST] [--no-python] [--dist DIR]
//                           [--node-flags "FLAGS"]
//                           [--scale-sizes LIST] [--update-readme | --readme-from FILE.json]
//                           [--runtime node|deno|bun|PATH] [--runtimes-table]
// Exits 1 only when a program crashes or a poem is lost or corrupted; never on timing.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gnuTimeAvailable, killAll } from './lib/processes.mjs';
import { updateReadme } from './lib/readme.mjs';
import { machine, machineLine, markdown } from './lib/report.mjs';
import {
  findRuntime,
  RUNTIME_SCENARIOS,
  runtimeResultsPath,
  updateRuntimesTable,
} from './lib/runtime.mjs';
import { bigPoem } from './scenarios/big-poem.mjs';
import { capacity } from './scenarios/capacity.mjs';
import { fanOut } from './scenarios/fan-out.mjs';
import { scale } from './scenarios/scale.mjs';
import { slow } from './scenarios/slow.mjs';
import { startup } from './scenarios/startup.mjs';
import { transports } from './scenarios/transports.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const README = join(ROOT, 'README.md');
const SCENARIOS = {
  'fan-out': fanOut,
  'big-poem': bigPoem,
  slow,
  capacity,
  startup,
  scale,
  transports,
};
const NAMES = Object.keys(SCENARIOS);
/** The options that take a value (the next argument, whatever it starts with) and those that do not. */
const VALUE_OPTIONS = [
  '--runs',
  '--only',
  '--dist',
  '--scale-sizes',
  '--readme-from',
  '--runtime',
  '--node-flags',
];
const SWITCHES = ['--quick', '--no-python', '--update-readme', '--runtimes-table', '--help'];

// --- options -------------------------------------------------------------------------------

function usage() {
  return [
    'Usage: node bench/run.mjs [--quick] [--runs N] [--only LIST] [--no-python] [--dist DIR]',
    '                          [--scale-sizes LIST] [--update-readme | --readme-from FILE.json]',
    '  --quick          every scenario once at small sizes (under a minute); never fails on timing',
    '  --runs N         runs of each program per scenario (default 5; 7 for the GiB poem,',
    '                   10 for start-up; quick 1)',
    `  --only LIST      comma-separated scenarios: ${NAMES.join(',')}`,
    '  --no-python      skip the Python asyncio peer rows',
    '  --dist DIR       measure our programs from another build (default: dist/)',
    '  --scale-sizes L  comma-separated fetch counts for the scale scenario (default',
    '                   10000,100000,1000000; quick 20000)',
    '  --update-readme  after a full run of every scenario, rewrite the tables in README.md',
    '  --readme-from F  rewrite the tables in README.md from a saved full run (F: its JSON) and exit',
    '  --runtime R      run the measured programs (ours and the floors) under R: node, deno, bun',
    `                   or a path to one; only ${RUNTIME_SCENARIOS.join(', ')} (the default then),`,
    '                   no Python rows; a run with --runtime is kept for the cross-runtime table',
    '  --runtimes-table rewrite the cross-runtime table in README.md from the runs kept under each',
    '                   runtime (bench/results/runtime-*.json) and exit',
    '  --node-flags F   run the measured programs (ours and the floors alike) with these flags of',
    '                   Node\'s and V8\'s, e.g. "--max-semi-space-size=64"; an experiment, never',
    `                   the README's tables; only ${RUNTIME_SCENARIOS.join(', ')} (the default then)`,
    '',
    'Start-up is measured under Node 24 too in a full run: $POETRY_BENCH_NODE24 names its binary,',
    'else npm installs node@24 into bench/results/.node24 on first use.',
  ].join('\n');
}

function fatal(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function parseOptions(argv) {
  const argument = (name) => {
    const at = argv.indexOf(name);
    if (at === -1) return null;
    if (at + 1 >= argv.length) fatal(`${name} takes a value`);
    return argv[at + 1];
  };
  // Anything else is refused rather than ignored: `--node-flags=--no-opt` would otherwise run
  // without the flags. A value is skipped, so one that starts with -- is no option.
  for (let i = 0; i < argv.length; i++) {
    if (VALUE_OPTIONS.includes(argv[i])) i++;
    else if (!SWITCHES.includes(argv[i])) fatal(`unknown option '${argv[i]}' (see --help)`);
  }
  const runs = argument('--runs');
  const only = argument('--only');
  const dist = argument('--dist');
  const scaleSizes = argument('--scale-sizes');
  const runtime = argument('--runtime');
  const nodeFlags = (argument('--node-flags') ?? '').split(/\s+/).filter((flag) => flag !== '');
  // The scenarios whose measured programs all start through js(): the only ones a runtime, or
  // Node's flags, reach (the others start ours and the floors with the bench's own Node).
  const throughJs = runtime !== null || nodeFlags.length > 0;
  const options = {
    quick: argv.includes('--quick'),
    runs: runs === null ? null : Number(runs),
    only: only === null ? (throughJs ? RUNTIME_SCENARIOS : NAMES) : only.split(','),
    // The Python peer does not change with the runtime: its rows belong to Node's full run.
    python: !argv.includes('--no-python') && runtime === null,
    runtime,
    runtimesTable: argv.includes('--runtimes-table'),
    dist: dist === null ? join(ROOT, 'dist') : resolve(dist),
    updateReadme: argv.includes('--update-readme'),
    readmeFrom: argument('--readme-from'),
    scaleSizes: scaleSizes === null ? null : scaleSizes.split(',').map(Number),
    nodeFlags,
  };
  if (options.scaleSizes?.some((n) => !(Number.isInteger(n) && n >= 1))) {
    fatal('--scale-sizes takes positive integers, comma-separated');
  }
  for (const name of options.only) {
    if (!NAMES.includes(name)) fatal(`unknown scenario '${name}' (one of ${NAMES})`);
  }
  if (options.runs !== null && !(Number.isInteger(options.runs) && options.runs >= 1)) {
    fatal('--runs takes a positive integer');
  }
  const others = options.only.filter((name) => !RUNTIME_SCENARIOS.includes(name));
  if (throughJs && others.length) {
    const option = runtime !== null ? '--runtime' : '--node-flags';
    fatal(`${option} takes only ${RUNTIME_SCENARIOS.join(', ')}, not ${others.join(', ')}`);
  }
  if (runtime !== null && options.updateReadme) {
    fatal('--update-readme takes a run under the Node running the bench, without --runtime');
  }
  if (options.nodeFlags.length && runtime !== null && basename(runtime) !== 'node') {
    fatal('--node-flags takes a run under Node');
  }
  if (options.nodeFlags.some((flag) => !flag.startsWith('--'))) {
    fatal('--node-flags takes flags, each starting with --');
  }
  if (options.nodeFlags.length && options.updateReadme) {
    fatal('--node-flags is an experiment: its runs never rewrite the README');
  }
  if (options.updateReadme && (options.quick || options.only.length !== NAMES.length)) {
    fatal('--update-readme takes a full run of every scenario (no --quick or --only)');
  }
  return options;
}

// --- the programs ----------------------------------------------------------------------------

/**
 * Whether one of our commands is built and real: a missing file or the "not yet" stub is not
 * available (reported, not a failure); a --help that crashes is a failure.
 */
function probeOurs(js, path) {
  if (!existsSync(path)) return { available: false, reason: `${path} missing: npm run build` };
  const [executable, ...args] = js(path, '--help');
  const probe = spawnSync(executable, args, { encoding: 'utf8', timeout: 30_000 });
  const help = `${probe.stdout ?? ''}${probe.stderr ?? ''}`;
  if (/not yet/.test(help)) return { available: false, reason: 'not built yet (stub)' };
  if (probe.status !== 0 || !/usage/i.test(help)) {
    const said = help.trim().split('\n').slice(-3).join(' | ');
    return { available: false, crashed: true, reason: `--help failed (${probe.status}): ${said}` };
  }
  return { available: true, help };
}

function probePython(wanted) {
  if (!wanted) return { available: false, reason: 'skipped (--no-python)' };
  const probe = spawnSync('python3', ['-c', 'import asyncio'], { encoding: 'utf8' });
  return probe.status === 0
    ? { available: true }
    : { available: false, reason: 'python3 not found' };
}

/**
 * A Node 24 binary for the start-up scenario: $POETRY_BENCH_NODE24, else the one npm installed
 * into bench/results/.node24 (ignored by git), installing it there on first use.
 */
function findNode24(log) {
  const folder = join(RESULTS, '.node24');
  let path = process.env.POETRY_BENCH_NODE24 || join(folder, 'node_modules/node/bin/node');
  if (!process.env.POETRY_BENCH_NODE24 && !existsSync(path)) {
    log(`bench: installing node@24 into ${folder} (once)`);
    mkdirSync(folder, { recursive: true });
    const npm = ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', folder, 'node@24'];
    const installed = spawnSync('npm', npm, { encoding: 'utf8', timeout: 300_000 });
    if (installed.status !== 0) {
      const said = `${installed.stderr ?? installed.error ?? ''}`.trim().split('\n').at(-1);
      return { available: false, reason: `npm install node@24 failed: ${said}` };
    }
    path = join(folder, 'node_modules/node/bin/node');
  }
  const probe = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  const version = probe.stdout?.trim() ?? '';
  if (probe.status !== 0 || !version.startsWith('v24.')) {
    return { available: false, reason: `${path} is not Node 24 (${version || probe.error})` };
  }
  return { available: true, path, version };
}

// --- the context -----------------------------------------------------------------------------

/**
 * What a scenario is given: the options, the paths to our programs and the floors, the programs
 * as probed, scratch folders, and where to record its results and failures.
 */
function makeContext(options, runtime, log) {
  const node = process.execPath;
  const paths = {
    getPoetry: join(options.dist, 'cli/get-poetry.js'),
    poetryServer: join(options.dist, 'cli/poetry-server.js'),
    floorClient: join(ROOT, 'bench/floors/client.mjs'),
    listClient: join(ROOT, 'bench/floors/list-client.mjs'),
    peerClient: join(ROOT, 'bench/floors/client.py'),
    fastServer: join(ROOT, 'bench/floors/fast-server.mjs'),
    slowServer: join(ROOT, 'bench/floors/slow-server.mjs'),
    reader: join(ROOT, 'bench/reader.mjs'),
  };
  const tmp = mkdtempSync(join(tmpdir(), 'poetry-bench-'));
  let memoryTmp = null;
  let sequence = 0;
  const scenarios = [];
  const failures = [];
  const wantsNode24 = !options.quick && options.only.includes('startup');
  return {
    quick: options.quick,
    scaleSizes: options.scaleSizes,
    /** The Node that runs what feeds a measured program (servers, readers), whatever --runtime. */
    node,
    /** How the runtime under measure runs a file: js(script, ...args) is an argv. */
    js: runtime.argv,
    runtime,
    paths,
    tmp,
    programs: {
      client: { name: 'get-poetry', ...probeOurs(runtime.argv, paths.getPoetry) },
      server: { name: 'poetry-server', ...probeOurs(runtime.argv, paths.poetryServer) },
      floorClient: { name: 'floor client (node:net)', available: true, isFloor: true },
      peerClient: { name: 'peer client (Python asyncio)', ...probePython(options.python) },
      floorServer: { name: 'floor slow server (node:net)', available: true, isFloor: true },
    },
    node24: wantsNode24
      ? findNode24(log)
      : { available: false, reason: 'a quick run or one without start-up' },
    scenarios,
    failures,
    log,
    /**
     * Runs of each program: --runs if given; else one in a quick run, `fullRuns` in a full one
     * (more where one noisy neighbour on a shared machine can spoil a run).
     */
    runsFor: (fullRuns) => options.runs ?? (options.quick ? 1 : fullRuns),
    /** Our option, only where our --help lists it (so an absent option is not a crash). */
    option(program, name, value) {
      if (!program.help?.includes(name)) return [];
      return value === undefined ? [name] : [name, String(value)];
    },
    /**
     * A scratch folder with room for `bytes`: in memory (/dev/shm) when it has the room, else
     * the temp dir. Files written to a disk are at the mercy of its write-back (the same 1 GiB
     * write took 0.8 s or 1.8 s for either program), which measures the disk, not the programs;
     * in memory a file is still a file (the same system calls, the same copy into the page cache).
     */
    scratch(bytes) {
      try {
        const fs = statfsSync('/dev/shm');
        if (fs.bavail * fs.bsize < 2 * bytes) return tmp;
        memoryTmp ??= mkdtempSync('/dev/shm/poetry-bench-');
        return memoryTmp;
      } catch {
        return tmp;
      }
    },
    /** A number unique in this run, for file names. */
    nextId: () => ++sequence,
    record(scenario) {
      scenarios.push(scenario);
    },
    fail(message) {
      failures.push(message);
      log(`  FAILED: ${message}`);
    },
    cleanUp() {
      killAll();
      rmSync(tmp, { recursive: true, force: true });
      if (memoryTmp) rmSync(memoryTmp, { recursive: true, force: true });
    },
  };
}

// --- main ------------------------------------------------------------------------------------

function log(message) {
  process.stderr.write(`${message}\n`);
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const options = parseOptions(argv);
  if (options.readmeFrom !== null) {
    const saved = JSON.parse(readFileSync(options.readmeFrom, 'utf8'));
    const missing = NAMES.filter((name) => !saved.scenariosRun?.includes(name));
    if (missing.length) fatal(`${options.readmeFrom} lacks scenarios: ${missing.join(', ')}`);
    if (saved.machine?.nodeFlags) fatal(`${options.readmeFrom} ran with --node-flags`);
    updateReadme(README, saved);
    log(`bench: README.md tables rewritten from ${options.readmeFrom}`);
    return;
  }
  if (options.runtimesTable) {
    const names = updateRuntimesTable(README, RESULTS);
    log(`bench: README.md cross-runtime table rewritten from the runs under ${names.join(', ')}`);
    return;
  }
  const found = findRuntime(options.runtime ?? 'node');
  if (found.error) fatal(found.error);
  const flags = options.nodeFlags;
  const runtime = flags.length
    ? { ...found, argv: (script, ...args) => found.argv(...flags, script, ...args) }
    : found;

  const began = performance.now();
  const info = machine();
  if (options.runtime !== null) info.runtime = runtime.version;
  if (flags.length) info.nodeFlags = flags.join(' ');
  const context = makeContext(options, runtime, log);
  if (context.node24.available) info.node24 = context.node24.version;
  process.on('exit', context.cleanUp);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      log(`bench: ${signal}: stopping`);
      process.exit(130);
    });
  }
  log(`bench: ${options.quick ? 'quick' : 'full'} run; ${machineLine(info)}`);
  if (options.runtime !== null) log(`bench: the measured programs run under ${runtime.version}`);
  if (!gnuTimeAvailable) {
    log(
      'bench: /usr/bin/time (Debian package "time") is missing: CPU and peak RSS are not measured',
    );
  }
  for (const key of ['client', 'server', 'peerClient']) {
    const program = context.programs[key];
    if (program.crashed) context.failures.push(`${program.name}: ${program.reason}`);
    if (!program.available) log(`bench: ${program.name} not available: ${program.reason}`);
  }

  try {
    for (const name of NAMES.filter((n) => options.only.includes(n))) {
      log(`bench: ${name}`);
      try {
        await SCENARIOS[name](context);
      } catch (error) {
        context.fail(`${name}: ${error.stack ?? error}`);
      }
    }
  } finally {
    context.cleanUp();
  }

  const mode = options.quick ? 'quick' : 'full';
  const document = {
    mode,
    scenariosRun: options.only,
    // Sizes other than the scale scenario's own, when --scale-sizes chose them.
    scaleSizes: options.scaleSizes,
    date: new Date().toISOString(),
    durationSeconds: Math.round(performance.now() - began) / 1000,
    machine: info,
    gnuTime: gnuTimeAvailable,
    scenarios: context.scenarios.map((s) => ({
      ...s,
      targets: s.targets.map((t) => ({
        ...t,
        holds: typeof t.value === 'number' ? t.value <= t.limit : null,
      })),
    })),
    failures: context.failures,
  };
  const report = markdown(document);
  process.stdout.write(`\n${report}`);
  if (document.failures.length) {
    process.stdout.write(
      `\nFAILURES (crash, lost or corrupted poem):\n- ${document.failures.join('\n- ')}\n`,
    );
  }

  if (options.runtime !== null) {
    document.runtime = { name: runtime.name, version: runtime.version };
    document.runsEach = options.runs;
  }
  mkdirSync(RESULTS, { recursive: true });
  const stamp = document.date.replace(/[:.]/g, '-');
  const json = `${JSON.stringify(document, null, 2)}\n`;
  const latest = `latest${options.quick ? '-quick' : ''}`;
  writeFileSync(join(RESULTS, `${stamp}-${mode}.json`), json);
  writeFileSync(join(RESULTS, `${latest}.json`), json);
  writeFileSync(join(RESULTS, `${latest}.md`), report);
  log(`bench: results in bench/results/${latest}.{json,md}`);
  // A flagged run is an experiment: the cross-runtime table takes only plain runs.
  if (options.runtime !== null && !options.quick && !flags.length) {
    writeFileSync(runtimeResultsPath(RESULTS, runtime.name), json);
    log(`bench: kept for the cross-runtime table: bench/results/runtime-${runtime.name}.json`);
  }
  if (options.updateReadme) {
    updateReadme(README, document);
    log('bench: README.md tables rewritten');
  }
  process.exitCode = document.failures.length ? 1 : 0;
}

await main();
