// The reactor's pending calls: a min-heap woken by a single timer, as Twisted's reactor keeps them.

import type { DelayedCall, DelayedCallScheduler } from './delayed-call.js';

/** What the queue needs from the reactor: the time, a way to be woken, and where errors go. */
export interface TimerQueueHost {
  seconds(): number;
  /** Wakes the queue (calls `wake`) once `seconds` have passed; returns a way to call it off. */
  wakeAfter(seconds: number, wake: () => void): () => void;
  /** Runs one due call, reporting what it throws. */
  run(call: DelayedCall): void;
}

/**
 * How early a pending call may run: one due within this many seconds of now runs now, since a
 * real clock's timers fire a hair early. Code that asks, when a timer fires, whether its time
 * has come must allow the same.
 */
export const TIMER_SLACK_SECONDS = 0.001;

/**
 * Pending calls in a binary min-heap by (time, arming order), with one wake-up armed for the
 * earliest. The heap holds the calls themselves, each knowing its own index (`slot`), so
 * scheduling, cancelling and resetting are each one sift of O(log n) and allocate nothing:
 * connection timeouts, nearly all cancelled long before they are due, cost no timer of their own
 * and leave nothing behind.
 *
 * A wake runs the calls that were due when it began, in time order; calls they schedule for now
 * wait for the next wake, so a call that keeps rescheduling itself cannot starve the network.
 */
export class TimerQueue implements DelayedCallScheduler {
  readonly #host: TimerQueueHost;
  readonly #heap: DelayedCall[] = [];
  #seq = 0;
  #wakeTime = Number.POSITIVE_INFINITY;
  #cancelWake: (() => void) | undefined = undefined;

  constructor(host: TimerQueueHost) {
    this.#host = host;
  }

  seconds(): number {
    return this.#host.seconds();
  }

  /** The calls still pending, in no particular order. */
  pending(): DelayedCall[] {
    return this.#heap.slice();
  }

  /** Arms `call` at its time, or moves it there if it is already armed. */
  schedule(call: DelayedCall): void {
    call.seq = this.#seq++;
    const index = call.slot;
    if (index === -1) {
      call.slot = this.#heap.push(call) - 1;
      this.#siftUp(call.slot);
    } else {
      this.#siftUp(index);
      this.#siftDown(call.slot);
    }
    if (call.getTime() < this.#wakeTime) this.#armWake(call.getTime());
  }

  unschedule(call: DelayedCall): void {
    const index = call.slot;
    if (index === -1) return;
    this.#removeAt(index);
    // Nothing left to run: no wake-up may hold the process open for a cancelled timeout. (With
    // calls left, an early wake-up finds nothing due and arms again for the earliest.)
    if (this.#heap.length === 0) this.#disarmWake();
  }

  readonly #wake = (): void => {
    this.#cancelWake = undefined;
    this.#wakeTime = Number.POSITIVE_INFINITY;
    const heap = this.#heap;
    const due = this.#host.seconds() + TIMER_SLACK_SECONDS;
    const lastSeq = this.#seq;
    for (;;) {
      const top = heap[0];
      if (top === undefined || top.getTime() > due || top.seq >= lastSeq) break;
      this.#removeAt(0);
      this.#host.run(top);
    }
    const next = heap[0];
    if (next !== undefined) this.#armWake(next.getTime());
  };

  #armWake(time: number): void {
    this.#disarmWake();
    this.#wakeTime = time;
    this.#cancelWake = this.#host.wakeAfter(Math.max(0, time - this.#host.seconds()), this.#wake);
  }

  #disarmWake(): void {
    const cancel = this.#cancelWake;
    this.#cancelWake = undefined;
    this.#wakeTime = Number.POSITIVE_INFINITY;
    cancel?.();
  }

  /** Takes the call at `index` out of the heap, filling the hole with the last call. */
  #removeAt(index: number): void {
    const heap = this.#heap;
    const removed = heap[index]!;
    removed.slot = -1;
    const last = heap.pop()!;
    if (last === removed) return;
    heap[index] = last;
    last.slot = index;
    this.#siftUp(index);
    this.#siftDown(last.slot);
  }

  #siftUp(index: number): void {
    const heap = this.#heap;
    const call = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!before(call, parent)) break;
      heap[index] = parent;
      parent.slot = index;
      index = parentIndex;
    }
    heap[index] = call;
    call.slot = index;
  }

  #siftDown(index: number): void {
    const heap = this.#heap;
    const call = heap[index]!;
    const length = heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const childIndex = right < length && before(heap[right]!, heap[left]!) ? right : left;
      const child = heap[childIndex]!;
      if (!before(child, call)) break;
      heap[index] = child;
      child.slot = index;
      index = childIndex;
    }
    heap[index] = call;
    call.slot = index;
  }
}

function before(a: DelayedCall, b: DelayedCall): boolean {
  const at = a.getTime();
  const bt = b.getTime();
  return at < bt || (at === bt && a.seq < b.seq);
}
