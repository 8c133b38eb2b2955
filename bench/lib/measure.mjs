// Measuring a scenario: rows of runs, programs run in alternation, every run checked, medians.
import { closeSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hashFile } from './poems.mjs';
import { run } from './processes.mjs';
import { median, mib, ratio } from './report.mjs';

/** A row of the results: one program in one scenario, its runs and (later) medians and ratios. */
export function row(program, name = program.name) {
  return {
    program: name,
    isFloor: Boolean(program.isFloor),
    status: program.available ? 'ok' : program.crashed ? 'FAILED' : 'not available',
    reason: program.reason,
    runs: [],
  };
}

/** How a run ended, for a failure message. */
export function describeEnd(result) {
  if (result.error) return result.error;
  const said = `${result.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
  return `exit ${result.exitCode ?? result.signal}${said ? `: ${said}` : ''}`;
}

/**
 * Whether the file at path is `expected` ({ bytes, sha256, path? }); a problem, or null. With
 * `expected.path` (the poem as served) the bytes are compared, several times faster than a hash,
 * which counts for a GiB checked after every run.
 */
async function checkFile(path, expected, what) {
  const { size } = statSync(path);
  if (size !== expected.bytes) return `${what} has ${size} bytes, expected ${expected.bytes}`;
  const same = expected.path
    ? sameBytes(path, expected.path)
    : (await hashFile(path)) === expected.sha256;
  return same ? null : `${what} is not byte-exact`;
}

const COMPARE_BLOCK_BYTES = 4 * 2 ** 20;

/** Whether two files of the same size hold the same bytes. */
function sameBytes(pathA, pathB) {
  const a = openSync(pathA, 'r');
  const b = openSync(pathB, 'r');
  const blockA = Buffer.allocUnsafe(COMPARE_BLOCK_BYTES);
  const blockB = Buffer.allocUnsafe(COMPARE_BLOCK_BYTES);
  try {
    for (;;) {
      const readA = readSync(a, blockA, 0, COMPARE_BLOCK_BYTES);
      const readB = readSync(b, blockB, 0, COMPARE_BLOCK_BYTES);
      if (readA !== readB) return false;
      if (readA === 0) return true;
      if (!blockA.subarray(0, readA).equals(blockB.subarray(0, readB))) return false;
    }
  } finally {
    closeSync(a);
    closeSync(b);
  }
}

/**
 * Runs argv once, measured, with its stdout a file in memory, then checks what it printed
 * byte-exact against `expected` ({ bytes, sha256 }) and removes the file. Resolves to
 * { result, problem }.
 */
export async function runPrinting(context, argv, expected, { timeoutSeconds, env } = {}) {
  const stdoutPath = join(context.scratch(expected.bytes), `stdout-${context.nextId()}.txt`);
  try {
    const result = await run(argv, { tmp: context.tmp, timeoutSeconds, stdoutPath, env });
    if (!result.ok) return { result, problem: describeEnd(result) };
    return { result, problem: await checkFile(stdoutPath, expected, 'stdout') };
  } finally {
    rmSync(stdoutPath, { force: true });
  }
}

/**
 * Runs argv(dir) once, measured, for a program that writes one file into dir, then checks that
 * file byte-exact against `expected` and removes dir. Resolves to { result, problem }.
 */
export async function runWritingFile(context, argv, expected, { timeoutSeconds } = {}) {
  const dir = join(context.scratch(expected.bytes), `out-${context.nextId()}`);
  mkdirSync(dir);
  try {
    const result = await run(argv(dir), { tmp: context.tmp, timeoutSeconds });
    if (!result.ok) return { result, problem: describeEnd(result) };
    const files = readdirSync(dir);
    if (files.length !== 1) {
      return { result, problem: `expected one file in --output dir, found ${files.length}` };
    }
    return { result, problem: await checkFile(join(dir, files[0]), expected, files[0]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs each entry `runs` times, interleaved and in alternating order (ours, floor, floor, ours,
 * …) so drifting background load falls on all. once(entry, i) returns { result, problem }; a
 * program that crashes or prints a poem that is not byte-exact is recorded as a failure and not
 * run again. warmUp: 'floor' runs the floor once first, unrecorded (the first process to touch a
 * fresh poem file or a socket storm pays for cold caches, and that should not be whichever
 * program goes first); 'all' runs every entry once first (a command's first start under a Node
 * may write a compile cache); false, none.
 */
export async function alternate(context, label, entries, runs, once, { warmUp = 'floor' } = {}) {
  if (warmUp && !context.quick) {
    const warmed = warmUp === 'all' ? entries : entries.filter((entry) => entry.row.isFloor);
    for (const entry of warmed) {
      if (entry.row.status === 'ok') await once(entry, -1).catch(() => {});
    }
  }
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
        context.fail(`${label}, ${entry.row.program}: ${problem}`);
        continue;
      }
      entry.row.runs.push({
        wallSeconds: result.wallSeconds,
        cpuSeconds: result.cpuSeconds,
        peakRssKiB: result.peakRssKiB,
        ...result.extra,
      });
      context.log(
        `  ${label} · ${entry.row.program} run ${i + 1}/${runs}: wall ${result.wallSeconds.toFixed(3)} s, ` +
          `CPU ${result.cpuSeconds?.toFixed(2) ?? '–'} s, RSS ${mib(result.peakRssKiB)} MiB`,
      );
    }
  }
}

/** Medians per row, and each row's ratios to the floor row. */
export function finish(rows, floorRow) {
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

/** Adds `text` to a row's note. */
export function note(r, text) {
  r.note = r.note ? `${r.note}; ${text}` : text;
}

/** Targets on a row's ratios to the floor: { wall, cpu, rss } limits, each optional. */
export function ratioTargets(ours, limits, prefix = '') {
  const names = { wall: 'wall', cpu: 'CPU', rss: 'peak RSS' };
  return Object.entries(limits).map(([key, limit]) => ({
    name: `${prefix}${names[key]} ours/floor`,
    value: ours.ratio?.[key] ?? null,
    limit,
    unit: 'times',
  }));
}
