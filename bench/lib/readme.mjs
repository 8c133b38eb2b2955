// The README's benchmark tables, rewritten between their markers from a full run's results.
import { readFileSync, writeFileSync } from 'node:fs';
import { machineLine, measurementsTable, targetsTable } from './report.mjs';

const BEGIN = '<!-- bench:begin -->';
const END = '<!-- bench:end -->';

/** What goes between the markers: when, where and how long, then both tables. */
export function readmeBlock(document) {
  const held = document.scenarios.flatMap((s) => s.targets).filter((t) => t.holds !== null);
  const holding = held.filter((t) => t.holds).length;
  return [
    BEGIN,
    '<!-- Written by `npm run bench -- --update-readme`; edit bench/, not this block. -->',
    '',
    `Full run of ${document.date.slice(0, 10)} (${Math.round(document.durationSeconds)} s in all, ` +
      `medians of the runs counted): ${machineLine(document.machine)}.` +
      (document.gnuTime ? '' : ' CPU and RSS not measured: /usr/bin/time missing.') +
      ` ${holding} of ${held.length} targets hold` +
      (document.failures.length ? `; ${document.failures.length} FAILURES.` : '.') +
      (document.scaleSizes
        ? ` The scale scenario ran at ${document.scaleSizes.map((n) => n.toLocaleString('en')).join(', ')} fetches` +
          ` (\`--scale-sizes\`), not at its own sizes.`
        : ''),
    '',
    measurementsTable(document.scenarios),
    '',
    targetsTable(document.scenarios),
    END,
  ].join('\n');
}

/** Replaces the README's block between the markers with one made from `document`. */
export function updateReadme(path, document) {
  if (document.mode !== 'full')
    throw new Error('the README takes a full run only, not a quick one');
  const text = readFileSync(path, 'utf8');
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin === -1 || end < begin) throw new Error(`${path} has no ${BEGIN} … ${END} block`);
  const updated = `${text.slice(0, begin)}${readmeBlock(document)}${text.slice(end + END.length)}`;
  writeFileSync(path, updated);
}
