// Scenario 5, start-up: one fetch of one small poem, where a short run's time is mostly start-up.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  alternate,
  describeEnd,
  finish,
  note,
  ratioTargets,
  row,
  runPrinting,
} from '../lib/measure.mjs';
import { poemBuffer, printedPoems } from '../lib/poems.mjs';
import { run, startServer } from '../lib/processes.mjs';

const POEM_BYTES = 3_000;

/**
 * Ours, as users type it (a bare PORT, and 127.0.0.1:PORT), against the floor client, each
 * printing the poem on stdout, checked after each run: on the Node that runs the bench, and in a
 * full run under Node 24 too. Then `get-poetry --help` against `node -e ""`, with no target: how
 * much of a start is Node's own.
 */
export async function startup(context) {
  const poem = poemBuffer(POEM_BYTES);
  const poemPath = join(context.tmp, 'startup.txt');
  writeFileSync(poemPath, poem);
  const server = await startServer([context.node, context.paths.fastServer, poemPath], {
    tmp: context.tmp,
  });
  try {
    await oneFetch(context, server.port, poem, { path: context.node, version: process.version });
    if (context.node24.available) {
      await oneFetch(context, server.port, poem, context.node24);
    } else {
      context.log(`bench: start-up under Node 24 skipped: ${context.node24.reason}`);
    }
  } finally {
    await server.stop();
  }
  await helpOnly(context);
}

async function oneFetch(context, port, poem, node) {
  const { paths, programs } = context;
  const label = `5 start-up: one fetch, Node ${node.version}`;
  const address = `127.0.0.1:${port}`;
  // One address: the poem alone, as get-poetry prints it.
  const expected = printedPoems([address], poem);
  const full = row(programs.client, 'get-poetry 127.0.0.1:PORT');
  const bare = row(programs.client, 'get-poetry PORT');
  const floor = row(programs.floorClient, 'floor client 127.0.0.1:PORT');
  await alternate(
    context,
    label,
    [
      { row: full, argv: [node.path, paths.getPoetry, address] },
      { row: floor, argv: [node.path, paths.floorClient, address] },
      { row: bare, argv: [node.path, paths.getPoetry, String(port)] },
    ],
    context.runsFor(10),
    (entry) => runPrinting(context, entry.argv, expected, { timeoutSeconds: 30 }),
    { warmUp: 'all' },
  );
  finish([full, bare, floor], floor);
  for (const r of [full, bare, floor]) {
    if (r.runs.length) note(r, 'every run byte-exact');
  }
  context.record({
    id: `startup-fetch-node${node.version.split('.')[0].slice(1)}`,
    title: label,
    params: { poemBytes: poem.length, node: node.version },
    rows: [full, bare, floor],
    targets: [
      ...ratioTargets(full, { wall: 1.25 }).map((t) => ({
        ...t,
        name: `wall ${full.program}/floor`,
      })),
      ...ratioTargets(bare, { wall: 1.25 }).map((t) => ({
        ...t,
        name: `wall ${bare.program}/floor`,
      })),
    ],
  });
}

async function helpOnly(context) {
  const label = `5 start-up: --help, Node ${process.version}`;
  const ours = row(context.programs.client, 'get-poetry --help');
  const floor = row({ name: 'node -e ""', available: true, isFloor: true });
  await alternate(
    context,
    label,
    [
      { row: ours, argv: [context.node, context.paths.getPoetry, '--help'] },
      { row: floor, argv: [context.node, '-e', ''] },
    ],
    context.runsFor(10),
    async (entry) => {
      const result = await run(entry.argv, { tmp: context.tmp, timeoutSeconds: 30 });
      if (!result.ok) return { result, problem: describeEnd(result) };
      const printed = result.stdout.toString('utf8');
      const problem =
        entry.row === ours && !printed.startsWith('Usage: get-poetry')
          ? 'no usage on stdout'
          : null;
      return { result, problem };
    },
    { warmUp: 'all' },
  );
  finish([ours, floor], floor);
  context.record({
    id: 'startup-help',
    title: label,
    params: { node: process.version },
    rows: [ours, floor],
    targets: [],
  });
}
