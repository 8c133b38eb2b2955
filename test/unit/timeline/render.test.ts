// The timeline drawing: lanes, marks, markers, failures, axis, legend, limits and escaping.

import { describe, expect, it } from 'vitest';
import { ConnectionRefusedError, type PoetryNowError } from '../../../src/internet/errors.js';
import { PoemIncompleteError } from '../../../src/poetry/errors.js';
import type { FetchEvent } from '../../../src/poetry/events.js';
import {
  DEFAULT_MAX_LANES,
  failureReason,
  renderTimeline,
  renderTimelineHtml,
  renderTimelineSvg,
  summarizeTimeline,
  type TimelineRun,
  timelineFormatOf,
} from '../../../src/timeline/index.js';
import {
  byClass,
  type Element,
  findAll,
  parseMarkup,
  textOf,
  titleOf,
  visibleTextOf,
} from './markup.js';

/** An error from outside the package, as a hand-made event or an old timeline may carry. */
const foreignError = (message: string): PoetryNowError => new Error(message) as PoetryNowError;

/** The reactor clock when the runs below start: the axis must count from here, not from 0. */
const T0 = 5000;

type Chunk = readonly [seconds: number, bytes: number];

/** A fetch that connects at `at` (+10 ms), receives `chunks` and completes at `doneAt`. */
function poem(
  index: number,
  address: string,
  at: number,
  chunks: readonly Chunk[],
  doneAt?: number,
): FetchEvent[] {
  const events: FetchEvent[] = [
    { type: 'queued', index, address, seconds: T0 },
    { type: 'connecting', index, address, seconds: T0 + at },
    { type: 'connected', index, address, seconds: T0 + at + 0.01 },
  ];
  let total = 0;
  chunks.forEach(([seconds, bytes], i) => {
    if (i === 0) events.push({ type: 'firstByte', index, address, seconds: T0 + seconds });
    total += bytes;
    events.push({ type: 'chunk', index, address, seconds: T0 + seconds, bytes, totalBytes: total });
  });
  if (doneAt !== undefined) {
    events.push({ type: 'done', index, address, seconds: T0 + doneAt, bytes: total });
  }
  return events;
}

function refused(index: number, address: string, at: number): FetchEvent[] {
  return [
    { type: 'connecting', index, address, seconds: T0 + at },
    {
      type: 'failed',
      index,
      address,
      seconds: T0 + at + 0.002,
      error: new ConnectionRefusedError('connection refused', { address }),
    },
  ];
}

/** The events of several fetches as one run records them: in time order. */
function interleave(...fetches: FetchEvent[][]): FetchEvent[] {
  return fetches.flat().sort((a, b) => a.seconds - b.seconds);
}

const A = '127.0.0.1:10001';
const B = '127.0.0.1:10002';
const C = 'localhost:10003';

/** Two slow poems interleaved and a refused address. */
function sampleRun(): TimelineRun {
  return {
    addresses: [A, B, C],
    events: interleave(
      poem(
        0,
        A,
        0.001,
        [
          [0.02, 10],
          [0.72, 10],
          [1.42, 10],
        ],
        1.43,
      ),
      poem(
        1,
        B,
        0.001,
        [
          [0.03, 40],
          [0.5, 5],
          [0.97, 40],
          [1.9, 20],
        ],
        1.91,
      ),
      refused(2, C, 0.001),
    ),
    startSeconds: T0,
    endSeconds: T0 + 2,
  };
}

function svgOf(run: TimelineRun, options = {}): Element {
  return parseMarkup(renderTimelineSvg(run, options));
}

function lanes(root: Element): Element[] {
  return byClass(root, 'lane');
}

function lane(root: Element, index: number): Element {
  const found = lanes(root).filter((element) => element.attributes['data-lane'] === String(index));
  expect(found).toHaveLength(1);
  return found[0]!;
}

function number(element: Element, attribute: string): number {
  const value = element.attributes[attribute];
  if (value === undefined) throw new Error(`no ${attribute} on <${element.name}>`);
  return Number(value);
}

/** The axis as drawn: pixels per second, from the gridlines of the "0 s" and the next tick. */
function axisOf(root: Element): { x(seconds: number): number; labels: string[] } {
  const grid = byClass(root, 'grid');
  const labels = byClass(root, 'tick').map(textOf);
  const count = labels.length / (byClass(root, 'grid zero').length || 1);
  const first = labels.slice(0, count);
  const x0 = number(grid[0]!, 'x1');
  const x1 = number(grid[1]!, 'x1');
  const step = Number.parseFloat(first[1]!);
  return { x: (seconds) => x0 + ((x1 - x0) * seconds) / step, labels: first };
}

function markCentre(chunk: Element): number {
  const rect = findAll(chunk, (element) => element.attributes.class === 'mark')[0]!;
  return number(rect, 'x') + number(rect, 'width') / 2;
}

function markHeight(chunk: Element): number {
  const rect = findAll(chunk, (element) => element.attributes.class === 'mark')[0]!;
  return number(rect, 'height');
}

describe('renderTimelineSvg', () => {
  it('draws one lane per address, top to bottom in argument order, labelled with the address', () => {
    const root = svgOf(sampleRun());
    const drawn = lanes(root).map((element) => ({
      lane: number(element, 'data-lane'),
      address: element.attributes['data-address'],
      label: visibleTextOf(byClass(element, 'label')[0]!),
      y: number(byClass(element, 'label')[0]!, 'y'),
    }));
    drawn.sort((a, b) => a.y - b.y);
    expect(drawn.map((row) => row.lane)).toEqual([0, 1, 2]);
    expect(drawn.map((row) => row.label)).toEqual([A, B, C]);
    expect(drawn.map((row) => row.address)).toEqual([A, B, C]);
  });

  it('keeps argument order, not the order the fetches finished in', () => {
    const root = svgOf({
      addresses: [A, B],
      events: interleave(poem(0, A, 0, [[1.5, 10]], 1.5), poem(1, B, 0, [[0.1, 10]], 0.1)),
    });
    const ys = [0, 1].map((index) => number(byClass(lane(root, index), 'label')[0]!, 'y'));
    expect(ys[0]).toBeLessThan(ys[1]!);
  });

  it('draws a mark for every chunk, at the moment it arrived, with its size', () => {
    const run = sampleRun();
    const root = svgOf(run);
    const axis = axisOf(root);
    const chunks = run.events.filter((event) => event.type === 'chunk');
    const marks = byClass(root, 'chunk');
    expect(marks).toHaveLength(chunks.length);
    for (const index of [0, 1]) {
      const expected = chunks.filter((chunk) => chunk.index === index);
      const drawn = marks.filter((mark) => mark.attributes['data-lane'] === String(index));
      expect(drawn.map((mark) => number(mark, 'data-bytes'))).toEqual(
        expected.map((chunk) => chunk.bytes),
      );
      drawn.forEach((mark, i) => {
        const seconds = expected[i]!.seconds - T0;
        expect(number(mark, 'data-seconds')).toBeCloseTo(seconds, 6);
        expect(number(mark, 'data-chunks')).toBe(1);
        expect(markCentre(mark)).toBeCloseTo(axis.x(seconds), 0);
      });
    }
  });

  it('gives each chunk mark a tooltip and hover details with its time, bytes and address', () => {
    const root = svgOf(sampleRun());
    const mark = byClass(lane(root, 1), 'chunk')[2]!;
    expect(titleOf(mark)).toBe(`${B}: 40 bytes at 0.970 s (chunk 3, 85 bytes so far)`);
    const details = byClass(mark, 'details')[0]!;
    expect(visibleTextOf(details)).toContain(B);
    expect(visibleTextOf(details)).toContain('40 bytes at 0.970 s');
    expect(visibleTextOf(details)).toContain('chunk 3, 85 bytes so far');
  });

  it('hides the hover details until the pointer is over the mark, with CSS only', () => {
    const svg = renderTimelineSvg(sampleRun());
    expect(svg).toContain('.chunk .details{display:none');
    expect(svg).toContain('.chunk:hover .details{display:inline}');
  });

  it('draws a larger chunk taller', () => {
    const root = svgOf(sampleRun());
    const [big, small] = byClass(lane(root, 1), 'chunk');
    expect(number(big!, 'data-bytes')).toBe(40);
    expect(number(small!, 'data-bytes')).toBe(5);
    expect(markHeight(big!)).toBeGreaterThan(markHeight(small!));
  });

  it('draws connected, first-byte and done markers at their times', () => {
    const run = sampleRun();
    const root = svgOf(run);
    const axis = axisOf(root);
    const first = lane(root, 0);
    const connected = byClass(first, 'marker connected');
    expect(connected).toHaveLength(1);
    expect(number(connected[0]!, 'cx')).toBeCloseTo(axis.x(0.011), 0);
    expect(titleOf(connected[0]!)).toBe(`${A}: connected at 0.011 s`);
    const firstByte = byClass(first, 'marker first-byte');
    expect(firstByte).toHaveLength(1);
    expect(titleOf(firstByte[0]!)).toBe(`${A}: first byte at 0.020 s`);
    const done = byClass(first, 'marker done');
    expect(done).toHaveLength(1);
    expect(titleOf(done[0]!)).toBe(`${A}: poem complete at 1.430 s, 30 bytes`);
    const doneX = Number(done[0]!.attributes.points!.split(' ')[0]!.split(',')[0]);
    expect(doneX).toBeCloseTo(axis.x(1.43), 0);
    expect(first.attributes['data-outcome']).toBe('done');
    expect(visibleTextOf(byClass(first, 'outcome')[0]!)).toBe('✓ 30 B');
  });

  it('shows a failure as such, with its reason, at the moment it failed', () => {
    const root = svgOf(sampleRun());
    const failed = lane(root, 2);
    expect(failed.attributes['data-outcome']).toBe('failed');
    expect(visibleTextOf(byClass(failed, 'outcome failed')[0]!)).toBe('✗ failed');
    const failure = byClass(failed, 'failure')[0]!;
    expect(number(failure, 'data-seconds')).toBeCloseTo(0.003, 6);
    expect(byClass(failure, 'marker failed')).toHaveLength(1);
    expect(visibleTextOf(byClass(failure, 'failure-text')[0]!)).toBe(
      'ConnectionRefusedError: connection refused',
    );
    expect(byClass(failed, 'chunk')).toHaveLength(0);
  });

  it('shows a poem cut short: its chunks and then the failure', () => {
    const cut = poem(0, A, 0, [
      [0.1, 10],
      [0.2, 10],
    ]);
    const error = new PoemIncompleteError(
      'connection lost after 20 bytes; the poem is incomplete',
      {
        address: A,
      },
    );
    const root = svgOf({
      addresses: [A],
      events: [...cut, { type: 'failed', index: 0, address: A, seconds: T0 + 0.3, error }],
    });
    expect(byClass(root, 'chunk')).toHaveLength(2);
    expect(visibleTextOf(byClass(root, 'failure-text')[0]!)).toBe(
      'PoemIncompleteError: connection lost after 20 bytes; the poem is incomplete',
    );
  });

  it('draws a legend naming every kind of mark', () => {
    const legend = byClass(svgOf(sampleRun()), 'legend')[0]!;
    const text = visibleTextOf(legend);
    for (const entry of [
      'chunk received',
      'waiting for a slot',
      'connecting',
      'connected',
      'connection made',
      'first byte',
      'poem complete',
      'failed',
    ]) {
      expect(text).toContain(entry);
    }
    expect(byClass(legend, 'mark').length).toBeGreaterThan(0);
    expect(byClass(legend, 'marker done')).toHaveLength(1);
    expect(byClass(legend, 'marker failed')).toHaveLength(1);
  });

  it('counts the time axis in seconds from the start of the run, in whole steps', () => {
    const root = svgOf(sampleRun());
    const { labels } = axisOf(root);
    expect(labels[0]).toBe('0.0 s');
    expect(labels).toContain('1.0 s');
    expect(labels.at(-1)).toBe('2.0 s');
    const steps = labels.map((label) => Number.parseFloat(label));
    const step = steps[1]! - steps[0]!;
    expect([0.1, 0.2, 0.25, 0.5, 1, 2, 5]).toContain(Number(step.toFixed(6)));
    for (let i = 1; i < steps.length; i++) expect(steps[i]! - steps[i - 1]!).toBeCloseTo(step, 9);
  });

  it('scales the axis to a run of milliseconds', () => {
    const root = svgOf({
      addresses: [A],
      events: poem(0, A, 0, [[0.002, 10]], 0.004),
      startSeconds: T0,
    });
    const { labels } = axisOf(root);
    expect(labels[0]).toBe('0.000 s');
    expect(Number.parseFloat(labels.at(-1)!)).toBeGreaterThanOrEqual(0.004);
    expect(Number.parseFloat(labels.at(-1)!)).toBeLessThanOrEqual(0.01);
  });

  it('scales the axis to a run of minutes', () => {
    const root = svgOf({
      addresses: [A],
      events: poem(0, A, 0, [[100, 10]], 400),
      startSeconds: T0,
    });
    const { labels } = axisOf(root);
    expect(labels.length).toBeGreaterThanOrEqual(3);
    expect(labels.length).toBeLessThanOrEqual(12);
    expect(Number.parseFloat(labels.at(-1)!)).toBeGreaterThanOrEqual(400);
    expect(labels[1]).toMatch(/^\d+ s$/);
  });

  it('draws an empty run as a picture that says nothing was recorded', () => {
    const root = svgOf({ addresses: [], events: [] });
    expect(lanes(root)).toHaveLength(0);
    expect(byClass(root, 'chunk')).toHaveLength(0);
    expect(textOf(byClass(root, 'empty-row')[0]!)).toBe('No fetches were recorded.');
    expect(axisOf(root).labels.length).toBeGreaterThanOrEqual(2);
    expect(byClass(root, 'legend')).toHaveLength(1);
    expect(visibleTextOf(byClass(root, 'subheading')[0]!)).toContain('0 addresses');
  });

  it('draws an address with no events yet as an unfinished lane', () => {
    const root = svgOf({ addresses: [A], events: [] });
    expect(lane(root, 0).attributes['data-outcome']).toBe('unfinished');
    expect(visibleTextOf(byClass(root, 'outcome')[0]!)).toBe('… unfinished');
  });

  it('runs the line of a fetch still going to the end of the run', () => {
    const root = svgOf({
      addresses: [A],
      events: poem(0, A, 0, [[0.5, 10]]),
      startSeconds: T0,
      endSeconds: T0 + 2,
    });
    const axis = axisOf(root);
    const receiving = byClass(lane(root, 0), 'seg receiving');
    expect(receiving).toHaveLength(1);
    expect(number(receiving[0]!, 'x2')).toBeCloseTo(axis.x(2), 0);
    expect(lane(root, 0).attributes['data-outcome']).toBe('unfinished');
  });

  it('summarises 1,000 lanes: draws the first 200 and counts the rest by outcome', () => {
    const addresses = Array.from({ length: 1000 }, (_, i) => `127.0.0.1:${20000 + i}`);
    const fetches = addresses.map((address, i) =>
      i % 100 === 99 ? refused(i, address, 0) : poem(i, address, 0, [[0.5, 10]], 0.5),
    );
    const svg = renderTimelineSvg({ addresses, events: interleave(...fetches) });
    const root = parseMarkup(svg);
    expect(lanes(root)).toHaveLength(DEFAULT_MAX_LANES);
    expect(byClass(root, 'chunk')).toHaveLength(198);
    const summary = byClass(root, 'summary-row')[0]!;
    expect(summary.attributes['data-hidden-lanes']).toBe('800');
    expect(visibleTextOf(summary)).toBe('… and 800 more addresses not drawn: 792 poems, 8 failed');
    expect(visibleTextOf(byClass(root, 'subheading')[0]!)).toContain('1,000 addresses');
    expect(visibleTextOf(byClass(root, 'subheading')[0]!)).toContain('the first 200 drawn');
    // Readable: lanes keep their height, and the file stays small enough to open.
    const height = number(findAll(root, (element) => element.name === 'svg')[0]!, 'height');
    expect(height).toBeLessThan(200 * 30 + 400);
    expect(svg.length).toBeLessThan(2_000_000);
  });

  it('draws every lane when there are no more than maxLanes', () => {
    const addresses = [A, B, C];
    const root = svgOf(sampleRun(), { maxLanes: 3 });
    expect(lanes(root)).toHaveLength(addresses.length);
    expect(byClass(root, 'summary-row')).toHaveLength(0);
    expect(lanes(svgOf(sampleRun(), { maxLanes: 2 }))).toHaveLength(2);
  });

  it('groups neighbouring chunks past the per-lane limit, and says how many each mark holds', () => {
    const chunks: Chunk[] = Array.from({ length: 1000 }, (_, i) => [i * 0.001, 1 + (i % 7)]);
    const events = poem(0, A, 0, chunks, 1);
    const root = svgOf({ addresses: [A], events }, { maxChunkMarksPerLane: 50 });
    const marks = byClass(root, 'chunk');
    expect(marks.length).toBeLessThanOrEqual(50);
    expect(marks.length).toBeGreaterThan(10);
    const held = marks.map((mark) => number(mark, 'data-chunks'));
    expect(held.reduce((a, b) => a + b, 0)).toBe(1000);
    const bytes = marks.map((mark) => number(mark, 'data-bytes'));
    expect(bytes.reduce((a, b) => a + b, 0)).toBe(
      chunks.reduce((total, [, size]) => total + size, 0),
    );
    expect(titleOf(marks[0]!)).toMatch(/^127\.0\.0\.1:10001: \d+ chunks, [\d,]+ bytes, /);
    expect(visibleTextOf(byClass(root, 'legend')[0]!)).toContain(
      'Lanes with more than 50 chunks draw neighbouring chunks as one mark',
    );
  });

  it('puts a lane for an index past the address list, labelled as its events name it', () => {
    const root = svgOf({ addresses: [A], events: interleave(poem(0, A, 0, []), refused(3, C, 0)) });
    expect(
      lanes(root)
        .map((element) => element.attributes['data-address'])
        .sort(),
    ).toEqual([A, C]);
    expect(lane(root, 3).attributes['data-outcome']).toBe('failed');
  });

  it('counts a fetch retried after a failure by how its last attempt ended', () => {
    const error = foreignError('connect EMFILE');
    const events: FetchEvent[] = [
      { type: 'queued', index: 0, address: A, seconds: T0 },
      { type: 'connecting', index: 0, address: A, seconds: T0 },
      { type: 'failed', index: 0, address: A, seconds: T0 + 0.001, error },
      { type: 'queued', index: 0, address: A, seconds: T0 + 0.001 },
      ...poem(0, A, 0.02, [[0.05, 10]], 0.06).slice(1),
    ];
    const root = svgOf({ addresses: [A], events });
    expect(lane(root, 0).attributes['data-outcome']).toBe('done');
    expect(byClass(root, 'failure')).toHaveLength(1);
    expect(summarizeTimeline({ addresses: [A], events }).poems).toBe(1);
  });

  it('marks each retry on the lane with its reason, and counts the fetch by its last try', () => {
    const error = new ConnectionRefusedError('connection refused', { address: A });
    const events: FetchEvent[] = [
      { type: 'connecting', index: 0, address: A, seconds: T0 },
      {
        type: 'retrying',
        index: 0,
        address: A,
        seconds: T0 + 0.001,
        attempt: 2,
        maxAttempts: 4,
        delaySeconds: 0.5,
        error,
      },
      ...poem(0, A, 0.501, [[0.55, 10]], 0.56).slice(1),
    ];
    const root = svgOf({ addresses: [A], events });
    const retries = byClass(root, 'retry');
    expect(retries).toHaveLength(1);
    expect(retries[0]!.attributes['data-attempt']).toBe('2');
    expect(textOf(retries[0]!)).toContain(
      'try 1 failed at 0.001 s: ConnectionRefusedError: connection refused',
    );
    expect(textOf(retries[0]!)).toContain('try 2 of 4 in 0.500 s');
    expect(lane(root, 0).attributes['data-outcome']).toBe('done');
    expect(byClass(root, 'failure')).toHaveLength(0);
  });

  it('shortens a very long address in its label and keeps the whole in a tooltip', () => {
    const long = `${'very-long-host-name.'.repeat(5)}example:10000`;
    const root = svgOf({ addresses: [long], events: [] });
    const label = byClass(root, 'label')[0]!;
    expect(visibleTextOf(label).endsWith('…')).toBe(true);
    expect(visibleTextOf(label).length).toBeLessThanOrEqual(40);
    expect(titleOf(label)).toBe(long);
  });

  it('escapes an address and an error message full of markup', () => {
    const address = `<script>alert("x")</script>&amp;'`;
    const message = 'refused </text><script>alert(1)</script> & more';
    const events: FetchEvent[] = [
      { type: 'connecting', index: 0, address, seconds: T0 },
      { type: 'connected', index: 0, address, seconds: T0 + 0.1 },
      { type: 'firstByte', index: 0, address, seconds: T0 + 0.2 },
      { type: 'chunk', index: 0, address, seconds: T0 + 0.2, bytes: 3, totalBytes: 3 },
      { type: 'failed', index: 0, address, seconds: T0 + 0.3, error: foreignError(message) },
    ];
    const run = { addresses: [address], events };
    for (const markup of [renderTimelineSvg(run), renderTimelineHtml(run)]) {
      const root = parseMarkup(markup);
      expect(findAll(root, (element) => element.name === 'script')).toEqual([]);
      expect(markup).not.toContain('<script');
      expect(lane(root, 0).attributes['data-address']).toBe(address);
      expect(visibleTextOf(byClass(root, 'label')[0]!)).toBe(address);
      expect(visibleTextOf(byClass(root, 'failure-text')[0]!)).toBe(message);
      expect(titleOf(byClass(root, 'chunk')[0]!)).toContain(address);
    }
  });

  it('replaces characters XML cannot hold instead of writing a broken file', () => {
    const error = foreignError('bad \u0000byte \u001b[31mred\u001b[0m \ud800 end');
    const svg = renderTimelineSvg({
      addresses: [A],
      events: [{ type: 'failed', index: 0, address: A, seconds: T0, error }],
    });
    const controls = [...svg].filter((char) => char < ' ' && char !== '\n' && char !== '\t');
    expect(controls).toEqual([]);
    expect(visibleTextOf(byClass(parseMarkup(svg), 'failure-text')[0]!)).toBe(
      'bad \ufffdbyte \ufffd[31mred\ufffd[0m \ufffd end',
    );
  });

  it('escapes the title', () => {
    const root = svgOf(sampleRun(), { title: 'A & B <i>' });
    expect(visibleTextOf(byClass(root, 'heading')[0]!)).toBe('A & B <i>');
  });

  it('is a standalone SVG document', () => {
    const svg = renderTimelineSvg(sampleRun());
    expect(
      svg.startsWith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"',
      ),
    ).toBe(true);
    const root = parseMarkup(svg);
    expect(
      root.children.filter((child) => typeof child !== 'string').map((e) => (e as Element).name),
    ).toEqual(['svg']);
  });

  it('gives the same text for the same run', () => {
    expect(renderTimelineSvg(sampleRun())).toBe(renderTimelineSvg(sampleRun()));
    expect(renderTimelineHtml(sampleRun())).toBe(renderTimelineHtml(sampleRun()));
  });

  it('rejects a bad option with RangeError', () => {
    expect(() => renderTimelineSvg(sampleRun(), { maxLanes: 0 })).toThrow(RangeError);
    expect(() => renderTimelineSvg(sampleRun(), { maxChunkMarksPerLane: 1.5 })).toThrow(RangeError);
    expect(() => renderTimelineSvg(sampleRun(), { widthPixels: -1 })).toThrow(RangeError);
  });
});

describe('renderTimelineHtml', () => {
  it('is a self-contained page: inline SVG and CSS, no script, nothing from the network', () => {
    const html = renderTimelineHtml(sampleRun());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    const root = parseMarkup(html);
    expect(findAll(root, (element) => element.name === 'svg')).toHaveLength(1);
    expect(findAll(root, (element) => element.name === 'style').length).toBeGreaterThan(0);
    expect(html).not.toMatch(/http/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('@import');
    expect(html).not.toMatch(/url\((?!#)/);
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(html).not.toContain('@font-face');
    expect(html).toContain('<meta charset="utf-8">');
  });

  it('holds the same lanes and marks as the SVG', () => {
    const run = sampleRun();
    const html = parseMarkup(renderTimelineHtml(run));
    const svg = svgOf(run);
    expect(lanes(html)).toHaveLength(lanes(svg).length);
    expect(byClass(html, 'chunk')).toHaveLength(byClass(svg, 'chunk').length);
  });

  it('is titled', () => {
    const root = parseMarkup(renderTimelineHtml(sampleRun(), { title: 'Run <1>' }));
    const title = findAll(root, (element) => element.name === 'title')[0]!;
    expect(textOf(title)).toBe('Run <1>');
  });
});

describe('renderTimeline and timelineFormatOf', () => {
  it('picks the format from the file name', () => {
    expect(timelineFormatOf('run.svg')).toBe('svg');
    expect(timelineFormatOf('/tmp/Run.HTML')).toBe('html');
    expect(timelineFormatOf('run.htm')).toBe('html');
    expect(timelineFormatOf('run.png')).toBeUndefined();
    expect(timelineFormatOf('svg')).toBeUndefined();
  });

  it('renders the format asked for', () => {
    const run = sampleRun();
    expect(renderTimeline(run, 'svg')).toBe(renderTimelineSvg(run));
    expect(renderTimeline(run, 'html')).toBe(renderTimelineHtml(run));
  });
});

describe('summarizeTimeline', () => {
  it('counts poems, failures, chunks, bytes and the duration', () => {
    expect(summarizeTimeline(sampleRun())).toEqual({
      addresses: 3,
      poems: 2,
      failed: 1,
      unfinished: 0,
      chunks: 7,
      bytes: 135,
      startSeconds: T0,
      durationSeconds: 2,
    });
  });

  it('starts an unrecorded start at the first event and ends at the last', () => {
    const run = { addresses: [A], events: poem(0, A, 1, [[1.5, 10]], 2) };
    const summary = summarizeTimeline(run);
    expect(summary.startSeconds).toBe(T0);
    expect(summary.durationSeconds).toBeCloseTo(2, 9);
  });

  it('counts nothing for an empty run', () => {
    expect(summarizeTimeline({ addresses: [], events: [] })).toMatchObject({
      addresses: 0,
      poems: 0,
      chunks: 0,
      durationSeconds: 0,
    });
  });
});

describe('failureReason', () => {
  it('names the error and drops the address its message starts with', () => {
    const error = new ConnectionRefusedError('connection refused', { address: A });
    expect(failureReason({ type: 'failed', index: 0, address: A, seconds: 0, error })).toBe(
      'ConnectionRefusedError: connection refused',
    );
  });

  it('drops the address the error resolved to, when it differs from the one asked for', () => {
    const error = new ConnectionRefusedError('connection refused', { address: '127.0.0.1:1' });
    expect(
      failureReason({ type: 'failed', index: 0, address: 'localhost:1', seconds: 0, error }),
    ).toBe('ConnectionRefusedError: connection refused');
  });

  it('leaves out a plain Error name and puts a message on one line', () => {
    const error = foreignError('line one\n  line two');
    expect(failureReason({ type: 'failed', index: 0, address: A, seconds: 0, error })).toBe(
      'line one line two',
    );
  });
});
