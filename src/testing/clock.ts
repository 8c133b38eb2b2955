// A fake clock: time that moves only when a test says so.

import { DelayedCall, type DelayedCallScheduler } from '../internet/delayed-call.js';
import type { IDelayedCall, IReactorTime } from '../internet/interfaces.js';
import { checkDelay } from '../internet/limits.js';

/**
 * Stands in for the reactor's time, as Twisted's `task.Clock`. It starts at 0 seconds; calls run
 * only inside `advance`, in time order (ties in the order they were scheduled). An exception a
 * call throws propagates out of `advance` (and leaves the clock at that call's time), so a test
 * sees it.
 */
export class Clock implements IReactorTime {
  #now = 0;
  #calls: DelayedCall[] = [];

  seconds(): number {
    return this.#now;
  }

  callLater<A extends unknown[]>(
    seconds: number,
    fn: (...args: A) => void,
    ...args: A
  ): IDelayedCall {
    const call = new DelayedCall(
      this.#now + checkDelay(seconds),
      () => fn(...args),
      this.#scheduler,
    );
    this.#scheduler.schedule(call);
    return call;
  }

  /** The calls still pending, soonest first. */
  getDelayedCalls(): IDelayedCall[] {
    return [...this.#calls];
  }

  /**
   * Moves time forward by `seconds` and runs every call that comes due, in order. While a call
   * runs, `seconds()` is the time it was due, as it would be on a real clock, so a call that
   * schedules another within the same advance sees it run too.
   */
  advance(seconds: number): void {
    const target = this.#now + checkDelay(seconds);
    for (;;) {
      const next = this.#calls[0];
      if (next === undefined || next.getTime() > target) break;
      this.#calls.shift();
      this.#now = Math.max(this.#now, next.getTime());
      next.run();
    }
    this.#now = target;
  }

  /** Advances by each of `timings` (seconds) in turn. */
  pump(timings: Iterable<number>): void {
    for (const seconds of timings) this.advance(seconds);
  }

  readonly #scheduler: DelayedCallScheduler = {
    seconds: () => this.#now,
    schedule: (call) => {
      this.#scheduler.unschedule(call);
      // Insert after every call due at the same time or earlier: ties keep scheduling order.
      let index = this.#calls.length;
      while (index > 0 && this.#calls[index - 1]!.getTime() > call.getTime()) index--;
      this.#calls.splice(index, 0, call);
    },
    unschedule: (call) => {
      const index = this.#calls.indexOf(call);
      if (index !== -1) this.#calls.splice(index, 1);
    },
  };
}
