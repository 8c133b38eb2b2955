// One lane of the picture: its address, its result, the fetch's segments and markers, its chunks.

import type { FailedEvent } from '../poetry/events.js';
import { escapeXml, oneLine, truncate } from './escape.js';
import { dataSeconds, failureReason, formatCount, sec } from './format.js';
import {
  BASELINE,
  DETAILS_HEIGHT,
  DETAILS_LINE,
  LANE_HEIGHT,
  type Layout,
  MARGIN,
  MARK_MAX_HEIGHT,
  MARK_MIN_HEIGHT,
  MARK_WIDTH,
  OUTCOME_GAP,
  PLOT_PADDING,
  rowTop,
  SMALL_MONO_CHAR,
  SMALL_SANS_CHAR,
} from './layout.js';
import type { ChunkMark } from './marks.js';
import type { Lane } from './run.js';
import {
  connectedMarker,
  doneMarker,
  failedMarker,
  firstByteMarker,
  line,
  px,
  text,
  titleOf,
} from './svg.js';

/** The lane's name and address, as its label and its chunks' details show them. */
export function laneTitle(lane: Lane): string {
  return lane.name === undefined ? lane.label : `${oneLine(lane.name)} · ${lane.label}`;
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
            titleOf(`${label}: poem complete at ${sec(at)} s, ${formatCount(event.bytes)} bytes`),
          ),
        );
        break;
      case 'retrying':
        // The try ended; the wait until the next is drawn as waiting.
        open('queued', at);
        markers.push(
          `<g class="retry" data-attempt="${event.attempt}">${failedMarker(
            x,
            y,
            titleOf(
              `${label}: try ${event.attempt - 1} failed at ${sec(at)} s: ${failureReason({ ...event, type: 'failed' })}; ` +
                `try ${event.attempt} of ${event.maxAttempts} in ${sec(event.delaySeconds)} s`,
            ),
          )}</g>`,
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
          laneTitle(lane),
          `${formatCount(mark.bytes)} bytes at ${sec(mark.fromSeconds)} s`,
          `chunk ${formatCount(mark.ordinal)}, ${formatCount(mark.totalBytes)} bytes so far`,
        ]
      : [
          laneTitle(lane),
          `${formatCount(mark.chunks)} chunks, ${formatCount(mark.bytes)} bytes`,
          `${sec(mark.fromSeconds)}–${sec(mark.toSeconds)} s`,
        ];
  const title =
    mark.chunks === 1
      ? `${lane.label}: ${formatCount(mark.bytes)} bytes at ${sec(mark.fromSeconds)} s (chunk ${formatCount(mark.ordinal)}, ${formatCount(mark.totalBytes)} bytes so far)`
      : `${lane.label}: ${formatCount(mark.chunks)} chunks, ${formatCount(mark.bytes)} bytes, ${sec(mark.fromSeconds)}–${sec(mark.toSeconds)} s`;
  return (
    `<g class="chunk${mark.chunks > 1 ? ' grouped' : ''}" data-lane="${lane.index}" ` +
    `data-address="${escapeXml(lane.label)}" data-seconds="${dataSeconds(mark.fromSeconds)}" ` +
    `data-bytes="${mark.bytes}" data-chunks="${mark.chunks}">` +
    titleOf(title) +
    `<rect class="mark" x="${px(x)}" y="${px(y - height)}" width="${px(width)}" height="${px(height)}"/>` +
    detailsBox(
      lines.map((content) => truncate(content, 56)),
      x,
      top,
      layout,
    ) +
    '</g>'
  );
}

/**
 * The box of `lines` a mark in the row at `top` shows on hover, from `x` (kept inside the
 * picture), just below the row: later rows are painted first (see render.ts), so it covers them.
 */
export function detailsBox(
  lines: readonly string[],
  x: number,
  top: number,
  layout: Pick<Layout, 'width'>,
): string {
  const longest = Math.max(...lines.map((content) => Array.from(content).length));
  const boxWidth = longest * SMALL_MONO_CHAR + 14;
  const boxX = Math.max(MARGIN, Math.min(x, layout.width - MARGIN - boxWidth));
  const boxY = top + LANE_HEIGHT + 2;
  const tspans = lines
    .map(
      (content, i) =>
        `<tspan x="${px(boxX + 7)}" y="${px(boxY + 15 + i * DETAILS_LINE)}">${escapeXml(content)}</tspan>`,
    )
    .join('');
  return (
    `<g class="details"><rect class="details-box" x="${px(boxX)}" y="${px(boxY)}" ` +
    `width="${px(boxWidth)}" height="${DETAILS_HEIGHT}" rx="3"/>` +
    `<text class="details-text mono">${tspans}</text></g>`
  );
}

/**
 * Lane `lane` in row `position`: a stripe on every other row, the address (cut to the label
 * column, whole in its tooltip), the result, the fetch's segments and markers, its chunk `marks`
 * (their heights relative to `maxBytes`), and its failures with the last one's reason.
 * Times count from `startSeconds`; a fetch still going runs to `endSeconds`.
 */
export function drawLane(
  lane: Lane,
  position: number,
  marks: readonly ChunkMark[],
  layout: Layout,
  startSeconds: number,
  endSeconds: number,
  maxBytes: number,
): string {
  const top = rowTop(layout, position);
  const out: string[] = [];
  const chunkCount = lane.chunks.length;
  out.push(
    `<g class="lane" data-lane="${lane.index}" data-address="${escapeXml(lane.label)}" ` +
      (lane.name === undefined ? '' : `data-name="${escapeXml(lane.name)}" `) +
      `data-outcome="${lane.outcome}" data-chunks="${chunkCount}">`,
  );
  if (position % 2 === 0) {
    out.push(
      `<rect class="stripe" x="${MARGIN / 2}" y="${px(top)}" width="${px(layout.width - MARGIN)}" height="${LANE_HEIGHT}"/>`,
    );
  }
  const whole = laneTitle(lane);
  const label = truncate(oneLine(whole), layout.labelChars);
  const labelTitle = label === whole ? '' : titleOf(whole);
  out.push(
    `<text class="label mono" x="${MARGIN}" y="${px(top + 18)}">${labelTitle}${escapeXml(label)}</text>`,
  );
  const outcomeX = layout.plotX1 + OUTCOME_GAP;
  const outcome =
    lane.outcome === 'done'
      ? `✓ ${formatCount(lane.poemBytes)} B`
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
