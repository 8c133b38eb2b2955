// Sampling the event loop's thread: intervals on the run's clock, busy time from utilisation,
// bounded memory, and no lane (rather than a crash) where the runtime cannot measure it.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { Clock } from '../../../src/testing/clock.js';
import {
  EventLoopSampler,
  type EventLoopUtilization,
  runtimeEventLoopUtilization,
  TimelineRecorder,
} from '../../../src/timeline/index.js';

/** A stand-in for eventLoopUtilization: active milliseconds the test adds by hand. */
function fakeUtilization(): { measure: () => EventLoopUtilization; work(ms: number): void } {
  let active = 0;
  return {
    measure: () => ({ active, idle: 0 }),
    work(ms: number) {
      active += ms;
    },
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('EventLoopSampler', () => {
  it('records each interval on the clock with the milliseconds the thread was busy in it', () => {
    const clock = new Clock();
    clock.advance(100);
    const loop = fakeUtilization();
    const sampler = new EventLoopSampler(clock, { eventLoopUtilization: loop.measure });
    clock.advance(0.25);
    loop.work(2);
    sampler.sample();
    clock.advance(0.25);
    sampler.sample();
    clock.advance(0.5);
    loop.work(125);
    const samples = sampler.stop();
    expect(samples).toHaveLength(3);
    expect(samples.map((s) => [s.fromSeconds, s.toSeconds])).toEqual([
      [100, 100.25],
      [100.25, 100.5],
      [100.5, 101],
    ]);
    expect(samples.map((s) => s.busySeconds)).toEqual([0.002, 0, 0.125]);
  });

  it('never counts more busy time than the interval lasted, nor a sample of no length', () => {
    const clock = new Clock();
    const loop = fakeUtilization();
    const sampler = new EventLoopSampler(clock, { eventLoopUtilization: loop.measure });
    loop.work(5);
    sampler.sample(); // no time has passed: nothing to record
    clock.advance(0.001);
    loop.work(3);
    sampler.sample();
    expect(sampler.samples).toEqual([{ fromSeconds: 0, toSeconds: 0.001, busySeconds: 0.001 }]);
  });

  it('merges neighbouring samples in pairs past maxSamples, keeping every busy millisecond', () => {
    const clock = new Clock();
    const loop = fakeUtilization();
    const sampler = new EventLoopSampler(clock, {
      eventLoopUtilization: loop.measure,
      maxSamples: 4,
    });
    for (let i = 0; i < 20; i++) {
      clock.advance(0.01);
      loop.work(1);
      sampler.sample();
    }
    const samples = sampler.stop();
    expect(samples.length).toBeLessThanOrEqual(4);
    expect(samples[0]!.fromSeconds).toBe(0);
    expect(samples.at(-1)!.toSeconds).toBeCloseTo(0.2, 9);
    const busy = samples.reduce((sum, s) => sum + s.busySeconds, 0);
    expect(busy).toBeCloseTo(0.02, 9);
    for (let i = 1; i < samples.length; i++) {
      expect(samples[i]!.fromSeconds).toBeCloseTo(samples[i - 1]!.toSeconds, 9);
    }
  });

  it('stops once: later samples and stops change nothing', () => {
    const clock = new Clock();
    const loop = fakeUtilization();
    const sampler = new EventLoopSampler(clock, { eventLoopUtilization: loop.measure });
    clock.advance(1);
    const first = sampler.stop();
    clock.advance(1);
    sampler.sample();
    expect(sampler.stop()).toEqual(first);
    expect(first).toHaveLength(1);
  });

  it('rejects a bad interval or sample count with RangeError', () => {
    const eventLoopUtilization = fakeUtilization().measure;
    const clock = new Clock();
    expect(() => new EventLoopSampler(clock, { eventLoopUtilization, intervalSeconds: 0 })).toThrow(
      RangeError,
    );
    expect(() => new EventLoopSampler(clock, { eventLoopUtilization, maxSamples: 1 })).toThrow(
      RangeError,
    );
  });
});

describe('runtimeEventLoopUtilization', () => {
  it("is Node's performance.eventLoopUtilization where there is one", () => {
    const measure = runtimeEventLoopUtilization();
    expect(measure).toBeTypeOf('function');
    expect(measure!().active).toBeTypeOf('number');
  });

  it('is undefined for a runtime without it, or whose version throws or answers nonsense', () => {
    expect(runtimeEventLoopUtilization({})).toBeUndefined();
    expect(runtimeEventLoopUtilization({ performance: {} })).toBeUndefined();
    expect(
      runtimeEventLoopUtilization({
        performance: {
          eventLoopUtilization() {
            throw new Error('not implemented');
          },
        },
      }),
    ).toBeUndefined();
    expect(
      runtimeEventLoopUtilization({ performance: { eventLoopUtilization: () => undefined } }),
    ).toBeUndefined();
  });
});

describe('TimelineRecorder with the event loop', () => {
  it("adds the sampler's samples to the run it finishes, and stops sampling then", () => {
    const clock = new Clock();
    const loop = fakeUtilization();
    const sampler = new EventLoopSampler(clock, { eventLoopUtilization: loop.measure });
    const recorder = new TimelineRecorder(clock, ['a:1'], {
      title: 'one run',
      laneNames: ['a poem'],
      eventLoop: sampler,
    });
    clock.advance(0.5);
    loop.work(100);
    const run = recorder.finish();
    expect(run.title).toBe('one run');
    expect(run.laneNames).toEqual(['a poem']);
    expect(run.eventLoop).toEqual([{ fromSeconds: 0, toSeconds: 0.5, busySeconds: 0.1 }]);
    clock.advance(1);
    loop.work(100);
    expect(recorder.finish().eventLoop).toEqual(run.eventLoop);
  });

  it('records no thread, and does not throw, where the runtime cannot measure it', () => {
    vi.stubGlobal('performance', {});
    const recorder = new TimelineRecorder(new Clock(), ['a:1'], { eventLoop: true });
    expect(recorder.finish().eventLoop).toBeUndefined();
    expect(EventLoopSampler.create(new Clock())).toBeUndefined();
  });

  it('samples the real event loop when asked to', () => {
    const clock = new Clock();
    const recorder = new TimelineRecorder(clock, [], { eventLoop: true });
    clock.advance(1);
    const run = recorder.finish();
    expect(run.eventLoop).toHaveLength(1);
    expect(run.eventLoop![0]!.busySeconds).toBeGreaterThanOrEqual(0);
  });
});
