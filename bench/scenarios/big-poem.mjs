// Scenario 2, big poems: one poem of a GiB streamed to a file, and one of 256 MiB held in memory.
import { join } from 'node:path';
import {
  alternate,
  finish,
  note,
  ratioTargets,
  row,
  runPrinting,
  runWritingFile,
} from '../lib/measure.mjs';
import { writePoem } from '../lib/poems.mjs';
import { startServer } from '../lib/processes.mjs';

const MiB = 2 ** 20;

/**
 * Writes a poem of `bytes` into the scratch space and serves it from a floor fast server: what
 * both halves set up alike, with a row per program and ours' options.
 */
async function servePoem(context, label, fileName, bytes, { inMemory }) {
  const { node, paths, programs } = context;
  const poemPath = join(context.tmp, fileName);
  context.log(`  ${label}: writing the poem`);
  const expected = { bytes, sha256: writePoem(poemPath, bytes), path: poemPath };
  const server = await startServer([node, paths.fastServer, poemPath], { tmp: context.tmp });
  return {
    label,
    expected,
    server,
    address: `127.0.0.1:${server.port}`,
    ours: row(programs.client),
    floor: row(programs.floorClient),
    peer: row(programs.peerClient),
    // A poem streamed to a file has no cap by default; one held in memory needs a cap above it.
    ourOptions: [
      ...context.option(programs.client, '--no-progress'),
      ...(inMemory ? context.option(programs.client, '--max-bytes', bytes + MiB) : []),
    ],
  };
}

/**
 * Runs one half's programs alternately, stops its server, and records the half: every row's
 * runs were byte-exact (checked by `runOne`), `rowNote` may add a row's own note, and ours is held
 * to `rssTarget(median)` and to a wall time within 1.1× the floor's.
 */
async function measureHalf(
  context,
  half,
  { id, bytes, entries, runs, runOne, rssTarget, rowNote },
) {
  const { label, server, ours, floor, peer } = half;
  try {
    await alternate(context, label, entries, runs, runOne);
  } finally {
    await server.stop();
  }
  const rows = [ours, floor, peer];
  finish(rows, floor);
  for (const r of rows) {
    if (!r.median) continue;
    note(r, 'every run byte-exact');
    rowNote?.(r);
  }
  context.record({
    id,
    title: label,
    params: { poemBytes: bytes },
    rows,
    targets: [rssTarget(ours.median), ...ratioTargets(ours, { wall: 1.1 })],
  });
}

/** Both halves of the scenario, each with its own poem and fast server. */
export async function bigPoem(context) {
  await bigPoemToFile(context);
  await bigPoemInMemory(context);
}

/** Every program writes the poem into a file of its own (--output DIR), checked after each run. */
async function bigPoemToFile(context) {
  const { js, paths } = context;
  const bytes = context.quick ? 32 * MiB : 1024 * MiB;
  const half = await servePoem(
    context,
    `2 big poem ${bytes / MiB} MiB → file`,
    'big-file.txt',
    bytes,
    { inMemory: false },
  );
  const { expected, address, ours, floor, peer, ourOptions } = half;
  await measureHalf(context, half, {
    id: 'big-poem-file',
    bytes,
    entries: [
      {
        row: ours,
        argv: (dir) => js(paths.getPoetry, ...ourOptions, '--output', dir, address),
      },
      { row: floor, argv: (dir) => js(paths.floorClient, '--output', dir, address) },
      { row: peer, argv: (dir) => ['python3', paths.peerClient, '--output', dir, address] },
    ],
    // A GiB written into memory still ranges widely run to run on a shared machine.
    runs: context.runsFor(7),
    runOne: (entry) => runWritingFile(context, entry.argv, expected, { timeoutSeconds: 180 }),
    rssTarget: (median) => ({
      name: 'peak RSS ours',
      value: median ? median.peakRssKiB / 1024 : null,
      limit: 100,
      unit: 'MiB',
    }),
  });
}

/**
 * Every program holds the poem in memory until it is whole, then prints it on stdout, checked
 * after each run. Ours is given a size cap just above the poem, and the floor the same.
 */
async function bigPoemInMemory(context) {
  const { js, paths } = context;
  const bytes = context.quick ? 16 * MiB : 256 * MiB;
  const half = await servePoem(
    context,
    `2 big poem ${bytes / MiB} MiB in memory`,
    'big-memory.txt',
    bytes,
    { inMemory: true },
  );
  const { expected, address, ours, floor, peer, ourOptions } = half;
  await measureHalf(context, half, {
    id: 'big-poem-memory',
    bytes,
    entries: [
      { row: ours, argv: js(paths.getPoetry, ...ourOptions, address) },
      { row: floor, argv: js(paths.floorClient, '--max-bytes', String(bytes + MiB), address) },
      { row: peer, argv: ['python3', paths.peerClient, address] },
    ],
    runs: context.runsFor(5),
    runOne: (entry) => runPrinting(context, entry.argv, expected, { timeoutSeconds: 180 }),
    rssTarget: (median) => ({
      name: 'peak RSS ours ÷ poem size',
      value: median?.peakRssKiB ? (median.peakRssKiB * 1024) / bytes : null,
      limit: 1.6,
      unit: 'times',
    }),
    rowNote(r) {
      if (r.median.peakRssKiB) {
        note(r, `RSS ${((r.median.peakRssKiB * 1024) / bytes).toFixed(2)}× the poem`);
      }
    },
  });
}
