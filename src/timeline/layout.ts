// Where everything goes, in pixels: the columns, the rows, the time scale and the legend's rows.

import { oneLine } from './escape.js';
import { type TimeScale, timeScale } from './scale.js';

export const MARGIN = 16;
export const HEADER_HEIGHT = 60;
const AXIS_HEIGHT = 26;
/** A run's own title and summary, above its axis, when several runs share the picture. */
export const RUN_HEADING_HEIGHT = 44;
/** Between one run's last row (or bottom axis) and the next run's heading. */
const RUN_GAP = 12;
export const LANE_HEIGHT = 28;
/** Where segments and markers sit and chunk marks rise from, below a lane's top. */
export const BASELINE = 20;
export const MARK_MAX_HEIGHT = 17;
export const MARK_MIN_HEIGHT = 4;
export const MARK_WIDTH = 3;
/** Keeps a mark at 0 s or at the end off the columns beside the plot. */
export const PLOT_PADDING = 8;
const MIN_PLOT_WIDTH = 480;
const OUTCOME_WIDTH = 104;
/** Clears the last tick's label, which is centred on the end of the plot. */
export const OUTCOME_GAP = 20;
const MIN_LABEL_CHARS = 8;
const MAX_LABEL_CHARS = 40;
/** Average advance of a character: 12 px monospace, 11 px monospace, 11 px bold sans-serif. */
const LABEL_CHAR = 7.3;
export const SMALL_MONO_CHAR = 6.7;
export const SMALL_SANS_CHAR = 6.5;
const LEGEND_CHAR = 6.6;
export const DETAILS_LINE = 14;
export const DETAILS_HEIGHT = 3 * DETAILS_LINE + 10;
/** Below this many lanes the axis is drawn once, above them. */
const BOTTOM_AXIS_FROM_LANES = 13;
const LEGEND_ROW = 22;
/** A legend item's symbol, then its text, then the space before the next item. */
export const LEGEND_SYMBOL_WIDTH = 26;
const LEGEND_ITEM_GAP = 18;
export const NOTE_LINE = 16;

export interface Layout {
  readonly width: number;
  readonly labelChars: number;
  readonly plotX0: number;
  readonly plotX1: number;
  /** Where the run's heading starts, when it has one (several runs in one picture). */
  readonly runTop: number;
  readonly lanesTop: number;
  readonly lanesDrawn: number;
  /** The event loop thread's row, below the lanes and the summary row, when there is one. */
  readonly threadTop: number | undefined;
  /** Bottom of the lanes, of the summary or empty row, and of the thread's row. */
  readonly lanesBottom: number;
  readonly bottomAxis: boolean;
  readonly legendTop: number;
  readonly scale: TimeScale;
}

/** Where a run goes when several share the picture, and what it has besides its lanes. */
export interface RunPlacement {
  /** The run's top; default: right below the picture's header, with no heading of its own. */
  readonly runTop?: number;
  /** The run has a heading of its own (its title and summary) above its axis. */
  readonly heading?: boolean;
  /** The run has a row for the event loop thread below its lanes. */
  readonly threadLane?: boolean;
}

/**
 * The layout for lanes labelled `labels` (one row each), a summary row when `hiddenLanes` are
 * left out, and a run of `durationSeconds`. The picture is `widthPixels` wide, or wider when
 * the labels leave the plot too little room. `placement` puts the run below another one.
 */
export function layoutOf(
  labels: readonly string[],
  hiddenLanes: number,
  widthPixels: number,
  durationSeconds: number,
  placement: RunPlacement = {},
): Layout {
  const labelChars = Math.min(
    MAX_LABEL_CHARS,
    Math.max(MIN_LABEL_CHARS, ...labels.map((label) => Array.from(oneLine(label)).length)),
  );
  const plotX0 = MARGIN + labelChars * LABEL_CHAR + 14;
  const width = Math.max(widthPixels, Math.ceil(plotX0 + MIN_PLOT_WIDTH + OUTCOME_WIDTH + MARGIN));
  const plotX1 = width - MARGIN - OUTCOME_WIDTH;
  const scale = timeScale(durationSeconds, plotX0 + PLOT_PADDING, plotX1 - PLOT_PADDING);
  const runTop = placement.runTop ?? HEADER_HEIGHT;
  const lanesTop = runTop + (placement.heading === true ? RUN_HEADING_HEIGHT : 0) + AXIS_HEIGHT;
  const rows = Math.max(1, labels.length) + (hiddenLanes > 0 ? 1 : 0);
  const threadTop = placement.threadLane === true ? lanesTop + rows * LANE_HEIGHT : undefined;
  const lanesBottom = lanesTop + (rows + (threadTop === undefined ? 0 : 1)) * LANE_HEIGHT;
  const bottomAxis = labels.length >= BOTTOM_AXIS_FROM_LANES;
  const legendTop = lanesBottom + (bottomAxis ? AXIS_HEIGHT : 6) + 10;
  return {
    width,
    labelChars,
    plotX0,
    plotX1,
    runTop,
    lanesTop,
    lanesDrawn: labels.length,
    threadTop,
    lanesBottom,
    bottomAxis,
    legendTop,
    scale,
  };
}

/** Where the run after the one laid out in `layout` starts. */
export function nextRunTop(layout: Layout): number {
  return layout.legendTop - 10 + RUN_GAP;
}

/** The top of row `position` (lane `position`, or the summary row after the lanes). */
export function rowTop(layout: Layout, position: number): number {
  return layout.lanesTop + position * LANE_HEIGHT;
}

/** Where the legend's items and notes go. */
export interface LegendLayout {
  /** Each item's symbol, from its left and its middle; the item's text follows. */
  readonly items: readonly { readonly x: number; readonly y: number }[];
  /** The baseline of the first note. */
  readonly notesTop: number;
  /** The legend's bottom, its notes included. */
  readonly bottom: number;
}

/** Lays the legend's items out in rows that fit the picture's width, and its notes below. */
export function layoutLegend(
  texts: readonly string[],
  notes: number,
  layout: Layout,
): LegendLayout {
  const right = layout.width - MARGIN;
  const items: { x: number; y: number }[] = [];
  let x = MARGIN;
  let row = 0;
  for (const text of texts) {
    const itemWidth = LEGEND_SYMBOL_WIDTH + Array.from(text).length * LEGEND_CHAR + LEGEND_ITEM_GAP;
    if (x > MARGIN && x + itemWidth > right) {
      row++;
      x = MARGIN;
    }
    items.push({ x, y: layout.legendTop + row * LEGEND_ROW + 8 });
    x += itemWidth;
  }
  const notesTop = layout.legendTop + (row + 1) * LEGEND_ROW + 6;
  return { items, notesTop, bottom: notesTop + notes * NOTE_LINE };
}

/**
 * The picture's height: to the legend's bottom, or lower where the details of the last run's
 * last row (a lane's, or the thread's) hang.
 */
export function pictureHeight(layout: Layout, legend: LegendLayout): number {
  const lastRowBottom =
    layout.threadTop === undefined ? rowTop(layout, layout.lanesDrawn) : layout.lanesBottom;
  return Math.ceil(Math.max(legend.bottom + MARGIN / 2, lastRowBottom + DETAILS_HEIGHT + 6));
}
