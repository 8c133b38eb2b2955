// The event loop thread's lane: how much of each interval the one thread spent running callbacks.

import type { EventLoopSample } from './event-loop.js';
import { dataSeconds, sec } from './format.js';
import { detailsBox } from './lane.js';
import {
  BASELINE,
  LANE_HEIGHT,
  type Layout,
  MARGIN,
  MARK_MAX_HEIGHT,
  OUTCOME_GAP,
} from './layout.js';
import type { TimeScale } from './scale.js';
import { px, text, titleOf } from './svg.js';

/** The narrowest slice drawn, in pixels: finer samples are summed into slices this wide. */
const SLICE_PIXELS = 4;
/**
 * The share of a sample's time in callbacks that fills the lane's height; more is drawn full.
 * Waiting on servers, the thread is busy a few percent of a sample at most, which a scale up to
 * 100% would draw as a flat line: on this one, the sample in which it woke to take a chunk stands
 * well above those in which only timers ran.
 */
export const FULL_BUSY_SHARE = 0.1;
export const THREAD_LABEL = 'event loop thread';

/** One drawn slice of the lane: one sample, or neighbouring samples summed. */
export interface ThreadSlice {
  /** Seconds since the start of the run. */
  readonly fromSeconds: number;
  readonly toSeconds: number;
  /** Seconds of the slice the thread spent running callbacks. */
  readonly busySeconds: number;
}

/**
 * The slices to draw for `samples`, times counted from `startSeconds`: one per sample while they
 * are no more than `maxSlices`, else the axis cut into `maxSlices` equal bins, each the sum of
 * the samples that start in it.
 */
export function threadSlices(
  samples: readonly EventLoopSample[],
  startSeconds: number,
  domainSeconds: number,
  maxSlices: number,
): ThreadSlice[] {
  const relative = samples.map((sample) => ({
    fromSeconds: sample.fromSeconds - startSeconds,
    toSeconds: sample.toSeconds - startSeconds,
    busySeconds: sample.busySeconds,
  }));
  if (relative.length <= maxSlices) return relative;
  const binSeconds = domainSeconds / maxSlices;
  const bins = new Map<number, { fromSeconds: number; toSeconds: number; busySeconds: number }>();
  for (const sample of relative) {
    const bin = Math.min(maxSlices - 1, Math.max(0, Math.floor(sample.fromSeconds / binSeconds)));
    const slice = bins.get(bin);
    if (slice === undefined) bins.set(bin, { ...sample });
    else {
      slice.toSeconds = Math.max(slice.toSeconds, sample.toSeconds);
      slice.busySeconds += sample.busySeconds;
    }
  }
  return [...bins.entries()].sort((a, b) => a[0] - b[0]).map(([, slice]) => slice);
}

/** One bar of the lane: one pixel column, or a sample wider than that. */
export interface ThreadBar {
  /** Left edge and width, in pixels. */
  readonly x: number;
  readonly width: number;
  /** The share of its time the thread spent busy: of the busiest sample in the column. */
  readonly share: number;
}

/**
 * One bar per sample, placed on `scale`, times counted from `startSeconds`: where samples are
 * finer than a pixel, one bar per pixel column, as tall as the busiest sample in it, so the
 * moment the thread woke is not averaged away by the quiet samples beside it.
 */
export function threadBars(
  samples: readonly EventLoopSample[],
  startSeconds: number,
  scale: Pick<TimeScale, 'x'>,
): ThreadBar[] {
  const columns = new Map<number, { x: number; right: number; share: number }>();
  for (const sample of samples) {
    const length = sample.toSeconds - sample.fromSeconds;
    if (!(length > 0)) continue;
    const x = scale.x(sample.fromSeconds - startSeconds);
    const right = scale.x(sample.toSeconds - startSeconds);
    const share = Math.min(1, Math.max(0, sample.busySeconds / length));
    const column = Math.floor(x);
    const bar = columns.get(column);
    if (bar === undefined) columns.set(column, { x, right, share });
    else {
      bar.right = Math.max(bar.right, right);
      bar.share = Math.max(bar.share, share);
    }
  }
  return [...columns.values()].map((bar) => ({
    x: bar.x,
    width: Math.max(1, bar.right - bar.x),
    share: bar.share,
  }));
}

/** A bar's height in pixels: full at `FULL_BUSY_SHARE`, and any work at all at least a pixel. */
export function barHeight(share: number): number {
  if (!(share > 0)) return 0;
  return Math.max(1, MARK_MAX_HEIGHT * Math.min(1, share / FULL_BUSY_SHARE));
}

/** `seconds` in milliseconds, to a tenth. */
function ms(seconds: number): string {
  return `${(seconds * 1000).toFixed(1)} ms`;
}

/** A fraction as a whole percentage, never "0%" for a little and never "100%" for a lot. */
function percent(part: number, whole: number): string {
  if (!(whole > 0)) return '0%';
  const value = (part / whole) * 100;
  if (value > 0 && value < 1) return '<1%';
  if (value < 100 && value > 99) return '>99%';
  return `${Math.round(value)}%`;
}

/**
 * The thread's lane of run `runIndex`, its row's top at `top`: a pale track over the run where
 * the thread waited, a bar per sample whose height is the share of it the thread spent busy (see
 * `FULL_BUSY_SHARE`), and over them slices a few pixels wide, each with a `<title>` and, on
 * hover, a box giving the slice's time and its milliseconds in callbacks.
 */
export function drawThreadLane(
  samples: readonly EventLoopSample[],
  runIndex: number,
  top: number,
  layout: Layout,
  startSeconds: number,
  durationSeconds: number,
): string {
  const { scale } = layout;
  const y = top + BASELINE;
  const plotPixels = scale.x(scale.domainSeconds) - scale.x(0);
  const slices = threadSlices(
    samples,
    startSeconds,
    scale.domainSeconds,
    Math.max(1, Math.floor(plotPixels / SLICE_PIXELS)),
  );
  let busy = 0;
  let total = 0;
  for (const slice of slices) {
    busy += slice.busySeconds;
    total += slice.toSeconds - slice.fromSeconds;
  }
  const out: string[] = [
    `<g class="thread-lane" data-run="${runIndex}" data-samples="${samples.length}" ` +
      `data-busy-seconds="${dataSeconds(busy)}" data-seconds="${dataSeconds(total)}">`,
    titleOf(
      `${THREAD_LABEL}: busy running callbacks ${ms(busy)} of ${ms(total)} (${percent(busy, total)}), waiting the rest`,
    ),
    `<rect class="thread-stripe" x="${MARGIN / 2}" y="${px(top)}" width="${px(layout.width - MARGIN)}" height="${LANE_HEIGHT}"/>`,
    text('label mono thread-label', MARGIN, top + 18, THREAD_LABEL),
    text(
      'outcome thread-outcome',
      layout.plotX1 + OUTCOME_GAP,
      top + 18,
      `busy ${percent(busy, total)}`,
    ),
    `<rect class="thread-track" x="${px(scale.x(0))}" y="${px(y - MARK_MAX_HEIGHT)}" ` +
      `width="${px(scale.x(durationSeconds) - scale.x(0))}" height="${MARK_MAX_HEIGHT}"/>`,
  ];
  for (const slice of slices) out.push(drawSlice(slice, top, layout));
  // Drawn after the slices, so a hovered slice's highlight lies behind the bars, not over them.
  out.push('<g class="thread-bars">');
  for (const bar of threadBars(samples, startSeconds, scale)) {
    const height = barHeight(bar.share);
    if (height === 0) continue;
    out.push(
      `<rect class="thread-busy" x="${px(bar.x)}" y="${px(y - height)}" width="${px(bar.width)}" height="${px(height)}"/>`,
    );
  }
  out.push('</g></g>');
  return out.join('');
}

function drawSlice(slice: ThreadSlice, top: number, layout: Layout): string {
  const { scale } = layout;
  const y = top + BASELINE;
  const x0 = scale.x(slice.fromSeconds);
  const width = Math.max(1, scale.x(slice.toSeconds) - x0);
  const length = slice.toSeconds - slice.fromSeconds;
  const when = `${sec(slice.fromSeconds)}–${sec(slice.toSeconds)} s`;
  const callbacks = `in callbacks ${ms(slice.busySeconds)} of ${ms(length)} (${percent(slice.busySeconds, length)})`;
  return (
    `<g class="thread-slice" data-seconds="${dataSeconds(slice.fromSeconds)}" ` +
    `data-to-seconds="${dataSeconds(slice.toSeconds)}" data-busy-seconds="${dataSeconds(slice.busySeconds)}">` +
    titleOf(`${THREAD_LABEL}: ${when}, ${callbacks}`) +
    `<rect class="thread-hit" x="${px(x0)}" y="${px(y - MARK_MAX_HEIGHT)}" width="${px(width)}" height="${MARK_MAX_HEIGHT}"/>` +
    detailsBox([THREAD_LABEL, when, callbacks], x0, top, layout) +
    '</g>'
  );
}
