// The layout: the plot's columns, and the legend wrapped into rows once for drawing and height.

import { describe, expect, it } from 'vitest';
import {
  LANE_HEIGHT,
  layoutLegend,
  layoutOf,
  MARGIN,
  NOTE_LINE,
  pictureHeight,
} from '../../../src/timeline/layout.js';

describe('layoutOf', () => {
  it('widens the picture when long labels leave the plot too little room', () => {
    const short = layoutOf(['a:1'], 0, 600, 1);
    const long = layoutOf(['x'.repeat(40)], 0, 600, 1);
    expect(long.plotX0).toBeGreaterThan(short.plotX0);
    expect(long.width).toBeGreaterThan(600);
    // The plot keeps its minimum width of 480 px whatever the labels take.
    for (const layout of [short, long])
      expect(layout.plotX1 - layout.plotX0).toBeGreaterThanOrEqual(480);
  });

  it('keeps a row for the summary of the lanes left out', () => {
    const all = layoutOf(['a:1', 'b:2'], 0, 1000, 1);
    const some = layoutOf(['a:1', 'b:2'], 5, 1000, 1);
    expect(some.lanesBottom - all.lanesBottom).toBe(LANE_HEIGHT);
  });
});

describe('layoutLegend', () => {
  const texts = ['first item', 'second item', 'third item', 'fourth item'];

  it('puts the items on one row when they fit', () => {
    const legend = layoutLegend(texts, 0, layoutOf([], 0, 2000, 1));
    expect(new Set(legend.items.map((item) => item.y)).size).toBe(1);
    expect(legend.items[0]!.x).toBe(MARGIN);
    const xs = legend.items.map((item) => item.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
  });

  it('wraps the items that would pass the right margin onto new rows, each from the margin', () => {
    const layout = layoutOf([], 0, 1, 1);
    const legend = layoutLegend(Array(12).fill('an item with a long description'), 0, layout);
    const rows = [...new Set(legend.items.map((item) => item.y))];
    expect(rows.length).toBeGreaterThan(1);
    for (const y of rows) {
      const row = legend.items.filter((item) => item.y === y);
      expect(row[0]!.x).toBe(MARGIN);
      expect(row.every((item) => item.x < layout.width - MARGIN)).toBe(true);
    }
    // The notes and the picture's height follow the rows the items took.
    expect(legend.notesTop).toBeGreaterThan(rows.at(-1)!);
    expect(pictureHeight(layout, legend)).toBeGreaterThanOrEqual(legend.bottom);
  });

  it('makes room below the items for each note', () => {
    const layout = layoutOf([], 0, 1000, 1);
    const none = layoutLegend(texts, 0, layout);
    const three = layoutLegend(texts, 3, layout);
    expect(three.notesTop).toBe(none.notesTop);
    expect(three.bottom - none.bottom).toBe(3 * NOTE_LINE);
    expect(pictureHeight(layout, three)).toBeGreaterThan(pictureHeight(layout, none));
  });
});
