// Scenario 6, scale: one run of a list of up to a million addresses, streamed in and out, on many servers.

import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, describeEnd, finish, note, row } from '../lib/measure.mjs';
import { poemBuffer } from '../lib/poems.mjs';
import { run, startServer } from '../lib/processes.mjs';
import { mib } from '../lib/report.mjs';

const POEM_BYTES = 1_000;
const CONCURRENCY = 10_000;
/** The servers listen on 127.0.0.1 … 127.0.0.ADDRESSES, as many on each. */
const ADDRESSES = 8;
/** Descriptors a client needs besides its sockets (stdio, the list, Node's own). */
const SPARE_DESCRIPTORS = 100;

/**
 * The client's ephemeral ports per destination (address, port): the kernel's
 * ip_local_port_range (32768–60999 by default, 28,232 ports).
 */
function ephemeralPorts() {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return high - low + 1;
  } catch {
    return 28_232;
  }
}

/** The descriptors one process may hold here (`ulimit -n`, which our children inherit). */
function descriptorLimit() {
  const probe = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const limit = Number(probe.stdout?.trim());
  return Number.isFinite(limit) ? limit : Number.POSITIVE_INFINITY;
}

/**
 * How many server processes, one destination each: every server closes first, so each fetch
 * leaves a TIME_WAIT entry (60 s) on the server's side of its 4-tuple, and a client has
 * `ports` source ports per destination. With at least fetches / ports destinations no 4-tuple
 * is used twice in one run, so no connection depends on the kernel reusing a TIME_WAIT tuple.
 * Rounded up to a whole number of servers per address; the same for every size of a run, so a
 * server's peak at one size compares with its peak at another.
 */
function serverLayout(largest, ports) {
  const destinations = Math.ceil(largest / ports);
  const perAddress = Math.max(1, Math.ceil(destinations / ADDRESSES));
  return { perAddress, servers: perAddress * ADDRESSES };
}

/** Writes `count` addresses, one a line, dealt round the servers in turn; a comment first. */
function writeAddressFile(path, count, destinations) {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, `# ${count} fetches over ${destinations.length} servers\n`);
    const block = `${destinations.join('\n')}\n`;
    const blocks = Math.floor(count / destinations.length);
    // Whole rounds in large writes, then the rest.
    const perWrite = Math.max(1, Math.floor((1 << 20) / block.length));
    for (let done = 0; done < blocks; done += perWrite) {
      writeSync(fd, block.repeat(Math.min(perWrite, blocks - done)));
    }
    const rest = count - blocks * destinations.length;
    if (rest > 0) writeSync(fd, `${destinations.slice(0, rest).join('\n')}\n`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks a --jsonl stream as it arrives, keeping nothing of a record: each poem record's text
 * must be the poem served, its bytes the poem's length, its address the one on its line (index
 * counts input lines from 1, comments and blank lines not counted), each index once; failure
 * records are counted; one summary object (a record without an index) must count every poem
 * and no failure.
 */
class JsonlCheck {
  constructor(count, poemText, destinations) {
    this.count = count;
    this.poemText = poemText;
    this.poemBytes = Buffer.byteLength(poemText);
    this.destinations = destinations;
    this.seen = new Uint8Array(count + 1);
    this.poems = 0;
    this.failed = 0;
    this.summaries = 0;
    this.problems = [];
    this.problemCount = 0;
    this.carry = null;
  }

  problem(text) {
    this.problemCount++;
    if (this.problems.length < 3) this.problems.push(text);
  }

  feed(chunk) {
    let data = chunk;
    if (this.carry !== null) {
      data = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    let start = 0;
    for (;;) {
      const newline = data.indexOf(0x0a, start);
      if (newline === -1) break;
      if (newline > start) this.line(data.toString('utf8', start, newline));
      start = newline + 1;
    }
    if (start < data.length) this.carry = Buffer.from(data.subarray(start));
  }

  line(text) {
    let record;
    try {
      record = JSON.parse(text);
    } catch {
      this.problem(`not JSON: ${text.slice(0, 80)}`);
      return;
    }
    const index = record?.index;
    if (typeof index !== 'number') {
      this.summaries++;
      if (record?.poems !== this.count || record?.failures !== 0) {
        this.problem(`summary: ${text.slice(0, 120)}`);
      }
      return;
    }
    if (!(Number.isInteger(index) && index >= 1 && index <= this.count)) {
      this.problem(`index ${index} out of range`);
      return;
    }
    if (this.seen[index]) this.problem(`index ${index} twice`);
    this.seen[index] = 1;
    const address = this.destinations[(index - 1) % this.destinations.length];
    if (record.address !== address) {
      this.problem(`index ${index}: address ${record.address}, expected ${address}`);
    }
    if (typeof record.code === 'string') {
      this.failed++;
      if (this.failed <= 3) this.problem(`index ${index} failed: ${record.code} ${record.message}`);
      return;
    }
    if (record.text !== this.poemText || record.bytes !== this.poemBytes) {
      this.problem(`index ${index}: the poem is not byte-exact (${record.bytes} bytes)`);
      return;
    }
    this.poems++;
  }

  /** What is wrong with the whole stream, or null. */
  verdict() {
    if (this.carry !== null) this.problem('the last line has no newline');
    if (this.poems !== this.count) {
      this.problem(`${this.poems} of ${this.count} poems byte-exact, ${this.failed} failed`);
    }
    if (this.summaries !== 1) this.problem(`${this.summaries} summary objects, expected 1`);
    if (this.problemCount === 0) return null;
    return `${this.problemCount} problems: ${this.problems.join('; ')}`;
  }
}

/** Whether a --quiet run's summary line ("Got N poems …") counts every fetch. */
function checkQuiet(result, count) {
  const said = /Got (\d+) poems?/.exec(result.stderr ?? '');
  if (!said) return `no summary line on stderr: ${describeEnd(result)}`;
  if (Number(said[1]) !== count) return `got ${said[1]} of ${count} poems`;
  return null;
}

const perFetchMicros = (cpuSeconds, count) =>
  typeof cpuSeconds === 'number' ? (cpuSeconds / count) * 1e6 : null;
const micros = (value) => (typeof value === 'number' ? `${value.toFixed(1)} µs` : '–');

/**
 * get-poetry and the floor list client, each reading one file of addresses as a stream with
 * 10,000 fetches in flight, with --jsonl (every record checked as it streams into the harness)
 * and with --quiet (counters only, the summary checked); against our own servers, fresh for each
 * size and measured over all its runs. Then how per-fetch CPU and peak RSS grow with size.
 */
export async function scale(context) {
  const { node, paths, programs } = context;
  const sizes = [
    ...(context.scaleSizes ?? (context.quick ? [20_000] : [10_000, 100_000, 1_000_000])),
  ];
  sizes.sort((a, b) => a - b);
  const ports = ephemeralPorts();
  const limit = descriptorLimit();
  const concurrency = Math.min(CONCURRENCY, limit - SPARE_DESCRIPTORS);
  const layout = serverLayout(sizes.at(-1), ports);
  const poem = poemBuffer(POEM_BYTES);
  const poemText = poem.toString('utf8');
  const poemPath = join(context.tmp, 'scale.txt');
  writeFileSync(poemPath, poem);
  context.log(
    `  scale: ${layout.servers} servers (${layout.perAddress} on each of 127.0.0.1–127.0.0.${ADDRESSES}), ` +
      `${ports} ephemeral ports per destination, concurrency ${concurrency} (ulimit -n ${limit})`,
  );

  const client = programs.client;
  const missing = ['--from', '--jsonl'].filter(
    (o) => client.available && !client.help?.includes(o),
  );
  const ours = missing.length
    ? { ...client, available: false, reason: `get-poetry has no ${missing.join(' or ')} yet` }
    : client;
  const floorProgram = { name: 'floor list client (node:net)', available: true, isFloor: true };
  const measured = [];

  for (const count of sizes) {
    const label = `6 scale ${count.toLocaleString('en')}`;
    const servers = await startServers(context, poemPath, layout, concurrency);
    const destinations = servers.map((s) => `${s.host}:${s.port}`);
    const listPath = join(context.tmp, `scale-${count}.txt`);
    writeAddressFile(listPath, count, destinations);
    const rows = {
      oursJsonl: row(ours, 'get-poetry --from FILE --jsonl'),
      floorJsonl: row(floorProgram, 'floor list client --jsonl'),
      oursQuiet: row(ours, 'get-poetry --from FILE --quiet'),
      floorQuiet: row(floorProgram, 'floor list client --quiet'),
    };
    const from = ['--from', listPath, '--concurrency', String(concurrency)];
    const ourOptions = [...from, ...context.option(ours, '--no-progress')];
    const entries = [
      { row: rows.oursJsonl, jsonl: true, argv: [node, paths.getPoetry, ...ourOptions, '--jsonl'] },
      { row: rows.floorJsonl, jsonl: true, argv: [node, paths.listClient, ...from, '--jsonl'] },
      { row: rows.floorQuiet, jsonl: false, argv: [node, paths.listClient, ...from, '--quiet'] },
      {
        row: rows.oursQuiet,
        jsonl: false,
        argv: [node, paths.getPoetry, ...ourOptions, '--quiet'],
      },
    ];
    // 30 s, and 0.5 ms a fetch: several times what a fetch costs on a loaded two-core machine.
    const timeoutSeconds = 30 + count / 2_000;
    let fetchesServed = 0;
    let runsServed = 0;
    const runs =
      count >= 1_000_000 ? 1 : count >= 100_000 ? context.runsFor(3) : context.runsFor(5);
    let stopped;
    try {
      await alternate(
        context,
        label,
        entries,
        runs,
        async (entry) => {
          fetchesServed += count;
          runsServed++;
          if (!entry.jsonl) {
            const result = await run(entry.argv, { tmp: context.tmp, timeoutSeconds });
            if (!result.ok) return { result, problem: describeEnd(result) };
            return { result, problem: checkQuiet(result, count) };
          }
          const check = new JsonlCheck(count, poemText, destinations);
          const result = await run(entry.argv, {
            tmp: context.tmp,
            timeoutSeconds,
            onStdout: (chunk) => check.feed(chunk),
          });
          if (!result.ok) return { result, problem: describeEnd(result) };
          return { result, problem: check.verdict() };
        },
        // A million fetches take minutes: no unrecorded warm-up there.
        { warmUp: count >= 1_000_000 ? false : 'floor' },
      );
    } finally {
      stopped = await stopServers(servers);
      rmSync(listPath, { force: true });
    }
    for (const [i, result] of stopped.entries()) {
      if (!result.ok)
        context.fail(`${label}, server ${destinations[i]} on SIGTERM: ${describeEnd(result)}`);
    }
    finish([rows.oursJsonl, rows.floorJsonl], rows.floorJsonl);
    finish([rows.oursQuiet, rows.floorQuiet], rows.floorQuiet);
    const serverRow = serversRow(stopped, layout, fetchesServed, runsServed);
    for (const r of Object.values(rows)) {
      if (!r.median) continue;
      r.cpuPerFetchMicros = perFetchMicros(r.median.cpuSeconds, count);
      note(
        r,
        `${micros(r.cpuPerFetchMicros)} CPU/fetch; ` +
          (r.program.includes('jsonl') ? 'every record checked' : 'summary checked'),
      );
    }
    const size = { count, rows, servers: serverRow };
    measured.push(size);
    context.record({
      id: `scale-${count}`,
      title: label,
      params: {
        fetches: count,
        poemBytes: POEM_BYTES,
        concurrency,
        servers: layout.servers,
        addresses: ADDRESSES,
        ephemeralPorts: ports,
      },
      rows: [rows.oursJsonl, rows.floorJsonl, rows.oursQuiet, rows.floorQuiet, serverRow],
      targets: [
        cpuTarget('per-fetch CPU ours/floor, --jsonl', rows.oursJsonl),
        cpuTarget('per-fetch CPU ours/floor, --quiet', rows.oursQuiet),
      ],
    });
  }
  if (measured.length > 1) recordGrowth(context, measured);
}

function cpuTarget(name, ours) {
  return { name, value: ours.ratio?.cpu ?? null, limit: 1.2, unit: 'times' };
}

/** Starts every server at once; each listens on its own address and port, measured by GNU time. */
async function startServers(context, poemPath, layout, concurrency) {
  const { node, paths, programs } = context;
  const server = programs.server;
  if (!server.available) throw new Error(`poetry-server not available: ${server.reason}`);
  const starting = [];
  for (let a = 1; a <= ADDRESSES; a++) {
    for (let k = 0; k < layout.perAddress; k++) {
      const argv = [
        node,
        paths.poetryServer,
        '--port',
        '0',
        '--iface',
        `127.0.0.${a}`,
        '--delay',
        '0',
        ...context.option(server, '--quiet'),
        ...context.option(server, '--max-connections', concurrency),
        poemPath,
      ];
      starting.push(startServer(argv.map(String), { tmp: context.tmp, measured: true }));
    }
  }
  const started = await Promise.allSettled(starting);
  const servers = started.filter((s) => s.status === 'fulfilled').map((s) => s.value);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stopServers(servers);
    throw failed.reason;
  }
  return servers;
}

function stopServers(servers) {
  return Promise.all(servers.map((s) => s.stop()));
}

/**
 * The servers of one size as a row: CPU summed over all of them and all runs at that size (every
 * program's), peak RSS the largest server's; each server's peak is kept for the growth targets.
 */
function serversRow(stopped, layout, fetchesServed, runsServed) {
  const peaks = stopped.map((r) => r.peakRssKiB);
  const cpu = stopped.map((r) => r.cpuSeconds);
  const known = (values) => values.every((v) => typeof v === 'number');
  const cpuSeconds = known(cpu) ? cpu.reduce((a, b) => a + b, 0) : null;
  const r = {
    program: `poetry-server ×${layout.servers}`,
    isFloor: false,
    // The runs column gives the client runs served (warm-ups included), as a status of its own.
    status: String(runsServed),
    runs: [],
    peaks,
    median: {
      wallSeconds: null,
      cpuSeconds,
      peakRssKiB: known(peaks) ? Math.max(...peaks) : null,
    },
  };
  r.cpuPerFetchMicros = perFetchMicros(cpuSeconds, fetchesServed);
  note(
    r,
    `all runs at this size; ${micros(r.cpuPerFetchMicros)} CPU/fetch served; ` +
      `peak RSS ${mib(known(peaks) ? Math.min(...peaks) : null)}–${mib(r.median.peakRssKiB)} MiB`,
  );
  return r;
}

/** How ours grows from the smallest size to the largest: per-fetch CPU and peak RSS, and each server's peak. */
function recordGrowth(context, measured) {
  const first = measured[0];
  const last = measured.at(-1);
  const grow = (a, b) => (typeof a === 'number' && typeof b === 'number' && a > 0 ? b / a : null);
  const span = `${last.count.toLocaleString('en')}/${first.count.toLocaleString('en')}`;
  const short = `${shortCount(last.count)}/${shortCount(first.count)}`;
  const targets = [];
  for (const key of ['oursJsonl', 'oursQuiet']) {
    const a = first.rows[key];
    const b = last.rows[key];
    const mode = key === 'oursJsonl' ? '--jsonl' : '--quiet';
    targets.push({
      name: `per-fetch CPU ours ${span}, ${mode}`,
      value: grow(a.cpuPerFetchMicros, b.cpuPerFetchMicros),
      limit: 1.1,
      unit: 'times',
    });
    targets.push({
      name: `peak RSS ours ${span}, ${mode}`,
      value: grow(a.median?.peakRssKiB, b.median?.peakRssKiB),
      limit: 1.2,
      unit: 'times',
    });
  }
  // Server i of one size is the one at the same address and place at the other.
  const serverGrowth = first.servers.peaks.map((peak, i) => grow(peak, last.servers.peaks[i]));
  targets.push({
    name: `peak RSS of each server ${span} (the largest)`,
    value: serverGrowth.every((g) => g !== null) ? Math.max(...serverGrowth) : null,
    limit: 1.2,
    unit: 'times',
  });
  // The floor's growth, for reference: what Node itself does at this scale.
  for (const key of ['floorJsonl', 'floorQuiet']) {
    const a = first.rows[key];
    const b = last.rows[key];
    if (!b.median) continue;
    note(
      b,
      `${short}: CPU/fetch ${fmt(grow(a.cpuPerFetchMicros, b.cpuPerFetchMicros))}, ` +
        `RSS ${fmt(grow(a.median?.peakRssKiB, b.median?.peakRssKiB))}`,
    );
  }
  context.record({
    id: 'scale-growth',
    title: `6 scale growth ${span}`,
    params: { sizes: measured.map((m) => m.count) },
    rows: [],
    targets,
  });
}

const shortCount = (n) =>
  n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n);
const fmt = (value) => (typeof value === 'number' ? `${value.toFixed(2)}×` : '–');
