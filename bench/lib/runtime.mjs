// The runtime that runs the measured programs (--runtime node|deno|bun), and the README's
// cross-runtime table made from one saved run under each.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { machineLine, seconds, times } from './report.mjs';

export const RUNTIMES = ['node', 'deno', 'bun'];

/** The scenarios a run under another runtime takes (the others are Node's alone). */
export const RUNTIME_SCENARIOS = ['fan-out', 'big-poem', 'capacity'];

/**
 * The runtime `value` names: node, deno or bun (Deno and Bun looked up on PATH; node is the
 * Node running the bench), or a path to one of them. Resolves to { name, path, version, argv }
 * where argv(script, ...args) is how that runtime runs a file; or { error }.
 */
export function findRuntime(value) {
  const name = basename(value).replace(/\.exe$/, '');
  if (!RUNTIMES.includes(name)) return { error: `unknown runtime '${value}' (one of ${RUNTIMES})` };
  const path = name === 'node' && !value.includes('/') ? process.execPath : value;
  // -A: the programs listen, connect and write files; -q: nothing of Deno's own on stderr.
  const prefix = name === 'deno' ? ['run', '-A', '-q'] : [];
  const probe = spawnSync(path, ['--version'], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, DENO_NO_UPDATE_CHECK: '1' },
  });
  if (probe.status !== 0) {
    const said = `${probe.error ?? probe.stderr ?? ''}`.trim().split('\n').at(-1);
    const hint =
      name === 'node'
        ? ''
        : ` (npm install --no-save --prefix DIR ${name}@N puts one in DIR/node_modules/.bin)`;
    return { error: `${value} --version failed: ${said}${hint}` };
  }
  const version = probe.stdout
    .trim()
    .split('\n')[0]
    .replace(/^deno /, '')
    .replace(/ \(.*$/, '');
  return {
    name,
    path,
    version: name === 'node' ? `node ${version}` : `${name} ${version}`,
    argv: (script, ...args) => [path, ...prefix, script, ...args],
  };
}

/** Where a run under `name` is kept for the cross-runtime table. */
export function runtimeResultsPath(resultsDir, name) {
  return join(resultsDir, `runtime-${name}.json`);
}

const BEGIN = '<!-- runtimes:begin -->';
const END = '<!-- runtimes:end -->';

/** The rows the table compares: scenario id, what the row is called, ours' and the floor's rows. */
const COMPARED = [
  { id: 'fan-out-2000', title: 'fan-out 2,000', ours: 'get-poetry 127.0.0.1:PORT' },
  { id: 'fan-out-10000', title: 'fan-out 10,000', ours: 'get-poetry 127.0.0.1:PORT' },
  { id: 'big-poem-file', title: 'big poem → file', ours: 'get-poetry' },
  { id: 'big-poem-memory', title: 'big poem in memory', ours: 'get-poetry' },
  { id: 'capacity', title: 'server capacity', ours: 'poetry-server' },
];

function findRow(scenario, wanted) {
  return scenario?.rows.find((r) => (wanted === 'floor' ? r.isFloor : r.program === wanted));
}

/**
 * The cross-runtime table: per scenario, ours and the floor under each runtime, each median
 * divided by Node's floor in the same scenario (wall · CPU · peak RSS), then Node's floor as
 * measured, and how many of each run's targets hold.
 */
export function runtimesBlock(documents) {
  const names = RUNTIMES.filter((name) => documents[name]);
  const header = ['scenario', 'program', ...names.map((n) => documents[n].runtime.version)];
  const rows = [];
  for (const compared of COMPARED) {
    const byName = Object.fromEntries(
      names.map((n) => [n, documents[n].scenarios.find((s) => s.id.startsWith(compared.id))]),
    );
    const base = findRow(byName.node, 'floor')?.median;
    if (!base) continue;
    for (const which of [compared.ours, 'floor']) {
      const cells = names.map((n) => {
        const measured = findRow(byName[n], which);
        const m = measured?.median;
        if (!m) return measured?.status === 'FAILED' ? 'FAILED' : '–';
        const parts = [
          times(m.wallSeconds / base.wallSeconds),
          times(m.cpuSeconds / base.cpuSeconds),
          times(m.peakRssKiB / base.peakRssKiB),
        ];
        // The server's own measure: its chunks' p99 lateness (the median of the runs').
        const late = measured.latenessP99Ms;
        if (typeof late === 'number') parts.push(`late ${late.toFixed(0)} ms`);
        return parts.join(' · ');
      });
      rows.push([compared.title, which === 'floor' ? 'floor' : 'ours', ...cells]);
    }
    const floorSaid = `${seconds(base.wallSeconds)} s wall, ${seconds(base.cpuSeconds)} s CPU, ${(base.peakRssKiB / 1024).toFixed(1)} MiB`;
    rows.push([compared.title, 'Node’s floor =', floorSaid, ...names.slice(1).map(() => '')]);
  }
  const holds = names.map((n) => {
    const held = documents[n].scenarios.flatMap((s) => s.targets).filter((t) => t.holds !== null);
    return `${held.filter((t) => t.holds).length} of ${held.length}`;
  });
  rows.push(['targets', 'holding', ...holds]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  const table = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  const when = names.map((n) => `${n} ${documents[n].date.slice(0, 16).replace('T', ' ')}`);
  const runs = names.map((n) => `${n} ${documents[n].runsEach ?? 'default'}`);
  const failures = names.flatMap((n) => documents[n].failures.map((f) => `- ${n}: ${f}`));
  return [
    BEGIN,
    '<!-- Written by `npm run bench -- --runtimes-table`; edit bench/, not this block. -->',
    '',
    "Each cell: wall · CPU · peak RSS, medians, as multiples of Node's floor in the same " +
      "scenario; the server's cells end with its chunks' p99 lateness. Runs of each program: " +
      `${runs.join(', ')}; measured ${when.join(', ')} UTC. The servers that feed the clients ` +
      'and the readers of the capacity scenario run under Node in every column: only the ' +
      `measured programs change runtime. Machine: ${machineLine(documents.node.machine)}.`,
    '',
    ...table,
    ...(failures.length
      ? ['', 'Failures (a poem lost or corrupted, or a crash):', '', ...failures]
      : []),
    END,
  ].join('\n');
}

/** Rewrites the README's cross-runtime block from the saved run under each runtime. */
export function updateRuntimesTable(readme, resultsDir) {
  const documents = {};
  for (const name of RUNTIMES) {
    const path = runtimeResultsPath(resultsDir, name);
    if (existsSync(path)) documents[name] = JSON.parse(readFileSync(path, 'utf8'));
    if (documents[name]?.machine?.nodeFlags) throw new Error(`${path} ran with --node-flags`);
  }
  if (!documents.node) {
    throw new Error(`no run under Node to normalise to: npm run bench -- --runtime node first`);
  }
  const text = readFileSync(readme, 'utf8');
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin === -1 || end < begin) throw new Error(`${readme} has no ${BEGIN} … ${END} block`);
  const block = runtimesBlock(documents);
  writeFileSync(readme, `${text.slice(0, begin)}${block}${text.slice(end + END.length)}`);
  return Object.keys(documents);
}
