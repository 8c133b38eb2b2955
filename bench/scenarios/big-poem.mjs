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

/** Both halves of the scenario, each with its own poem and fast server. */
export async function bigPoem(context) {
  await bigPoemToFile(context);
  await bigPoemInMemory(context);
}

/** Every program writes the poem into a file of its own (--output DIR), checked after each run. */
async function bigPoemToFile(context) {
  const { node, paths } = context;
  const bytes = context.quick ? 32 * MiB : 1024 * MiB;
  const { label, expected, server, address, ours, floor, peer, ourOptions } = await servePoem(
    context,
    `2 big poem ${bytes / MiB} MiB → file`,
    'big-file.txt',
    bytes,
    { inMemory: false },
  );
  try {
    await alternate(
      context,
      label,
      [
        {
          row: ours,
          argv: (dir) => [node, paths.getPoetry, ...ourOptions, '--output', dir, address],
        },
        { row: floor, argv: (dir) => [node, paths.floorClient, '--output', dir, address] },
        { row: peer, argv: (dir) => ['python3', paths.peerClient, '--output', dir, address] },
      ],
      // A GiB written into memory still ranges widely run to run on a shared machine.
      context.runsFor(7),
      (entry) => runWritingFile(context, entry.argv, expected, { timeoutSeconds: 180 }),
    );
  } finally {
    await server.stop();
  }
  finish([ours, floor, peer], floor);
  for (const r of [ours, floor, peer]) {
    if (r.runs.length) note(r, 'every run byte-exact');
  }
  context.record({
    id: 'big-poem-file',
    title: label,
    params: { poemBytes: bytes },
    rows: [ours, floor, peer],
    targets: [
      {
        name: 'peak RSS ours',
        value: ours.median ? ours.median.peakRssKiB / 1024 : null,
        limit: 100,
        unit: 'MiB',
      },
      ...ratioTargets(ours, { wall: 1.1 }),
    ],
  });
}

/**
 * Every program holds the poem in memory until it is whole, then prints it on stdout, checked
 * after each run. Ours is given a size cap just above the poem, and the floor the same.
 */
async function bigPoemInMemory(context) {
  const { node, paths } = context;
  const bytes = context.quick ? 16 * MiB : 256 * MiB;
  const { label, expected, server, address, ours, floor, peer, ourOptions } = await servePoem(
    context,
    `2 big poem ${bytes / MiB} MiB in memory`,
    'big-memory.txt',
    bytes,
    { inMemory: true },
  );
  try {
    await alternate(
      context,
      label,
      [
        { row: ours, argv: [node, paths.getPoetry, ...ourOptions, address] },
        {
          row: floor,
          argv: [node, paths.floorClient, '--max-bytes', String(bytes + MiB), address],
        },
        { row: peer, argv: ['python3', paths.peerClient, address] },
      ],
      context.runsFor(5),
      (entry) => runPrinting(context, entry.argv, expected, { timeoutSeconds: 180 }),
    );
  } finally {
    await server.stop();
  }
  finish([ours, floor, peer], floor);
  for (const r of [ours, floor, peer]) {
    if (!r.median) continue;
    note(r, 'every run byte-exact');
    if (r.median.peakRssKiB) {
      note(r, `RSS ${((r.median.peakRssKiB * 1024) / bytes).toFixed(2)}× the poem`);
    }
  }
  context.record({
    id: 'big-poem-memory',
    title: label,
    params: { poemBytes: bytes },
    rows: [ours, floor, peer],
    targets: [
      {
        name: 'peak RSS ours ÷ poem size',
        value: ours.median?.peakRssKiB ? (ours.median.peakRssKiB * 1024) / bytes : null,
        limit: 1.6,
        unit: 'times',
      },
      ...ratioTargets(ours, { wall: 1.1 }),
    ],
  });
}
