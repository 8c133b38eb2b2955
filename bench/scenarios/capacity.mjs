// Scenario 4, server capacity: thousands of readers at once on a slow server, each chunk timed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, describeEnd, finish, note, ratioTargets, row } from '../lib/measure.mjs';
import { poemBuffer } from '../lib/poems.mjs';
import { run, startServer } from '../lib/processes.mjs';
import { median } from '../lib/report.mjs';

/**
 * Ours and the floor slow server in turn, each read by bench/reader.mjs, which checks every
 * reader's poem byte-exact in each run. Wall is the readers' (first connect to last close); CPU
 * and RSS are the server's. The servers run under the runtime measured (--runtime); the readers,
 * under Node.
 */
export async function capacity(context) {
  const { node, js, paths, programs } = context;
  const { readers, delaySeconds, numBytes, poemBytes } = context.quick
    ? { readers: 500, delaySeconds: 0.05, numBytes: 64, poemBytes: 1_000 }
    : { readers: 5_000, delaySeconds: 0.1, numBytes: 64, poemBytes: 3_000 };
  const label = `4 server capacity ${readers.toLocaleString('en')} readers`;
  const poemPath = join(context.tmp, 'capacity.txt');
  writeFileSync(poemPath, poemBuffer(poemBytes));
  const server = programs.server;
  const ours = row(server);
  const floor = row(programs.floorServer);
  const entries = [
    {
      row: ours,
      argv: js(
        paths.poetryServer,
        '--port',
        '0',
        '--iface',
        '127.0.0.1',
        '--delay',
        delaySeconds,
        '--num-bytes',
        numBytes,
        ...context.option(server, '--quiet'),
        ...context.option(server, '--backlog', readers),
        ...context.option(server, '--max-connections', readers * 2),
        poemPath,
      ),
    },
    { row: floor, argv: js(paths.slowServer, poemPath, delaySeconds, numBytes) },
  ];
  await alternate(
    context,
    label,
    entries,
    context.runsFor(5),
    async (entry) => {
      const running = await startServer(entry.argv.map(String), {
        tmp: context.tmp,
        measured: true,
      });
      let reading;
      let result;
      try {
        reading = await run(
          [
            node,
            paths.reader,
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
          { tmp: context.tmp, measured: false, timeoutSeconds: 120 },
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
  const ms = (value) => (typeof value === 'number' ? `${value.toFixed(1)} ms` : '–');
  for (const r of [ours, floor]) {
    if (!r.runs.length) continue;
    r.latenessP99Ms = median(r.runs.map((m) => m.latenessP99Ms));
    r.firstByteP99Ms = median(r.runs.map((m) => m.firstByteP99Ms));
    note(
      r,
      `every reader byte-exact; lateness p99 ${ms(r.latenessP99Ms)}, ` +
        `first byte p99 ${ms(r.firstByteP99Ms)}; wall: the readers’`,
    );
  }
  context.record({
    id: 'capacity',
    title: label,
    params: { readers, delaySeconds, numBytes, poemBytes },
    rows: [ours, floor],
    targets: [
      { name: 'chunk lateness p99', value: ours.latenessP99Ms ?? null, limit: 50, unit: 'ms' },
      ...ratioTargets(ours, { cpu: 1.3, rss: 1.5 }, 'server '),
    ],
  });
}
