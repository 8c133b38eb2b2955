// Draws a recorded run as a timeline: pure functions from a TimelineRun to SVG or HTML text.

import type { ChunkEvent, FailedEvent } from '../poetry/events.js';
import { escapeXml, oneLine, truncate } from './escape.js';
import {
  type Lane,
  lanesOf,
  runSpan,
  summarizeLanes,
  type TimelineRun,
  type TimelineSummary,
} from './run.js';
import { type TimeScale, timeScale } from './scale.js';

/** Lanes drawn before the rest are summarised in one row. */
export const DEFAULT_MAX_LANES = 200;
/** The picture's width unless told otherwise, in pixels. */
export const DEFAULT_WIDTH_PIXELS = 1000;
/**
 * Chunk marks shared among the lanes drawn: past this a file grows to megabytes and a browser
 * slows down, while the marks would be narrower than a pixel anyway.
 */
const CHUNK_MARK_BUDGET = 10_000;
const MIN_MARKS_PER_LANE = 20;
const MAX_MARKS_PER_LANE = 400;

export interface TimelineOptions {
  /** The heading (and the HTML page's title). Default "Poetry timeline". */
  title?: string;
  /** Lanes drawn; the addresses after them are counted in one summary row. Default 200. */
  maxLanes?: number;
  /**
   * Chunk marks per lane; a lane with more chunks groups neighbouring ones into one mark
   * (which says how many it holds). Default: 10,000 shared by the lanes drawn, 20 to 400 each.
   */
  maxChunkMarksPerLane?: number;
  /** The picture's width in pixels; it widens if the labels need it. Default 1000. */
  widthPixels?: number;
}

/** The file formats a timeline can be written in. */
export type TimelineFormat = 'svg' | 'html';

// Layout, in pixels.
const MARGIN = 16;
const HEADER_HEIGHT = 60;
const AXIS_HEIGHT = 26;
const LANE_HEIGHT = 28;
/** Where segments and markers sit and chunk marks rise from, below a lane's top. */
const BASELINE = 20;
const MARK_MAX_HEIGHT = 17;
const MARK_MIN_HEIGHT = 4;
const MARK_WIDTH = 3;
/** Keeps a mark at 0 s or at the end off the columns beside the plot. */
const PLOT_PADDING = 8;
const MIN_PLOT_WIDTH = 480;
const OUTCOME_WIDTH = 104;
/** Clears the last tick's label, which is centred on the end of the plot. */
const OUTCOME_GAP = 20;
const MIN_LABEL_CHARS = 8;
const MAX_LABEL_CHARS = 40;
/** Average advance of a character: 12 px monospace, 11 px monospace, 11 px bold sans-serif. */
const LABEL_CHAR = 7.3;
const SMALL_MONO_CHAR = 6.7;
const SMALL_SANS_CHAR = 6.5;
const LEGEND_CHAR = 6.6;
const DETAILS_LINE = 14;
const DETAILS_HEIGHT = 3 * DETAILS_LINE + 10;
/** Below this many lanes the axis is drawn once, above them. */
const BOTTOM_AXIS_FROM_LANES = 13;

const STYLE = [
  '.timeline{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","DejaVu Sans",Arial,sans-serif;font-size:12px}',
  '.timeline text{fill:#1a1a1a}',
  '.timeline .mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace}',
  '.timeline .background{fill:#fff}',
  '.timeline .heading{font-size:18px;font-weight:600}',
  '.timeline .subheading{fill:#444}',
  '.timeline .column{fill:#555;font-size:11px;font-weight:600}',
  '.timeline .tick{fill:#555;font-size:11px}',
  '.timeline .grid{stroke:#e2e2e2;stroke-width:1}',
  '.timeline .grid.zero{stroke:#9a9a9a}',
  '.timeline .stripe{fill:#e9eef4;fill-opacity:.55}',
  '.timeline .outcome{font-size:11px}',
  '.timeline .outcome.done{fill:#00684a}',
  '.timeline .outcome.failed{fill:#a33f00;font-weight:600}',
  '.timeline .outcome.unfinished{fill:#666}',
  '.timeline .seg{stroke-width:2;fill:none}',
  '.timeline .seg.queued{stroke:#b3b3b3;stroke-dasharray:1 3;stroke-linecap:round}',
  '.timeline .seg.connecting{stroke:#8c8c8c;stroke-dasharray:4 3}',
  '.timeline .seg.receiving{stroke:#4d4d4d}',
  '.timeline .marker.connected{fill:#fff;stroke:#cc79a7;stroke-width:2}',
  '.timeline .marker.first-byte{fill:#e69f00;stroke:#7a5200;stroke-width:.75}',
  '.timeline .marker.done{fill:#009e73;stroke:#00523b;stroke-width:.75}',
  '.timeline .marker.failed{fill:none;stroke:#d55e00;stroke-width:2.5;stroke-linecap:round}',
  '.timeline .marker.failed-hit{fill:transparent}',
  '.timeline .failure-text{fill:#a33f00;font-size:11px;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round;pointer-events:none}',
  '.timeline .chunk .mark{fill:#0072b2}',
  '.timeline .chunk:hover .mark{fill:#00304d}',
  '.timeline .chunk .details{display:none;pointer-events:none}',
  '.timeline .chunk:hover .details{display:inline}',
  '.timeline .details-box{fill:#fffbe6;stroke:#333;stroke-width:1}',
  '.timeline .details-text{font-size:11px}',
  '.timeline .summary-row text,.timeline .empty-row text{fill:#333;font-style:italic}',
  '.timeline .note{fill:#555;font-size:11.5px}',
].join('');

// ------------------------------------------------------------------ formatting

/** Rounds a pixel coordinate to a tenth, which is all a screen shows. */
function px(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** A whole number with thousands separators, the same on every machine (no locale). */
function count(value: number): string {
  const sign = value < 0 ? '-' : '';
  const digits = String(Math.abs(Math.round(value)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function plural(n: number, one: string, many: string): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** Seconds since the start, to the millisecond. */
function sec(seconds: number): string {
  return seconds.toFixed(3);
}

/** A value for `data-seconds`: seconds since the start, to the microsecond. */
function dataSeconds(seconds: number): string {
  return String(Number(seconds.toFixed(6)));
}

const esc = escapeXml;

/** The error's class and message, without the `host:port: ` the message starts with. */
export function failureReason(event: FailedEvent): string {
  const error = event.error as Error | undefined;
  if (error === undefined || error === null) return 'failed';
  let message = oneLine(String(error.message ?? ''));
  // The error may name the address it resolved to rather than the one asked for.
  const errorAddress = (error as { address?: unknown }).address;
  for (const address of [errorAddress, event.address]) {
    if (typeof address !== 'string' || address === '') continue;
    if (message.startsWith(`${address}: `)) message = message.slice(address.length + 2);
  }
  const name = oneLine(String(error.name ?? ''));
  if (name === '' || name === 'Error') return message === '' ? 'failed' : message;
  return message === '' ? name : `${name}: ${message}`;
}

// ------------------------------------------------------------------ chunk marks

/** One chunk, or neighbouring chunks grouped when a lane has too many to draw apart. */
interface ChunkMark {
  /** Seconds since the start of the first and last chunk in the mark. */
  readonly fromSeconds: number;
  readonly toSeconds: number;
  readonly bytes: number;
  readonly chunks: number;
  /** The first chunk's position in its lane, from 1. */
  readonly ordinal: number;
  /** Bytes received by the end of the mark's last chunk. */
  readonly totalBytes: number;
}

function chunkMarks(
  chunks: readonly ChunkEvent[],
  startSeconds: number,
  scale: TimeScale,
  cap: number,
): ChunkMark[] {
  if (chunks.length <= cap) {
    return chunks.map((chunk, i) => {
      const at = chunk.seconds - startSeconds;
      return {
        fromSeconds: at,
        toSeconds: at,
        bytes: chunk.bytes,
        chunks: 1,
        ordinal: i + 1,
        totalBytes: chunk.totalBytes,
      };
    });
  }
  const binSeconds = scale.domainSeconds / cap;
  const marks: ChunkMark[] = [];
  let bin = -1;
  let from = 0;
  let to = 0;
  let bytes = 0;
  let n = 0;
  let ordinal = 1;
  let total = 0;
  const flush = (): void => {
    if (n > 0) {
      marks.push({
        fromSeconds: from,
        toSeconds: to,
        bytes,
        chunks: n,
        ordinal,
        totalBytes: total,
      });
    }
  };
  chunks.forEach((chunk, i) => {
    const at = chunk.seconds - startSeconds;
    const chunkBin = Math.min(cap - 1, Math.max(0, Math.floor(at / binSeconds)));
    if (chunkBin !== bin) {
      flush();
      bin = chunkBin;
      from = at;
      bytes = 0;
      n = 0;
      ordinal = i + 1;
    }
    to = at;
    bytes += chunk.bytes;
    total = chunk.totalBytes;
    n++;
  });
  flush();
  return marks;
}

// ------------------------------------------------------------------ layout

interface Layout {
  readonly width: number;
  readonly height: number;
  readonly labelChars: number;
  readonly plotX0: number;
  readonly plotX1: number;
  readonly lanesTop: number;
  /** Bottom of the lanes and of the summary or empty row. */
  readonly lanesBottom: number;
  readonly bottomAxis: boolean;
  readonly legendTop: number;
  readonly scale: TimeScale;
}

interface LegendItem {
  readonly symbol: (x: number, y: number) => string;
  readonly text: string;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isInteger(value) && value >= 1)) {
    throw new RangeError(`${name} must be a whole number >= 1, not ${value}`);
  }
  return value;
}

// ------------------------------------------------------------------ drawing

function line(cls: string, x1: number, y1: number, x2: number, y2: number): string {
  return `<line class="${cls}" x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}"/>`;
}

function text(cls: string, x: number, y: number, content: string, extra = ''): string {
  return `<text class="${cls}" x="${px(x)}" y="${px(y)}"${extra}>${esc(content)}</text>`;
}

function connectedMarker(x: number, y: number, title = ''): string {
  return `<circle class="marker connected" cx="${px(x)}" cy="${px(y)}" r="4">${title}</circle>`;
}

/** Points up at the baseline from below, so it does not hide the connection marker. */
function firstByteMarker(x: number, y: number, title = ''): string {
  const points = `${px(x)},${px(y + 1)} ${px(x + 5)},${px(y + 7)} ${px(x - 5)},${px(y + 7)}`;
  return `<polygon class="marker first-byte" points="${points}">${title}</polygon>`;
}

function doneMarker(x: number, y: number, title = ''): string {
  const points = `${px(x)},${px(y - 6)} ${px(x + 6)},${px(y)} ${px(x)},${px(y + 6)} ${px(x - 6)},${px(y)}`;
  return `<polygon class="marker done" points="${points}">${title}</polygon>`;
}

function failedMarker(x: number, y: number, title = ''): string {
  const d = `M${px(x - 4)} ${px(y - 4)}L${px(x + 4)} ${px(y + 4)}M${px(x - 4)} ${px(y + 4)}L${px(x + 4)} ${px(y - 4)}`;
  // A stroked cross is hard to point at; the invisible square under it carries the tooltip.
  const hit = `<rect class="marker failed-hit" x="${px(x - 5)}" y="${px(y - 5)}" width="10" height="10">${title}</rect>`;
  return `<g class="marker-group failed">${hit}<path class="marker failed" d="${d}"/></g>`;
}

function titleOf(content: string): string {
  return `<title>${esc(content)}</title>`;
}

/** Segments and markers for one lane's events, each attempt drawn from its own events. */
function drawLaneEvents(
  lane: Lane,
  top: number,
  layout: Layout,
  startSeconds: number,
  endSeconds: number,
): string {
  const { scale } = layout;
  const y = top + BASELINE;
  const segments: string[] = [];
  const markers: string[] = [];
  let state: 'queued' | 'connecting' | 'receiving' | undefined;
  let since = 0;
  const close = (at: number): void => {
    if (state !== undefined) {
      segments.push(line(`seg ${state}`, scale.x(since), y, scale.x(at), y));
    }
    state = undefined;
  };
  const open = (next: typeof state, at: number): void => {
    close(at);
    state = next;
    since = at;
  };
  const label = lane.label;
  for (const event of lane.events) {
    const at = event.seconds - startSeconds;
    const x = scale.x(at);
    switch (event.type) {
      case 'queued':
        open('queued', at);
        break;
      case 'connecting':
        open('connecting', at);
        break;
      case 'connected':
        open('receiving', at);
        markers.push(connectedMarker(x, y, titleOf(`${label}: connected at ${sec(at)} s`)));
        break;
      case 'firstByte':
        markers.push(firstByteMarker(x, y, titleOf(`${label}: first byte at ${sec(at)} s`)));
        break;
      case 'done':
        close(at);
        markers.push(
          doneMarker(
            x,
            y,
            titleOf(`${label}: poem complete at ${sec(at)} s, ${count(event.bytes)} bytes`),
          ),
        );
        break;
      default:
        if (event.type === 'failed') close(at);
        break;
    }
  }
  // Still going when the run ended (or was cut short): the line runs to the end.
  close(Math.max(endSeconds - startSeconds, since));
  return segments.join('') + markers.join('');
}

function drawFailures(lane: Lane, top: number, layout: Layout, startSeconds: number): string {
  const { scale } = layout;
  const y = top + BASELINE;
  const out: string[] = [];
  const failures = lane.events.filter((event): event is FailedEvent => event.type === 'failed');
  failures.forEach((event, i) => {
    const at = event.seconds - startSeconds;
    const x = scale.x(at);
    const reason = failureReason(event);
    out.push(
      `<g class="failure" data-lane="${lane.index}" data-seconds="${dataSeconds(at)}">`,
      failedMarker(x, y, titleOf(`${lane.label}: failed at ${sec(at)} s: ${reason}`)),
    );
    // Only the last failure is spelt out; earlier ones were retried.
    if (i === failures.length - 1) {
      const right = scale.x(scale.domainSeconds) + PLOT_PADDING - (x + 9);
      const left = x - 9 - (layout.plotX0 + 4);
      const onRight = right >= 24 * SMALL_SANS_CHAR || right >= left;
      const room = Math.max(4, Math.floor((onRight ? right : left) / SMALL_SANS_CHAR));
      const shown = truncate(reason, room);
      out.push(
        text(
          'failure-text',
          onRight ? x + 9 : x - 9,
          top + 13,
          shown,
          onRight ? '' : ' text-anchor="end"',
        ),
      );
    }
    out.push('</g>');
  });
  return out.join('');
}

function drawChunk(
  lane: Lane,
  mark: ChunkMark,
  top: number,
  layout: Layout,
  maxBytes: number,
): string {
  const { scale } = layout;
  const y = top + BASELINE;
  const x0 = scale.x(mark.fromSeconds);
  const x1 = scale.x(mark.toSeconds);
  const width = Math.max(MARK_WIDTH, x1 - x0 + (mark.chunks > 1 ? MARK_WIDTH : 0));
  // Square root, so a 10-byte chunk beside a 64 KiB one is still more than a dot.
  const height = Math.max(
    MARK_MIN_HEIGHT,
    Math.min(MARK_MAX_HEIGHT, MARK_MAX_HEIGHT * Math.sqrt(mark.bytes / Math.max(1, maxBytes))),
  );
  const x = mark.chunks > 1 ? x0 - MARK_WIDTH / 2 : x0 - width / 2;
  const lines =
    mark.chunks === 1
      ? [
          lane.label,
          `${count(mark.bytes)} bytes at ${sec(mark.fromSeconds)} s`,
          `chunk ${count(mark.ordinal)}, ${count(mark.totalBytes)} bytes so far`,
        ]
      : [
          lane.label,
          `${count(mark.chunks)} chunks, ${count(mark.bytes)} bytes`,
          `${sec(mark.fromSeconds)}–${sec(mark.toSeconds)} s`,
        ];
  const shown = lines.map((content) => truncate(content, 56));
  const longest = Math.max(...shown.map((content) => Array.from(content).length));
  const boxWidth = longest * SMALL_MONO_CHAR + 14;
  const boxX = Math.max(MARGIN, Math.min(x, layout.width - MARGIN - boxWidth));
  // Below the lane: later lanes are painted first, so the box covers them (see renderSvg).
  const boxY = top + LANE_HEIGHT + 2;
  const tspans = shown
    .map(
      (content, i) =>
        `<tspan x="${px(boxX + 7)}" y="${px(boxY + 15 + i * DETAILS_LINE)}">${esc(content)}</tspan>`,
    )
    .join('');
  const title =
    mark.chunks === 1
      ? `${lane.label}: ${count(mark.bytes)} bytes at ${sec(mark.fromSeconds)} s (chunk ${count(mark.ordinal)}, ${count(mark.totalBytes)} bytes so far)`
      : `${lane.label}: ${count(mark.chunks)} chunks, ${count(mark.bytes)} bytes, ${sec(mark.fromSeconds)}–${sec(mark.toSeconds)} s`;
  return (
    `<g class="chunk${mark.chunks > 1 ? ' grouped' : ''}" data-lane="${lane.index}" ` +
    `data-address="${esc(lane.label)}" data-seconds="${dataSeconds(mark.fromSeconds)}" ` +
    `data-bytes="${mark.bytes}" data-chunks="${mark.chunks}">` +
    titleOf(title) +
    `<rect class="mark" x="${px(x)}" y="${px(y - height)}" width="${px(width)}" height="${px(height)}"/>` +
    `<g class="details"><rect class="details-box" x="${px(boxX)}" y="${px(boxY)}" ` +
    `width="${px(boxWidth)}" height="${DETAILS_HEIGHT}" rx="3"/>` +
    `<text class="details-text mono">${tspans}</text></g>` +
    '</g>'
  );
}

function drawLane(
  lane: Lane,
  position: number,
  marks: readonly ChunkMark[],
  layout: Layout,
  startSeconds: number,
  endSeconds: number,
  maxBytes: number,
): string {
  const top = layout.lanesTop + position * LANE_HEIGHT;
  const out: string[] = [];
  const chunkCount = lane.chunks.length;
  out.push(
    `<g class="lane" data-lane="${lane.index}" data-address="${esc(lane.label)}" ` +
      `data-outcome="${lane.outcome}" data-chunks="${chunkCount}">`,
  );
  if (position % 2 === 0) {
    out.push(
      `<rect class="stripe" x="${MARGIN / 2}" y="${px(top)}" width="${px(layout.width - MARGIN)}" height="${LANE_HEIGHT}"/>`,
    );
  }
  const label = truncate(oneLine(lane.label), layout.labelChars);
  const labelTitle = label === lane.label ? '' : titleOf(lane.label);
  out.push(
    `<text class="label mono" x="${MARGIN}" y="${px(top + 18)}">${labelTitle}${esc(label)}</text>`,
  );
  const outcomeX = layout.plotX1 + OUTCOME_GAP;
  const outcome =
    lane.outcome === 'done'
      ? `✓ ${count(lane.poemBytes)} B`
      : lane.outcome === 'failed'
        ? '✗ failed'
        : '… unfinished';
  out.push(text(`outcome ${lane.outcome}`, outcomeX, top + 18, outcome));
  out.push(drawLaneEvents(lane, top, layout, startSeconds, endSeconds));
  for (const mark of marks) out.push(drawChunk(lane, mark, top, layout, maxBytes));
  out.push(drawFailures(lane, top, layout, startSeconds));
  out.push('</g>');
  return out.join('');
}

function drawAxis(layout: Layout, labelY: number, gridTop: number, gridBottom: number): string {
  const { scale } = layout;
  const out: string[] = [];
  for (const tick of scale.ticks) {
    const x = scale.x(tick);
    out.push(line(tick === 0 ? 'grid zero' : 'grid', x, gridTop, x, gridBottom));
    out.push(text('tick', x, labelY, `${tick.toFixed(scale.decimals)} s`, ' text-anchor="middle"'));
  }
  return out.join('');
}

function legendItems(maxBytes: number): LegendItem[] {
  const tallest = maxBytes > 0 ? `; tallest ${plural(maxBytes, 'byte', 'bytes')}` : '';
  return [
    {
      symbol: (x, y) =>
        [6, 11, 17]
          .map(
            (h, i) =>
              `<rect class="mark" x="${px(x + i * 6)}" y="${px(y + 5 - h)}" width="${MARK_WIDTH}" height="${h}"/>`,
          )
          .join(''),
      text: `chunk received (taller: more bytes${tallest})`,
    },
    {
      symbol: (x, y) => line('seg queued', x, y, x + 18, y),
      text: 'waiting for a slot',
    },
    {
      symbol: (x, y) => line('seg connecting', x, y, x + 18, y),
      text: 'connecting',
    },
    {
      symbol: (x, y) => line('seg receiving', x, y, x + 18, y),
      text: 'connected',
    },
    { symbol: (x, y) => connectedMarker(x + 9, y), text: 'connection made' },
    { symbol: (x, y) => firstByteMarker(x + 9, y - 4), text: 'first byte' },
    { symbol: (x, y) => doneMarker(x + 9, y), text: 'poem complete' },
    { symbol: (x, y) => failedMarker(x + 9, y), text: 'failed, with the reason' },
  ];
}

const LEGEND_ROW = 22;
const NOTE_LINE = 16;

/** Lays the legend out in rows that fit `width`; returns the markup and its height. */
function drawLegend(
  items: readonly LegendItem[],
  notes: readonly string[],
  layout: Layout,
): string {
  const out: string[] = ['<g class="legend">'];
  const right = layout.width - MARGIN;
  let x = MARGIN;
  let row = 0;
  for (const item of items) {
    const itemWidth = 26 + Array.from(item.text).length * LEGEND_CHAR + 18;
    if (x > MARGIN && x + itemWidth > right) {
      row++;
      x = MARGIN;
    }
    const y = layout.legendTop + row * LEGEND_ROW + 8;
    out.push(item.symbol(x, y), text('legend-text', x + 26, y + 4, item.text));
    x += itemWidth;
  }
  const notesTop = layout.legendTop + (row + 1) * LEGEND_ROW + 6;
  notes.forEach((note, i) => {
    out.push(text('note', MARGIN, notesTop + i * NOTE_LINE, note));
  });
  out.push('</g>');
  return out.join('');
}

function legendHeight(items: readonly LegendItem[], notes: number, width: number): number {
  const right = width - MARGIN;
  let x = MARGIN;
  let rows = 1;
  for (const item of items) {
    const itemWidth = 26 + Array.from(item.text).length * LEGEND_CHAR + 18;
    if (x > MARGIN && x + itemWidth > right) {
      rows++;
      x = MARGIN;
    }
    x += itemWidth;
  }
  return rows * LEGEND_ROW + 6 + notes * NOTE_LINE;
}

function subheading(summary: TimelineSummary, drawn: number): string {
  const parts = [
    plural(summary.addresses, 'address', 'addresses'),
    plural(summary.poems, 'poem', 'poems'),
    `${count(summary.failed)} failed`,
  ];
  if (summary.unfinished > 0) parts.push(`${count(summary.unfinished)} unfinished`);
  parts.push(
    `${plural(summary.bytes, 'byte', 'bytes')} in ${plural(summary.chunks, 'chunk', 'chunks')}`,
    `${summary.durationSeconds.toFixed(3)} s`,
  );
  if (drawn < summary.addresses) parts.push(`the first ${count(drawn)} drawn`);
  return parts.join(' · ');
}

/** The SVG markup; `standalone` adds the XML declaration and namespace a .svg file needs. */
function renderSvg(run: TimelineRun, options: TimelineOptions, standalone: boolean): string {
  const maxLanes = positiveInteger('maxLanes', options.maxLanes, DEFAULT_MAX_LANES);
  const title = oneLine(options.title ?? 'Poetry timeline');
  const lanes = lanesOf(run);
  const span = runSpan(run);
  const summary = summarizeLanes(lanes, span);
  const drawn = lanes.slice(0, maxLanes);
  const hidden = lanes.slice(maxLanes);
  const marksPerLane = positiveInteger(
    'maxChunkMarksPerLane',
    options.maxChunkMarksPerLane,
    Math.min(
      MAX_MARKS_PER_LANE,
      Math.max(MIN_MARKS_PER_LANE, Math.floor(CHUNK_MARK_BUDGET / Math.max(1, drawn.length))),
    ),
  );

  const labelChars = Math.min(
    MAX_LABEL_CHARS,
    Math.max(MIN_LABEL_CHARS, ...drawn.map((lane) => Array.from(oneLine(lane.label)).length)),
  );
  const plotX0 = MARGIN + labelChars * LABEL_CHAR + 14;
  const width = Math.max(
    positiveInteger('widthPixels', options.widthPixels, DEFAULT_WIDTH_PIXELS),
    Math.ceil(plotX0 + MIN_PLOT_WIDTH + OUTCOME_WIDTH + MARGIN),
  );
  const plotX1 = width - MARGIN - OUTCOME_WIDTH;
  const scale = timeScale(span.durationSeconds, plotX0 + PLOT_PADDING, plotX1 - PLOT_PADDING);
  const lanesTop = HEADER_HEIGHT + AXIS_HEIGHT;
  const rows = Math.max(1, drawn.length) + (hidden.length > 0 ? 1 : 0);
  const lanesBottom = lanesTop + rows * LANE_HEIGHT;
  const bottomAxis = drawn.length >= BOTTOM_AXIS_FROM_LANES;
  const legendTop = lanesBottom + (bottomAxis ? AXIS_HEIGHT : 6) + 10;

  const allMarks = drawn.map((lane) =>
    chunkMarks(lane.chunks, span.startSeconds, scale, marksPerLane),
  );
  let maxBytes = 0;
  for (const marks of allMarks) for (const mark of marks) maxBytes = Math.max(maxBytes, mark.bytes);
  const grouped = allMarks.some((marks, i) => marks.length < drawn[i]!.chunks.length);

  const items = legendItems(maxBytes);
  const notes = [
    'Time in seconds since the run started; one lane per address, in the order given. Hover a chunk for its details.',
  ];
  if (grouped) {
    notes.push(
      `Lanes with more than ${count(marksPerLane)} chunks draw neighbouring chunks as one mark (hover it for how many).`,
    );
  }
  if (hidden.length > 0) {
    notes.push(
      `Only the first ${count(drawn.length)} of ${count(lanes.length)} addresses are drawn; the row below them counts the rest.`,
    );
  }
  const layout: Layout = {
    width,
    height: 0,
    labelChars,
    plotX0,
    plotX1,
    lanesTop,
    lanesBottom,
    bottomAxis,
    legendTop,
    scale,
  };
  const legendBottom = legendTop + legendHeight(items, notes.length, width);
  // The last lane's hover details hang below it and must stay inside the picture.
  const height = Math.ceil(
    Math.max(legendBottom + MARGIN / 2, lanesTop + drawn.length * LANE_HEIGHT + DETAILS_HEIGHT + 6),
  );
  const endSeconds = span.startSeconds + span.durationSeconds;

  const out: string[] = [];
  if (standalone) out.push('<?xml version="1.0" encoding="UTF-8"?>\n');
  const namespace = standalone ? ' xmlns="http://www.w3.org/2000/svg"' : '';
  out.push(
    `<svg${namespace} class="timeline" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="timeline-title timeline-desc" ` +
      `data-lanes="${lanes.length}" data-lanes-drawn="${drawn.length}" data-chunks="${summary.chunks}">`,
    `<title id="timeline-title">${esc(title)}</title>`,
    `<desc id="timeline-desc">${esc(subheading(summary, drawn.length))}</desc>`,
    `<style>${STYLE}</style>`,
    `<rect class="background" width="${width}" height="${height}"/>`,
    '<g class="header">',
    text('heading', MARGIN, 28, title),
    text('subheading', MARGIN, 48, subheading(summary, drawn.length)),
    '</g>',
    '<g class="axis">',
    text('column', MARGIN, lanesTop - 9, 'address'),
    text('column', plotX1 + OUTCOME_GAP, lanesTop - 9, 'result'),
    drawAxis(layout, lanesTop - 9, lanesTop - 4, lanesBottom),
    bottomAxis ? drawAxis(layout, lanesBottom + 16, lanesBottom, lanesBottom + 4) : '',
    '</g>',
  );
  if (drawn.length === 0) {
    out.push(
      '<g class="empty-row">',
      text('empty', plotX0 + PLOT_PADDING, lanesTop + 18, 'No fetches were recorded.'),
      '</g>',
    );
  }
  if (hidden.length > 0) {
    const rest = summarizeLanes(hidden, span);
    const parts = [plural(rest.poems, 'poem', 'poems'), `${count(rest.failed)} failed`];
    if (rest.unfinished > 0) parts.push(`${count(rest.unfinished)} unfinished`);
    const top = lanesTop + drawn.length * LANE_HEIGHT;
    out.push(
      `<g class="summary-row" data-hidden-lanes="${hidden.length}" data-poems="${rest.poems}" ` +
        `data-failed="${rest.failed}" data-unfinished="${rest.unfinished}">`,
      text(
        'summary-text',
        MARGIN,
        top + 18,
        `… and ${plural(hidden.length, 'more address', 'more addresses')} not drawn: ${parts.join(', ')}`,
      ),
      '</g>',
    );
  }
  out.push(drawLegend(items, notes, layout));
  // Last lane first: each lane's hover details hang over the lanes below it, so those must be
  // painted before it (SVG has no z-index).
  out.push('<g class="lanes">');
  for (let i = drawn.length - 1; i >= 0; i--) {
    out.push(drawLane(drawn[i]!, i, allMarks[i]!, layout, span.startSeconds, endSeconds, maxBytes));
  }
  out.push('</g>', '</svg>');
  return out.join('');
}

/**
 * The timeline of a run as a standalone SVG document: one lane per address (argument order,
 * labelled with the address), a time axis in seconds from the start, a mark per chunk at the
 * moment it arrived (its height proportional to its size; its `<title>` and, on hover, a box
 * give time, bytes and address), markers for connected, first byte and done, each failure with
 * its reason, and a legend. Past `maxLanes` addresses, one row counts the rest. Pure: the same
 * run gives the same text. Throws RangeError for a bad option.
 */
export function renderTimelineSvg(run: TimelineRun, options: TimelineOptions = {}): string {
  return `${renderSvg(run, options, true)}\n`;
}

/**
 * The timeline of a run as a self-contained HTML page: the SVG of `renderTimelineSvg` inline,
 * with CSS only (no script, no font or anything else from the network). A chunk's details show
 * when the pointer is over it.
 */
export function renderTimelineHtml(run: TimelineRun, options: TimelineOptions = {}): string {
  const title = oneLine(options.title ?? 'Poetry timeline');
  const svg = renderSvg(run, options, false);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    '<style>body{margin:0;padding:24px;background:#f4f4f4;color:#1a1a1a}' +
      '.frame{display:inline-block;max-width:100%;overflow:auto;background:#fff;' +
      'border:1px solid #d9d9d9;border-radius:6px}.frame svg{display:block}</style>',
    '</head>',
    '<body>',
    `<main class="frame">${svg}</main>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The timeline in `format`. */
export function renderTimeline(
  run: TimelineRun,
  format: TimelineFormat,
  options: TimelineOptions = {},
): string {
  return format === 'svg' ? renderTimelineSvg(run, options) : renderTimelineHtml(run, options);
}

/** The format a file name asks for by its extension (`.svg`, `.html`, `.htm`), if any. */
export function timelineFormatOf(path: string): TimelineFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.svg')) return 'svg';
  if (lower.endsWith('.html') || lower.endsWith('.htm')) return 'html';
  return undefined;
}
