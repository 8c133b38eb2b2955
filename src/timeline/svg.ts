// SVG primitives: coordinates, lines, text, tooltips and the markers a lane and the legend share.

import { escapeXml } from './escape.js';

/** Rounds a pixel coordinate to a tenth, which is all a screen shows. */
export function px(value: number): string {
  return String(Math.round(value * 10) / 10);
}

export function line(cls: string, x1: number, y1: number, x2: number, y2: number): string {
  return `<line class="${cls}" x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}"/>`;
}

/** A text element; `extra` is raw attribute markup (a leading space and `name="value"`). */
export function text(cls: string, x: number, y: number, content: string, extra = ''): string {
  return `<text class="${cls}" x="${px(x)}" y="${px(y)}"${extra}>${escapeXml(content)}</text>`;
}

/** A `<title>`: the tooltip of the element it sits in. */
export function titleOf(content: string): string {
  return `<title>${escapeXml(content)}</title>`;
}

export function connectedMarker(x: number, y: number, title = ''): string {
  return `<circle class="marker connected" cx="${px(x)}" cy="${px(y)}" r="4">${title}</circle>`;
}

/** Points up at the baseline from below, so it does not hide the connection marker. */
export function firstByteMarker(x: number, y: number, title = ''): string {
  const points = `${px(x)},${px(y + 1)} ${px(x + 5)},${px(y + 7)} ${px(x - 5)},${px(y + 7)}`;
  return `<polygon class="marker first-byte" points="${points}">${title}</polygon>`;
}

export function doneMarker(x: number, y: number, title = ''): string {
  const points = `${px(x)},${px(y - 6)} ${px(x + 6)},${px(y)} ${px(x)},${px(y + 6)} ${px(x - 6)},${px(y)}`;
  return `<polygon class="marker done" points="${points}">${title}</polygon>`;
}

export function failedMarker(x: number, y: number, title = ''): string {
  const d = `M${px(x - 4)} ${px(y - 4)}L${px(x + 4)} ${px(y + 4)}M${px(x - 4)} ${px(y + 4)}L${px(x + 4)} ${px(y - 4)}`;
  // A stroked cross is hard to point at; the invisible square under it carries the tooltip.
  const hit = `<rect class="marker failed-hit" x="${px(x - 5)}" y="${px(y - 5)}" width="10" height="10">${title}</rect>`;
  return `<g class="marker-group failed">${hit}<path class="marker failed" d="${d}"/></g>`;
}
