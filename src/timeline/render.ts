// Draws a recorded run as a timeline: pure functions from a TimelineRun to SVG or HTML text.

import { escapeXml, oneLine } from './escape.js';
import { formatCount, plural } from './format.js';
import { drawLane } from './lane.js';
import {
  type Layout,
  layoutLegend,
  layoutOf,
  MARGIN,
  OUTCOME_GAP,
  PLOT_PADDING,
  pictureHeight,
  rowTop,
} from './layout.js';
import { drawLegend, legendItems, legendNotes } from './legend.js';
import { chunkMarks, defaultMarksPerLane } from './marks.js';
import { lanesOf, runSpan, summarizeLanes, type TimelineRun, type TimelineSummary } from './run.js';
import { PAGE_STYLE, TIMELINE_STYLE } from './style.js';
import { line, text } from './svg.js';

/** Lanes drawn before the rest are summarised in one row. */
export const DEFAULT_MAX_LANES = 200;
/** The picture's width unless told otherwise, in pixels. */
export const DEFAULT_WIDTH_PIXELS = 1000;

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

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isInteger(value) && value >= 1)) {
    throw new RangeError(`${name} must be a whole number >= 1, not ${value}`);
  }
  return value;
}

/** The heading, on one line; the SVG's and the HTML page's title too. */
function headingOf(options: TimelineOptions): string {
  return oneLine(options.title ?? 'Poetry timeline');
}

/** The ticks' grid lines from `gridTop` to `gridBottom`, and their labels at `labelY`. */
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

function subheading(summary: TimelineSummary, drawn: number): string {
  const parts = [
    plural(summary.addresses, 'address', 'addresses'),
    plural(summary.poems, 'poem', 'poems'),
    `${formatCount(summary.failed)} failed`,
  ];
  if (summary.unfinished > 0) parts.push(`${formatCount(summary.unfinished)} unfinished`);
  parts.push(
    `${plural(summary.bytes, 'byte', 'bytes')} in ${plural(summary.chunks, 'chunk', 'chunks')}`,
    `${summary.durationSeconds.toFixed(3)} s`,
  );
  if (drawn < summary.addresses) parts.push(`the first ${formatCount(drawn)} drawn`);
  return parts.join(' · ');
}

/** The SVG markup; `standalone` adds the XML declaration and namespace a .svg file needs. */
function renderSvg(run: TimelineRun, options: TimelineOptions, standalone: boolean): string {
  const maxLanes = positiveInteger('maxLanes', options.maxLanes, DEFAULT_MAX_LANES);
  const title = headingOf(options);
  const lanes = lanesOf(run);
  const span = runSpan(run);
  const summary = summarizeLanes(lanes, span);
  const drawn = lanes.slice(0, maxLanes);
  const hidden = lanes.slice(maxLanes);
  const marksPerLane = positiveInteger(
    'maxChunkMarksPerLane',
    options.maxChunkMarksPerLane,
    defaultMarksPerLane(drawn.length),
  );
  const layout = layoutOf(
    drawn.map((lane) => lane.label),
    hidden.length,
    positiveInteger('widthPixels', options.widthPixels, DEFAULT_WIDTH_PIXELS),
    span.durationSeconds,
  );
  const { width, plotX0, plotX1, lanesTop, lanesBottom, bottomAxis } = layout;

  const allMarks = drawn.map((lane) =>
    chunkMarks(lane.chunks, span.startSeconds, layout.scale, marksPerLane),
  );
  let maxBytes = 0;
  for (const marks of allMarks) for (const mark of marks) maxBytes = Math.max(maxBytes, mark.bytes);
  const grouped = allMarks.some((marks, i) => marks.length < drawn[i]!.chunks.length);

  const items = legendItems(maxBytes);
  const notes = legendNotes(grouped, marksPerLane, drawn.length, lanes.length);
  const legend = layoutLegend(
    items.map((item) => item.text),
    notes.length,
    layout,
  );
  const description = subheading(summary, drawn.length);
  const height = pictureHeight(layout, legend);
  const endSeconds = span.startSeconds + span.durationSeconds;

  const out: string[] = [];
  if (standalone) out.push('<?xml version="1.0" encoding="UTF-8"?>\n');
  const namespace = standalone ? ' xmlns="http://www.w3.org/2000/svg"' : '';
  out.push(
    `<svg${namespace} class="timeline" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="timeline-title timeline-desc" ` +
      `data-lanes="${lanes.length}" data-lanes-drawn="${drawn.length}" data-chunks="${summary.chunks}">`,
    `<title id="timeline-title">${escapeXml(title)}</title>`,
    `<desc id="timeline-desc">${escapeXml(description)}</desc>`,
    `<style>${TIMELINE_STYLE}</style>`,
    `<rect class="background" width="${width}" height="${height}"/>`,
    '<g class="header">',
    text('heading', MARGIN, 28, title),
    text('subheading', MARGIN, 48, description),
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
    const parts = [plural(rest.poems, 'poem', 'poems'), `${formatCount(rest.failed)} failed`];
    if (rest.unfinished > 0) parts.push(`${formatCount(rest.unfinished)} unfinished`);
    const top = rowTop(layout, drawn.length);
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
  out.push(drawLegend(items, notes, legend));
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
  const title = headingOf(options);
  const svg = renderSvg(run, options, false);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(title)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
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
