// Draws a recorded run as a timeline: pure functions from a TimelineRun to SVG or HTML text.

import { embeddedRuns } from './embed.js';
import { escapeXml, oneLine } from './escape.js';
import { dataSeconds, formatCount, plural } from './format.js';
import { drawLane, laneTitle } from './lane.js';
import {
  HEADER_HEIGHT,
  type Layout,
  layoutLegend,
  layoutOf,
  MARGIN,
  nextRunTop,
  OUTCOME_GAP,
  PLOT_PADDING,
  pictureHeight,
  rowTop,
} from './layout.js';
import { drawLegend, legendItems, legendNotes } from './legend.js';
import { type ChunkMark, chunkMarks, defaultMarksPerLane } from './marks.js';
import {
  type Lane,
  lanesOf,
  runSpan,
  summarizeLanes,
  type TimelineRun,
  type TimelineSummary,
} from './run.js';
import { PAGE_STYLE, TIMELINE_STYLE } from './style.js';
import { line, text } from './svg.js';
import { drawThreadLane, THREAD_LABEL } from './thread-lane.js';

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
function headingOf(options: TimelineOptions, only?: TimelineRun): string {
  if (options.title !== undefined) return oneLine(options.title);
  return oneLine(only?.title === undefined ? 'Poetry timeline' : `Poetry timeline: ${only.title}`);
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

/** One run as drawn: its lanes, those drawn, its layout and its chunk marks. */
interface RunPlan {
  readonly run: TimelineRun;
  readonly lanes: Lane[];
  readonly drawn: Lane[];
  readonly hidden: Lane[];
  readonly span: { startSeconds: number; durationSeconds: number };
  readonly summary: TimelineSummary;
  layout: Layout;
  marks: ChunkMark[][];
}

/** The runs to draw: one, or several one above the other (none draws an empty picture). */
export type TimelineRuns = TimelineRun | readonly TimelineRun[];

function runsOf(runs: TimelineRuns): readonly TimelineRun[] {
  if (Array.isArray(runs)) return runs.length === 0 ? [{ addresses: [], events: [] }] : runs;
  return [runs as TimelineRun];
}

/** The heading of run `index` when several share the picture. */
function runTitle(run: TimelineRun, index: number): string {
  return oneLine(run.title ?? `Run ${index + 1}`);
}

/** A run's axis, its empty or summary row, its thread lane and its lanes, last lane first. */
function drawRun(plan: RunPlan, index: number, several: boolean, maxBytes: number): string {
  const { layout, drawn, hidden, span, run } = plan;
  const { plotX0, plotX1, lanesTop, lanesBottom, bottomAxis } = layout;
  const endSeconds = span.startSeconds + span.durationSeconds;
  const out: string[] = [
    `<g class="run" data-run="${index}" data-title="${escapeXml(runTitle(run, index))}" ` +
      `data-lanes="${plan.lanes.length}" data-duration-seconds="${dataSeconds(span.durationSeconds)}">`,
  ];
  if (several) {
    out.push(
      '<g class="run-heading">',
      text('run-title', MARGIN, layout.runTop + 18, runTitle(run, index)),
      text('run-summary', MARGIN, layout.runTop + 36, subheading(plan.summary, drawn.length)),
      '</g>',
    );
  }
  const threadBottom = layout.threadTop === undefined ? lanesBottom : layout.threadTop;
  out.push(
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
  // The thread's row is below the lanes, so the lanes' hover details hang over it: it goes first.
  if (layout.threadTop !== undefined && run.eventLoop !== undefined) {
    out.push(
      drawThreadLane(
        run.eventLoop,
        index,
        threadBottom,
        layout,
        span.startSeconds,
        span.durationSeconds,
      ),
    );
  }
  // Last lane first: each lane's hover details hang over the lanes below it, so those must be
  // painted before it (SVG has no z-index).
  out.push('<g class="lanes">');
  for (let i = drawn.length - 1; i >= 0; i--) {
    out.push(
      drawLane(drawn[i]!, i, plan.marks[i]!, layout, span.startSeconds, endSeconds, maxBytes),
    );
  }
  out.push('</g>', '</g>');
  return out.join('');
}

/** The SVG markup; `standalone` adds the XML declaration and namespace a .svg file needs. */
function renderSvg(runs: TimelineRuns, options: TimelineOptions, standalone: boolean): string {
  const maxLanes = positiveInteger('maxLanes', options.maxLanes, DEFAULT_MAX_LANES);
  const widthPixels = positiveInteger('widthPixels', options.widthPixels, DEFAULT_WIDTH_PIXELS);
  const all = runsOf(runs);
  const several = all.length > 1;
  const plans = all.map((run) => {
    const lanes = lanesOf(run);
    const span = runSpan(run);
    return {
      run,
      lanes,
      drawn: lanes.slice(0, maxLanes),
      hidden: lanes.slice(maxLanes),
      span,
      summary: summarizeLanes(lanes, span),
    };
  });
  const title = headingOf(options, several ? undefined : all[0]);
  // One time scale for every run, each counted from its own start, so lengths compare.
  const durationSeconds = Math.max(0, ...plans.map((plan) => plan.span.durationSeconds));
  const threadLanes = plans.some((plan) => (plan.run.eventLoop?.length ?? 0) > 0);
  // The thread lane's label sits in the labels' column, so the column is wide enough for it too.
  const labels = [
    ...plans.flatMap((plan) => plan.drawn.map(laneTitle)),
    ...(threadLanes ? [THREAD_LABEL] : []),
  ];
  const drawnCount = plans.reduce((n, plan) => n + plan.drawn.length, 0);
  const marksPerLane = positiveInteger(
    'maxChunkMarksPerLane',
    options.maxChunkMarksPerLane,
    defaultMarksPerLane(drawnCount),
  );
  // The columns fit the longest label of any run, so every run shares them.
  const layout = layoutOf(labels, 0, widthPixels, durationSeconds);
  let runTop = HEADER_HEIGHT;
  const laidOut: RunPlan[] = plans.map((plan) => {
    const own = layoutOf(
      plan.drawn.map(laneTitle),
      plan.hidden.length,
      layout.width,
      durationSeconds,
      {
        runTop,
        heading: several,
        threadLane: plan.run.eventLoop !== undefined && plan.run.eventLoop.length > 0,
      },
    );
    const merged: Layout = {
      ...own,
      width: layout.width,
      labelChars: layout.labelChars,
      plotX0: layout.plotX0,
      plotX1: layout.plotX1,
      scale: layout.scale,
    };
    runTop = nextRunTop(merged);
    const marks = plan.drawn.map((lane) =>
      chunkMarks(lane.chunks, plan.span.startSeconds, merged.scale, marksPerLane),
    );
    return { ...plan, layout: merged, marks };
  });
  const last = laidOut.at(-1)!.layout;
  const { width } = last;

  let maxBytes = 0;
  for (const plan of laidOut)
    for (const marks of plan.marks)
      for (const mark of marks) maxBytes = Math.max(maxBytes, mark.bytes);
  const grouped = laidOut.some((plan) =>
    plan.marks.some((marks, i) => marks.length < plan.drawn[i]!.chunks.length),
  );
  const threads = laidOut.some((plan) => plan.layout.threadTop !== undefined);
  const lanesTotal = laidOut.reduce((n, plan) => n + plan.lanes.length, 0);
  const items = legendItems(maxBytes, threads);
  const notes = legendNotes(grouped, marksPerLane, drawnCount, lanesTotal, {
    runs: laidOut.length,
    threads,
  });
  const legend = layoutLegend(
    items.map((item) => item.text),
    notes.length,
    last,
  );
  const description = several
    ? `${laidOut.length} runs, one above the other, on one time scale (each from its own start)`
    : subheading(laidOut[0]!.summary, laidOut[0]!.drawn.length);
  const height = pictureHeight(last, legend);
  const chunks = laidOut.reduce((n, plan) => n + plan.summary.chunks, 0);

  const out: string[] = [];
  if (standalone) out.push('<?xml version="1.0" encoding="UTF-8"?>\n');
  const namespace = standalone ? ' xmlns="http://www.w3.org/2000/svg"' : '';
  out.push(
    `<svg${namespace} class="timeline" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="timeline-title timeline-desc" ` +
      `data-runs="${laidOut.length}" data-lanes="${lanesTotal}" data-lanes-drawn="${drawnCount}" data-chunks="${chunks}">`,
    `<title id="timeline-title">${escapeXml(title)}</title>`,
    `<desc id="timeline-desc">${escapeXml(description)}</desc>`,
    embeddedRuns(all),
    `<style>${TIMELINE_STYLE}</style>`,
    `<rect class="background" width="${width}" height="${height}"/>`,
    '<g class="header">',
    text('heading', MARGIN, 28, title),
    text('subheading', MARGIN, 48, description),
    '</g>',
  );
  out.push(drawLegend(items, notes, legend));
  // Last run first, for the same reason as its lanes: the details of one run's last row hang
  // over the top of the run below.
  for (let i = laidOut.length - 1; i >= 0; i--) {
    out.push(drawRun(laidOut[i]!, i, several, maxBytes));
  }
  out.push('</svg>');
  return out.join('');
}

/**
 * The timeline of a run as a standalone SVG document: one lane per address (argument order,
 * labelled with the address), a time axis in seconds from the start, a mark per chunk at the
 * moment it arrived (its height proportional to its size; its `<title>` and, on hover, a box
 * give time, bytes and address), markers for connected, first byte and done, each failure with
 * its reason, and a legend. Past `maxLanes` addresses, one row counts the rest. A run with
 * `eventLoop` samples gets a lane for the event loop's thread under its fetches: how much of
 * each interval it spent running callbacks (hover for the milliseconds).
 *
 * Given several runs, draws them one above the other, each under its `title`, on one time scale
 * (each counted from its own start), so their lengths compare at a glance. The runs are kept in
 * the file as data (see `readTimelineRuns`), so a later run can be drawn beside them. Pure: the
 * same runs give the same text. Throws RangeError for a bad option.
 */
export function renderTimelineSvg(runs: TimelineRuns, options: TimelineOptions = {}): string {
  return `${renderSvg(runs, options, true)}\n`;
}

/**
 * The timeline of a run as a self-contained HTML page: the SVG of `renderTimelineSvg` inline,
 * with CSS only (no script, no font or anything else from the network). A chunk's details, and
 * a thread slice's, show when the pointer is over it.
 */
export function renderTimelineHtml(runs: TimelineRuns, options: TimelineOptions = {}): string {
  const all = runsOf(runs);
  const title = headingOf(options, all.length === 1 ? all[0] : undefined);
  const svg = renderSvg(runs, options, false);
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
  runs: TimelineRuns,
  format: TimelineFormat,
  options: TimelineOptions = {},
): string {
  return format === 'svg' ? renderTimelineSvg(runs, options) : renderTimelineHtml(runs, options);
}

/** The format a file name asks for by its extension (`.svg`, `.html`, `.htm`), if any. */
export function timelineFormatOf(path: string): TimelineFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.svg')) return 'svg';
  if (lower.endsWith('.html') || lower.endsWith('.htm')) return 'html';
  return undefined;
}
