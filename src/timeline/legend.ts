// The legend: a sample of each mark with what it means, and notes on how to read the picture.

import { formatCount, plural } from './format.js';
import { LEGEND_SYMBOL_WIDTH, type LegendLayout, MARGIN, MARK_WIDTH, NOTE_LINE } from './layout.js';
import * as svg from './svg.js';
import { FULL_BUSY_SHARE } from './thread-lane.js';

export interface LegendItem {
  /** The sample, drawn from its left `x` and its middle `y`. */
  readonly symbol: (x: number, y: number) => string;
  readonly text: string;
}

/**
 * The items, the chunk's saying how many bytes the tallest mark stands for; with `threads`, the
 * thread lane's too.
 */
export function legendItems(maxBytes: number, threads = false): LegendItem[] {
  const tallest = maxBytes > 0 ? `; tallest ${plural(maxBytes, 'byte', 'bytes')}` : '';
  const thread: LegendItem[] = threads
    ? [
        {
          symbol: (x, y) =>
            `<rect class="thread-track" x="${svg.px(x)}" y="${svg.px(y - 7)}" width="20" height="12"/>` +
            [3, 9, 5]
              .map(
                (h, i) =>
                  `<rect class="thread-busy" x="${svg.px(x + 2 + i * 6)}" y="${svg.px(y + 5 - h)}" width="4" height="${h}"/>`,
              )
              .join(''),
          text: `thread running callbacks (full height: ${Math.round(FULL_BUSY_SHARE * 100)}% busy or more); pale: waiting`,
        },
      ]
    : [];
  return [
    {
      symbol: (x, y) =>
        [6, 11, 17]
          .map(
            (h, i) =>
              `<rect class="mark" x="${svg.px(x + i * 6)}" y="${svg.px(y + 5 - h)}" width="${MARK_WIDTH}" height="${h}"/>`,
          )
          .join(''),
      text: `chunk received (taller: more bytes${tallest})`,
    },
    {
      symbol: (x, y) => svg.line('seg queued', x, y, x + 18, y),
      text: 'waiting for a slot',
    },
    {
      symbol: (x, y) => svg.line('seg connecting', x, y, x + 18, y),
      text: 'connecting',
    },
    {
      symbol: (x, y) => svg.line('seg receiving', x, y, x + 18, y),
      text: 'connected',
    },
    { symbol: (x, y) => svg.connectedMarker(x + 9, y), text: 'connection made' },
    { symbol: (x, y) => svg.firstByteMarker(x + 9, y - 4), text: 'first byte' },
    { symbol: (x, y) => svg.doneMarker(x + 9, y), text: 'poem complete' },
    { symbol: (x, y) => svg.failedMarker(x + 9, y), text: 'failed, with the reason' },
    ...thread,
  ];
}

/**
 * The notes under the items: how to read the axis, and what was left out (chunks grouped into
 * marks past `marksPerLane`, lanes past the `lanesDrawn` of `lanes`).
 */
export function legendNotes(
  grouped: boolean,
  marksPerLane: number,
  lanesDrawn: number,
  lanes: number,
  { runs = 1, threads = false }: { runs?: number; threads?: boolean } = {},
): string[] {
  const notes = [
    runs > 1
      ? 'Time in seconds since each run started, one scale for all runs; one lane per address, in the order given. Hover a chunk for its details.'
      : 'Time in seconds since the run started; one lane per address, in the order given. Hover a chunk for its details.',
  ];
  if (threads) {
    notes.push(
      "The event loop thread runs every callback; a bar per sample of Node's event-loop utilisation shows how busy it was. Hover for the milliseconds.",
    );
  }
  if (grouped) {
    notes.push(
      `Lanes with more than ${formatCount(marksPerLane)} chunks draw neighbouring chunks as one mark (hover it for how many).`,
    );
  }
  if (lanesDrawn < lanes) {
    notes.push(
      `Only the first ${formatCount(lanesDrawn)} of ${formatCount(lanes)} addresses are drawn; the row below them counts the rest.`,
    );
  }
  return notes;
}

/** The legend's markup, its items and notes where `legend` (from layoutLegend) puts them. */
export function drawLegend(
  items: readonly LegendItem[],
  notes: readonly string[],
  legend: LegendLayout,
): string {
  const out: string[] = ['<g class="legend">'];
  items.forEach((item, i) => {
    const { x, y } = legend.items[i]!;
    out.push(item.symbol(x, y), svg.text('legend-text', x + LEGEND_SYMBOL_WIDTH, y + 4, item.text));
  });
  notes.forEach((note, i) => {
    out.push(svg.text('note', MARGIN, legend.notesTop + i * NOTE_LINE, note));
  });
  out.push('</g>');
  return out.join('');
}
