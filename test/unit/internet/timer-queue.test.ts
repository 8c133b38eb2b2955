import { describe, expect, it } from 'vitest';
import { DelayedCall } from '../../../src/internet/delayed-call.js';
import { TimerQueue } from '../../../src/internet/timer-queue.js';
import { seededRandom } from '../../helpers/seeded-random.mjs';

/** A host with hand-moved time that records the one wake-up the queue asks for. */
class FakeHost {
  now = 0;
  wake: { at: number; fn: () => void } | undefined = undefined;
  wakesArmed = 0;
  wakesCancelled = 0;
  readonly ran: string[] = [];

  seconds(): number {
    return this.now;
  }

  wakeAfter(seconds: number, fn: () => void): () => void {
    this.wakesArmed++;
    const wake = { at: this.now + seconds, fn };
    this.wake = wake;
    return () => {
      this.wakesCancelled++;
      if (this.wake === wake) this.wake = undefined;
    };
  }

  run(call: DelayedCall): void {
    call.run();
  }

  /** Moves time to `seconds` and fires the wake-up if it is due (it re-arms as it needs). */
  advanceTo(seconds: number): void {
    this.now = seconds;
    while (this.wake !== undefined && this.wake.at <= this.now) {
      const { fn } = this.wake;
      this.wake = undefined;
      fn();
    }
  }
}

function setup() {
  const host = new FakeHost();
  const queue = new TimerQueue(host);
  const later = (seconds: number, name: string, fn?: () => void): DelayedCall => {
    const call = new DelayedCall(
      host.now + seconds,
      fn ??
        (() => {
          host.ran.push(name);
        }),
      queue,
    );
    queue.schedule(call);
    return call;
  };
  return { host, queue, later };
}

describe('TimerQueue', () => {
  it('runs calls in time order, ties in the order they were scheduled', () => {
    const { host, later } = setup();
    later(3, 'c');
    later(1, 'a');
    later(1, 'b');
    host.advanceTo(10);
    expect(host.ran).toEqual(['a', 'b', 'c']);
  });

  it('keeps one wake-up, armed for the earliest call', () => {
    const { host, later } = setup();
    later(30, 'timeout');
    later(60, 'idle');
    expect(host.wake?.at).toBe(30);
    later(5, 'soon');
    expect(host.wake?.at).toBe(5);
    host.advanceTo(5);
    expect(host.ran).toEqual(['soon']);
    expect(host.wake?.at).toBe(30);
  });

  it('never runs a cancelled call, and drops the wake-up when nothing is left', () => {
    const { host, later } = setup();
    const a = later(30, 'a');
    const b = later(60, 'b');
    a.cancel();
    expect(host.wake).toBeDefined();
    b.cancel();
    // A cancelled timeout must not keep the process alive until it would have been due.
    expect(host.wake).toBeUndefined();
    host.advanceTo(100);
    expect(host.ran).toEqual([]);
  });

  it('runs a call scheduled for now by a running call on the next wake, not the same one', () => {
    const { host, later } = setup();
    let wakes = 0;
    later(1, 'first', () => {
      host.ran.push('first');
      later(0, 'second');
    });
    host.advanceTo(1);
    wakes = host.wakesArmed;
    expect(host.ran).toEqual(['first', 'second']);
    expect(wakes).toBeGreaterThanOrEqual(2);
  });

  it('moves a call on reset and delay', () => {
    const { host, later } = setup();
    const call = later(5, 'moved');
    call.reset(10);
    call.delay(2);
    host.advanceTo(11.9);
    expect(host.ran).toEqual([]);
    host.advanceTo(12);
    expect(host.ran).toEqual(['moved']);
  });

  it('keeps its order when most of many calls are cancelled', () => {
    const { host, queue, later } = setup();
    const calls = Array.from({ length: 3000 }, (_, i) => later(1 + (i % 97), String(i)));
    calls.forEach((call, i) => {
      if (i % 3 !== 0) call.cancel();
    });
    expect(queue.pending()).toHaveLength(1000);
    host.advanceTo(200);
    const expected = calls
      .map((_, i) => i)
      .filter((i) => i % 3 === 0)
      .sort((x, y) => (x % 97) - (y % 97) || x - y)
      .map(String);
    expect(host.ran).toEqual(expected);
  });

  it('holds no more than about twice the pending calls however many are cancelled', () => {
    const { host, queue, later } = setup();
    const keep: DelayedCall[] = [];
    for (let i = 0; i < 10_000; i++) {
      const call = later(30 + i / 1000, String(i));
      if (i % 10 === 0) keep.push(call);
      else call.cancel();
      expect(queue.heldCalls).toBeLessThanOrEqual(2 * queue.pending().length + 65);
    }
    expect(queue.pending()).toHaveLength(1000);
    host.advanceTo(100);
    expect(host.ran).toEqual(keep.map((_, i) => String(i * 10)));
    expect(queue.heldCalls).toBe(0);
  });

  it('drops a cancelled call that reaches the top without running it', () => {
    const { host, queue, later } = setup();
    const first = later(1, 'first');
    later(2, 'second');
    first.cancel();
    expect(queue.heldCalls).toBe(2);
    host.advanceTo(1);
    expect(host.ran).toEqual([]);
    expect(queue.heldCalls).toBe(1);
    expect(host.wake?.at).toBe(2);
    host.advanceTo(2);
    expect(host.ran).toEqual(['second']);
  });

  it('runs exactly the calls left, in order, after thousands of random schedules, resets and cancels', () => {
    const { host, queue, later } = setup();
    const random = seededRandom(20261126);
    const live = new Map<string, DelayedCall>();
    let made = 0;
    for (let step = 0; step < 5000; step++) {
      const roll = random();
      const names = [...live.keys()];
      if (roll < 0.5 || names.length === 0) {
        const name = String(made++);
        // Whole seconds, so ties are common and their order is tested too.
        live.set(name, later(Math.floor(random() * 50), name));
      } else {
        const name = names[Math.floor(random() * names.length)]!;
        const call = live.get(name)!;
        if (roll < 0.75) {
          call.cancel();
          live.delete(name);
        } else {
          call.reset(Math.floor(random() * 50));
          // A reset call goes after every call already due at its new time.
          live.delete(name);
          live.set(name, call);
        }
      }
    }
    expect(queue.pending()).toHaveLength(live.size);
    const expected = [...live.entries()]
      .map(([name, call], order) => ({ name, time: call.getTime(), order }))
      .sort((a, b) => a.time - b.time || a.order - b.order)
      .map(({ name }) => name);
    host.advanceTo(100);
    expect(host.ran).toEqual(expected);
    expect(queue.pending()).toEqual([]);
    expect(host.wake).toBeUndefined();
  });
});
