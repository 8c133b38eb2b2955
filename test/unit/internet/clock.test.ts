import { describe, expect, it } from 'vitest';
import { AlreadyCalledError, AlreadyCancelledError } from '../../../src/internet/errors.js';
import { Clock } from '../../../src/testing/clock.js';

describe('Clock', () => {
  it('runs a call only once time has advanced to it', () => {
    const clock = new Clock();
    const ran: number[] = [];
    clock.callLater(2, () => ran.push(clock.seconds()));
    clock.advance(1.5);
    expect(ran).toEqual([]);
    clock.advance(0.5);
    expect(ran).toEqual([2]);
  });

  it('runs due calls in time order, ties in scheduling order', () => {
    const clock = new Clock();
    const order: string[] = [];
    clock.callLater(3, () => order.push('c'));
    clock.callLater(1, () => order.push('a'));
    clock.callLater(1, () => order.push('b'));
    clock.advance(5);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('runs a call scheduled by a call when it falls within the same advance', () => {
    const clock = new Clock();
    const order: string[] = [];
    clock.callLater(1, () => {
      order.push('first');
      clock.callLater(1, () => order.push('second'));
    });
    clock.advance(2);
    expect(order).toEqual(['first', 'second']);
  });

  it('passes extra arguments to the call', () => {
    const clock = new Clock();
    const got: unknown[] = [];
    clock.callLater(0, (a: number, b: string) => got.push(a, b), 7, 'x');
    clock.advance(0);
    expect(got).toEqual([7, 'x']);
  });

  it('does not run a cancelled call and drops it from the pending list', () => {
    const clock = new Clock();
    let ran = false;
    const call = clock.callLater(1, () => {
      ran = true;
    });
    call.cancel();
    clock.advance(2);
    expect(ran).toBe(false);
    expect(call.active()).toBe(false);
    expect(clock.getDelayedCalls()).toEqual([]);
  });

  it('reset moves a call to seconds from now; delay pushes it later', () => {
    const clock = new Clock();
    const call = clock.callLater(5, () => {});
    clock.advance(1);
    call.reset(10);
    expect(call.getTime()).toBe(11);
    call.delay(2);
    expect(call.getTime()).toBe(13);
    clock.advance(11.9);
    expect(call.active()).toBe(true);
    clock.advance(0.1);
    expect(call.active()).toBe(false);
  });

  it('throws AlreadyCalledError or AlreadyCancelledError when an inactive call is changed', () => {
    const clock = new Clock();
    const called = clock.callLater(0, () => {});
    clock.advance(0);
    expect(() => called.cancel()).toThrow(AlreadyCalledError);
    expect(() => called.reset(1)).toThrow(AlreadyCalledError);
    const cancelled = clock.callLater(1, () => {});
    cancelled.cancel();
    expect(() => cancelled.cancel()).toThrow(AlreadyCancelledError);
    expect(() => cancelled.delay(1)).toThrow(AlreadyCancelledError);
  });

  it('rejects a negative or NaN delay', () => {
    const clock = new Clock();
    expect(() => clock.callLater(-1, () => {})).toThrow(RangeError);
    expect(() => clock.callLater(Number.NaN, () => {})).toThrow(RangeError);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('pump advances by each step in turn', () => {
    const clock = new Clock();
    const seen: number[] = [];
    for (const t of [1, 2, 3]) clock.callLater(t, () => seen.push(clock.seconds()));
    clock.pump([1, 1, 1]);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('lets an exception from a call propagate out of advance', () => {
    const clock = new Clock();
    clock.callLater(1, () => {
      throw new Error('boom');
    });
    expect(() => clock.advance(1)).toThrow('boom');
  });
});
