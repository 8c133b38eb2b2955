// Several runs in one picture, the event loop thread's lane, and the runs kept in the file.

import { describe, expect, it } from 'vitest';
import { ConnectionRefusedError } from '../../../src/internet/errors.js';
import type { FetchEvent } from '../../../src/poetry/events.js';
import { MAX_EMBEDDED_EVENTS } from '../../../src/timeline/embed.js';
import {
  type EventLoopSample,
  readTimelineRuns,
  renderTimelineHtml,
  renderTimelineSvg,
  type TimelineRun,
} from '../../../src/timeline/index.js';
import { threadSlices } from '../../../src/timeline/thread-lane.js';
import { byClass, type Element, findAll, parseMarkup, textOf, titleOf } from './markup.js';

const A = '127.0.0.1:10001';
const B = '127.0.0.1:10002';

/** A fetch from `start` to `end` seconds (on a clock starting at `t0`), one chunk a second. */
function fetchEvents(index: number, address: string, t0: number, start: number, end: number) {
  const events: FetchEvent[] = [
    { type: 'connecting', index, address, seconds: t0 + start },
    { type: 'connected', index, address, seconds: t0 + start + 0.01 },
  ];
  let total = 0;
  for (let at = start + 0.5; at < end; at += 1) {
    total += 10;
    events.push({ type: 'chunk', index, address, seconds: t0 + at, bytes: 10, totalBytes: total });
  }
  events.push({ type: 'done', index, address, seconds: t0 + end, bytes: total });
  return events;
}

/** Samples every `step` seconds over the run, busy `share` of each. */
function samples(t0: number, duration: number, step: number, share: number): EventLoopSample[] {
  const out: EventLoopSample[] = [];
  for (let at = 0; at + step <= duration + 1e-9; at += step) {
    out.push({ fromSeconds: t0 + at, toSeconds: t0 + at + step, busySeconds: step * share });
  }
  return out;
}

/** The synchronous model: two 2-second poems one after the other, 4 s in all. */
function oneAfterAnother(): TimelineRun {
  const t0 = 100;
  return {
    title: 'One after another',
    addresses: [A, B],
    laneNames: ['The Reactor', 'Callback Inception'],
    events: [...fetchEvents(0, A, t0, 0, 2), ...fetchEvents(1, B, t0, 2, 4)],
    startSeconds: t0,
    endSeconds: t0 + 4,
    eventLoop: samples(t0, 4, 0.5, 0.02),
  };
}

/** The asynchronous model: the same two poems at once, 2 s in all, on a clock far from the other. */
function allAtOnce(): TimelineRun {
  const t0 = 900;
  return {
    title: 'All at once',
    addresses: [A, B],
    laneNames: ['The Reactor', 'Callback Inception'],
    events: [...fetchEvents(0, A, t0, 0, 2), ...fetchEvents(1, B, t0, 0, 2)].sort(
      (a, b) => a.seconds - b.seconds,
    ),
    startSeconds: t0,
    endSeconds: t0 + 2,
    eventLoop: samples(t0, 2, 0.5, 0.5),
  };
}

function runsOf(root: Element): Element[] {
  return byClass(root, 'run').sort(
    (a, b) => Number(a.attributes['data-run']) - Number(b.attributes['data-run']),
  );
}

function doneX(lane: Element): number {
  const done = byClass(lane, 'marker done')[0]!;
  return Number(done.attributes.points!.split(' ')[0]!.split(',')[0]);
}

/** The top of an element, from the first `y` found in it. */
function topOf(element: Element): number {
  const withY = findAll(element, (e) => e.attributes.y !== undefined)[0]!;
  return Number(withY.attributes.y);
}

describe('several runs in one picture', () => {
  const root = parseMarkup(renderTimelineSvg([oneAfterAnother(), allAtOnce()]));

  it('draws each run under its title, one above the other, in the order given', () => {
    const runs = runsOf(root);
    expect(runs.map((run) => run.attributes['data-title'])).toEqual([
      'One after another',
      'All at once',
    ]);
    expect(runs.map((run) => byClass(run, 'run-title').map(textOf)[0])).toEqual([
      'One after another',
      'All at once',
    ]);
    expect(topOf(byClass(runs[0]!, 'run-title')[0]!)).toBeLessThan(
      topOf(byClass(runs[1]!, 'run-title')[0]!),
    );
    // Every lane of the first run lies above every lane of the second.
    const bottomOfFirst = Math.max(...byClass(runs[0]!, 'lane').map(topOf));
    const topOfSecond = Math.min(...byClass(runs[1]!, 'lane').map(topOf));
    expect(bottomOfFirst).toBeLessThan(topOfSecond);
  });

  it('puts both on one time scale, each from its own start', () => {
    const [first, second] = runsOf(root);
    const ticks = (run: Element) => byClass(run, 'tick').map(textOf);
    expect(ticks(first!)).toEqual(ticks(second!));
    const firstLanes = byClass(first!, 'lane');
    const secondLanes = byClass(second!, 'lane');
    const lastDone = (lanes: Element[]) => Math.max(...lanes.map(doneX));
    // 4 s against 2 s: the first run's last poem ends twice as far from 0 s as the second's.
    const zero = Number(byClass(first!, 'grid zero')[0]!.attributes.x1);
    expect((lastDone(firstLanes) - zero) / (lastDone(secondLanes) - zero)).toBeCloseTo(2, 1);
  });

  it('labels each lane with what it fetched and its address', () => {
    const labels = byClass(runsOf(root)[0]!, 'lane').map(
      (lane) => byClass(lane, 'label').map(textOf)[0],
    );
    expect(labels.sort()).toEqual([`Callback Inception · ${B}`, `The Reactor · ${A}`]);
    const lane = byClass(runsOf(root)[0]!, 'lane').find((l) => l.attributes['data-lane'] === '0')!;
    expect(lane.attributes['data-address']).toBe(A);
    expect(lane.attributes['data-name']).toBe('The Reactor');
  });

  it('says in its heading that the runs share one scale', () => {
    expect(textOf(byClass(root, 'subheading')[0]!)).toContain('2 runs, one above the other');
  });
});

describe("the event loop thread's lane", () => {
  const root = parseMarkup(renderTimelineSvg([oneAfterAnother(), allAtOnce()]));

  it('is drawn under the fetches of each run that sampled it', () => {
    for (const run of runsOf(root)) {
      const thread = byClass(run, 'thread-lane');
      expect(thread).toHaveLength(1);
      const threadTop = topOf(thread[0]!);
      for (const lane of byClass(run, 'lane')) expect(topOf(lane)).toBeLessThan(threadTop);
      expect(byClass(thread[0]!, 'thread-label').map(textOf)).toEqual(['event loop thread']);
    }
  });

  it('draws a busier sample taller, full at a tenth busy, and says how busy the thread was in all', () => {
    const [quiet, busy] = runsOf(root).map((run) => byClass(run, 'thread-lane')[0]!);
    const heights = (lane: Element) =>
      byClass(lane, 'thread-busy').map((bar) => Number(bar.attributes.height));
    // One bar per sample, 8 of them over 4 s and 4 over 2 s; 2% busy fills a fifth of the
    // lane's 17 px, half busy fills it all (the scale ends at 10%).
    expect(heights(quiet!)).toEqual(Array(8).fill(3.4));
    expect(heights(busy!)).toEqual(Array(4).fill(17));
    expect(textOf(byClass(quiet!, 'thread-outcome')[0]!)).toBe('busy 2%');
    expect(textOf(byClass(busy!, 'thread-outcome')[0]!)).toBe('busy 50%');
  });

  it('shows the sample in which the thread woke, even among samples finer than a pixel', () => {
    // 10 s of 10 ms samples, the thread busy 0.5% of each (timers), but 4% of the one at 5 s,
    // and not at all from 8 s on.
    const run = oneAfterAnother();
    const t0 = run.startSeconds!;
    const eventLoop = samples(t0, 10, 0.01, 0.005).map((sample) => {
      const at = sample.fromSeconds - t0;
      if (Math.abs(at - 5) < 1e-6) return { ...sample, busySeconds: 0.0004 };
      if (at > 8 - 1e-6) return { ...sample, busySeconds: 0 };
      return sample;
    });
    const svg = parseMarkup(renderTimelineSvg({ ...run, endSeconds: t0 + 10, eventLoop }));
    const bars = byClass(byClass(svg, 'thread-lane')[0]!, 'thread-busy').map((bar) => ({
      x: Number(bar.attributes.x),
      height: Number(bar.attributes.height),
    }));
    // Fewer bars than samples (a pixel holds more than one), none of them averaged away.
    expect(bars.length).toBeLessThan(eventLoop.length);
    const tallest = bars.reduce((a, b) => (b.height > a.height ? b : a));
    expect(tallest.height).toBeCloseTo(17 * 0.4, 5);
    // Any work at all is at least a pixel (0.5% would be 0.85 px), no work no bar.
    const others = bars.filter((bar) => bar !== tallest).map((bar) => bar.height);
    expect(new Set(others)).toEqual(new Set([1]));
    // The tallest stands where 5 s is on the axis, half way between 0 s and 10 s, and no bar
    // stands past 8 s.
    const zero = Number(byClass(svg, 'grid zero')[0]!.attributes.x1);
    const ten = Number(byClass(svg, 'tick').find((tick) => textOf(tick) === '10 s')!.attributes.x);
    expect(tallest.x).toBeCloseTo((zero + ten) / 2, 0);
    expect(Math.max(...bars.map((bar) => bar.x))).toBeLessThan(zero + (ten - zero) * 0.8);
  });

  it('gives each slice a tooltip and hover details with its time in callbacks', () => {
    const busy = byClass(runsOf(root)[1]!, 'thread-lane')[0]!;
    const slices = byClass(busy, 'thread-slice');
    expect(slices).toHaveLength(4);
    expect(titleOf(slices[1]!)).toBe(
      'event loop thread: 0.500–1.000 s, in callbacks 250.0 ms of 500.0 ms (50%)',
    );
    expect(textOf(byClass(slices[1]!, 'details')[0]!)).toContain(
      'in callbacks 250.0 ms of 500.0 ms',
    );
  });

  it("widens the labels' column for its label, so a short address's plot starts after it", () => {
    const zeroX = (run: TimelineRun) =>
      Number(byClass(parseMarkup(renderTimelineSvg(run)), 'grid zero')[0]!.attributes.x1);
    const short = 'a:1';
    const asLong = `${'x'.repeat('event loop thread'.length - 2)}:1`;
    const lone = (address: string, eventLoop?: EventLoopSample[]): TimelineRun => ({
      addresses: [address],
      events: fetchEvents(0, address, 0, 0, 2),
      startSeconds: 0,
      endSeconds: 2,
      ...(eventLoop === undefined ? {} : { eventLoop }),
    });
    expect(zeroX(lone(short, samples(0, 2, 0.5, 0.1)))).toBe(zeroX(lone(asLong)));
    expect(zeroX(lone(short))).toBeLessThan(zeroX(lone(asLong)));
  });

  it('is not drawn for a run without samples', () => {
    const { eventLoop: _, ...run } = oneAfterAnother();
    const svg = parseMarkup(renderTimelineSvg(run));
    expect(byClass(svg, 'thread-lane')).toEqual([]);
    expect(textOf(byClass(svg, 'legend')[0]!)).not.toContain('thread');
  });

  it('sums samples finer than a slice into slices, keeping every busy second', () => {
    const fine = samples(0, 10, 0.01, 0.1);
    const slices = threadSlices(fine, 0, 10, 100);
    expect(slices).toHaveLength(100);
    const busy = slices.reduce((sum, slice) => sum + slice.busySeconds, 0);
    expect(busy).toBeCloseTo(0.1 * 10, 6);
    expect(threadSlices(fine.slice(0, 50), 0, 10, 100)).toHaveLength(50);
  });

  it('is styled to show its details on hover, with CSS only', () => {
    const html = renderTimelineHtml(allAtOnce());
    expect(html).toContain('.thread-slice:hover .details{display:inline}');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });
});

describe('the runs kept in the file', () => {
  it('reads back the runs a timeline was drawn from, from its SVG or its HTML', () => {
    const failed: TimelineRun = {
      addresses: [A],
      events: [
        { type: 'connecting', index: 0, address: A, seconds: 1 },
        {
          type: 'failed',
          index: 0,
          address: A,
          seconds: 1.5,
          error: new ConnectionRefusedError('connection refused', { address: A }),
        },
      ],
      startSeconds: 1,
      endSeconds: 2,
    };
    const runs = [oneAfterAnother(), failed];
    for (const markup of [renderTimelineSvg(runs), renderTimelineHtml(runs)]) {
      const back = readTimelineRuns(markup);
      expect(back).toHaveLength(2);
      expect(back[0]).toEqual(oneAfterAnother());
      const error = (back[1]!.events[1] as { error: Error & { code?: string; address?: string } })
        .error;
      expect(error).toBeInstanceOf(Error);
      expect([error.name, error.message, error.code, error.address]).toEqual([
        'ConnectionRefusedError',
        `${A}: connection refused`,
        'ERR_CONNECTION_REFUSED',
        A,
      ]);
      // Drawn again from what was read, the picture is the same.
      expect(renderTimelineSvg(back)).toBe(renderTimelineSvg(runs));
    }
  });

  it('keeps markup in an address or a title as data, never as markup', () => {
    const hostile = '</metadata><script>alert(1)</script>&amp;\uFFFF';
    const run: TimelineRun = { ...oneAfterAnother(), title: hostile, addresses: [hostile, B] };
    const svg = renderTimelineSvg(run);
    parseMarkup(svg);
    expect(svg).not.toContain('<script');
    expect(readTimelineRuns(svg)[0]!.title).toBe(hostile);
    expect(readTimelineRuns(svg)[0]!.addresses[0]).toBe(hostile);
  });

  it('keeps no runs past the limit, and says so when asked for them', () => {
    const events: FetchEvent[] = [];
    for (let i = 0; i <= MAX_EMBEDDED_EVENTS; i++) {
      events.push({ type: 'connecting', index: i, address: A, seconds: 0 });
    }
    const svg = renderTimelineSvg({ addresses: [], events }, { maxLanes: 1 });
    expect(() => readTimelineRuns(svg)).toThrow('it keeps no recorded runs');
  });

  it('finds no runs in a file that is not a timeline, or a damaged one', () => {
    expect(() => readTimelineRuns('<html><body>hello</body></html>')).toThrow(
      'it keeps no recorded runs',
    );
    const svg = renderTimelineSvg(oneAfterAnother()).replace('"addresses"', '"addr');
    expect(() => readTimelineRuns(svg)).toThrow('damaged');
  });
});
