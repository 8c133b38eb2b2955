// Medians, ratios and the tables (markdown, also printed) for the benchmark results.
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';

export function median(values) {
  const present = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (present.length === 0) return null;
  const sorted = [...present].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function ratio(ours, floor) {
  return typeof ours === 'number' && typeof floor === 'number' && floor > 0 ? ours / floor : null;
}

export function machine() {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
    loadAverage1m: Math.round(loadavg()[0] * 100) / 100,
  };
}

const fixed = (value, digits) => (typeof value === 'number' ? value.toFixed(digits) : '–');
export const seconds = (value) => fixed(value, value !== null && value < 1 ? 3 : 2);
export const mib = (kib) => fixed(typeof kib === 'number' ? kib / 1024 : null, 1);
export const times = (value) => (typeof value === 'number' ? `${value.toFixed(2)}×` : '–');

/** A target's value or limit in its unit: 'times' (a ratio), 'seconds', 'ms' or 'MiB'. */
export function inUnit(unit, value) {
  if (typeof value !== 'number') return '–';
  switch (unit) {
    case 'times':
      return times(value);
    case 'seconds':
      return `${value.toFixed(3)} s`;
    case 'ms':
      return `${value.toFixed(1)} ms`;
    case 'MiB':
      return `${value.toFixed(1)} MiB`;
    default:
      return String(value);
  }
}

/** A table cell: one line, pipes escaped, at most `max` characters. */
function oneLine(text, max) {
  const flat = text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The measurements table: one row per scenario and program, medians and ratios to the floor. */
export function measurementsTable(scenarios) {
  const rows = [];
  for (const scenario of scenarios) {
    for (const row of scenario.rows) {
      const m = row.median ?? {};
      const r = row.ratio ?? {};
      const status = row.status === 'ok' ? `${row.runs.length}` : row.status;
      rows.push([
        scenario.title,
        row.program,
        status,
        seconds(m.wallSeconds ?? null),
        seconds(m.cpuSeconds ?? null),
        mib(m.peakRssKiB ?? null),
        row.isFloor ? 'floor' : `${times(r.wall)} / ${times(r.cpu)} / ${times(r.rss)}`,
        oneLine(row.note ?? '', 100),
      ]);
    }
  }
  return table(
    [
      'scenario',
      'program',
      'runs',
      'wall s',
      'CPU s',
      'peak RSS MiB',
      'ratio wall / CPU / RSS',
      'note',
    ],
    rows,
  );
}

/** The targets table: each target of issue 6, the median measured, the limit, and the headroom. */
export function targetsTable(scenarios) {
  const rows = [];
  for (const scenario of scenarios) {
    for (const target of scenario.targets) {
      let holds = 'n/a';
      let headroom = '';
      if (typeof target.value === 'number') {
        holds = target.value <= target.limit ? 'yes' : 'NO';
        headroom = `${Math.round((1 - target.value / target.limit) * 100)}%`;
      }
      rows.push([
        scenario.title,
        target.name,
        inUnit(target.unit, target.value),
        inUnit(target.unit, target.limit),
        holds,
        headroom,
      ]);
    }
  }
  return table(['scenario', 'target', 'measured', 'limit', 'holds', 'headroom'], rows);
}

export function machineLine(m) {
  const node24 = m.node24 ? ` (start-up also under ${m.node24})` : '';
  const runtime = m.runtime ? `, the measured programs under ${m.runtime}` : '';
  const flags = m.nodeFlags ? `, the measured programs with ${m.nodeFlags}` : '';
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node.js ${m.node}${node24}${runtime}${flags}, load ${m.loadAverage1m} at start`;
}

/** The report of a run (its results document, as saved in JSON): a heading and both tables. */
export function markdown(document) {
  const quick = document.mode === 'quick';
  const heading =
    `Benchmark (${document.mode} run, ${document.durationSeconds} s in all; medians of the runs counted), ` +
    `${document.date.slice(0, 10)}\n\nMachine: ${machineLine(document.machine)}.` +
    (document.gnuTime ? '' : ' CPU and RSS not measured: /usr/bin/time missing.') +
    (quick
      ? '\n\nQuick run: one run at small sizes, where start-up dominates; the targets are judged' +
        ' on a full run. Only crashes and lost or corrupted poems fail it.'
      : '');
  const scenarios = document.scenarios;
  return `${heading}\n\n${measurementsTable(scenarios)}\n\n${targetsTable(scenarios)}\n`;
}
