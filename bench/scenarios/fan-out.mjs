// Scenario 1, fan-out: one client fetches thousands of small poems from one fast server at once.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, finish, note, ratioTargets, row, runPrinting } from '../lib/measure.mjs';
import { poemBuffer, printedPoems } from '../lib/poems.mjs';
import { startServer } from '../lib/processes.mjs';

const POEM_BYTES = 3_000;

/**
 * Every program prints every poem on stdout (get-poetry's format), checked after each run; ours
 * both with 127.0.0.1:PORT and with a bare PORT, against the same floor (127.0.0.1:PORT). The
 * clients run under the runtime measured (--runtime); the server that feeds them, under Node.
 */
export async function fanOut(context) {
  const { node, js, paths, programs } = context;
  const counts = context.quick ? [200, 1_000] : [2_000, 10_000];
  const poem = poemBuffer(POEM_BYTES);
  const poemPath = join(context.tmp, 'fan-out.txt');
  writeFileSync(poemPath, poem);
  const server = await startServer([node, paths.fastServer, poemPath], { tmp: context.tmp });
  try {
    for (const count of counts) {
      const label = `1 fan-out ${count.toLocaleString('en')}`;
      const addresses = Array(count).fill(`127.0.0.1:${server.port}`);
      const expected = printedPoems(addresses, poem);
      // A bare PORT, as users type it; get-poetry's headers name it localhost:PORT.
      const bareExpected = printedPoems(Array(count).fill(`localhost:${server.port}`), poem);
      const ours = row(programs.client, 'get-poetry 127.0.0.1:PORT');
      const bare = row(programs.client, 'get-poetry PORT');
      const floor = row(programs.floorClient);
      const peer = row(programs.peerClient);
      const ourOptions = [
        ...context.option(programs.client, '--no-progress'),
        ...context.option(programs.client, '--concurrency', count),
      ];
      const entries = [
        { row: ours, argv: js(paths.getPoetry, ...ourOptions, ...addresses), expected },
        { row: floor, argv: js(paths.floorClient, ...addresses), expected },
        {
          row: bare,
          argv: js(paths.getPoetry, ...ourOptions, ...Array(count).fill(String(server.port))),
          expected: bareExpected,
        },
        { row: peer, argv: ['python3', paths.peerClient, ...addresses], expected },
      ];
      await alternate(context, label, entries, context.runsFor(5), (entry) =>
        runPrinting(context, entry.argv, entry.expected, { timeoutSeconds: 120 }),
      );
      const rows = [ours, bare, floor, peer];
      finish(rows, floor);
      for (const r of rows) {
        if (r.runs.length) note(r, 'every run byte-exact');
      }
      context.record({
        id: `fan-out-${count}`,
        title: label,
        params: { fetches: count, poemBytes: POEM_BYTES },
        rows,
        targets: [
          ...ratioTargets(ours, { wall: 1.25, cpu: 1.3, rss: 1.5 }),
          ...ratioTargets(bare, { wall: 1.25, cpu: 1.3 }, 'bare PORT: '),
        ],
      });
    }
  } finally {
    await server.stop();
  }
}
