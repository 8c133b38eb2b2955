// Scenario 3, slow servers: one client fetches from three servers that each drip the poem on a schedule.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, finish, note, row, runPrinting } from '../lib/measure.mjs';
import { poemBuffer, printedPoems } from '../lib/poems.mjs';
import { startServer } from '../lib/processes.mjs';

/** The most ours may end after the floor client, fetching the same poems from the same servers. */
const PAST_FLOOR_MS = 30;

/** Every program prints every poem on stdout (get-poetry's format), checked after each run. */
export async function slow(context) {
  const { node, paths, programs } = context;
  const { poemBytes, configs } = context.quick
    ? {
        poemBytes: 600,
        configs: [
          { delaySeconds: 0.05, numBytes: 100 },
          { delaySeconds: 0.02, numBytes: 50 },
          { delaySeconds: 0.1, numBytes: 300 },
        ],
      }
    : {
        poemBytes: 3_000,
        configs: [
          { delaySeconds: 0.1, numBytes: 256 },
          { delaySeconds: 0.05, numBytes: 100 },
          { delaySeconds: 0.2, numBytes: 512 },
        ],
      };
  const poem = poemBuffer(poemBytes);
  const poemPath = join(context.tmp, 'slow.txt');
  writeFileSync(poemPath, poem);
  // The floor slow server writes chunk n at n × delay and closes with the last one.
  const scheduleSeconds = Math.max(
    ...configs.map((c) => (Math.ceil(poemBytes / c.numBytes) - 1) * c.delaySeconds),
  );
  const label = `3 slow servers ×${configs.length}`;
  const servers = [];
  const ours = row(programs.client);
  const floor = row(programs.floorClient);
  const peer = row(programs.peerClient);
  try {
    for (const c of configs) {
      servers.push(
        await startServer([node, paths.slowServer, poemPath, c.delaySeconds, c.numBytes], {
          tmp: context.tmp,
        }),
      );
    }
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    const expected = printedPoems(addresses, poem);
    const ourOptions = context.option(programs.client, '--no-progress');
    await alternate(
      context,
      label,
      [
        { row: ours, argv: [node, paths.getPoetry, ...ourOptions, ...addresses] },
        { row: floor, argv: [node, paths.floorClient, ...addresses] },
        { row: peer, argv: ['python3', paths.peerClient, ...addresses] },
      ],
      context.runsFor(5),
      (entry) => runPrinting(context, entry.argv, expected, { timeoutSeconds: 60 }),
    );
  } finally {
    for (const s of servers) await s.stop();
  }
  finish([ours, floor, peer], floor);
  for (const r of [ours, floor, peer]) {
    if (!r.median) continue;
    const over = (r.median.wallSeconds - scheduleSeconds) * 1000;
    note(r, `every run byte-exact; ${over.toFixed(0)} ms past the schedule`);
  }
  const pastFloorMs =
    ours.median && floor.median
      ? (ours.median.wallSeconds - floor.median.wallSeconds) * 1000
      : null;
  context.record({
    id: 'slow',
    title: label,
    params: { poemBytes, servers: configs, slowestScheduleSeconds: scheduleSeconds },
    rows: [ours, floor, peer],
    targets: [{ name: 'wall ours − floor', value: pastFloorMs, limit: PAST_FLOOR_MS, unit: 'ms' }],
  });
}
