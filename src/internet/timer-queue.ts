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
 * scheduling and resetting are each one sift of O(log n) and allocate nothing.
 *
 * Cancelling is lazy, as in Twisted's reactor: a cancelled call stays in the heap, counted, and is
 * dropped when it comes to the top, or when the cancelled calls outnumber the live ones and the
 * heap is rebuilt without them. Connection timeouts, nearly all cancelled long before they are
 * due, so cost no timer of their own and no sift to cancel, and the heap never holds more than
 * about twice the calls still pending.
 *
 * A wake runs the calls that were due when it began, in time order; calls they schedule for now
 * wait for the next wake, so a call that keeps rescheduling itself cannot starve the network.
 */
export class TimerQueue implements DelayedCallScheduler {
  readonly #host: TimerQueueHost;
  #heap: DelayedCall[] = [];
  /** How many calls in the heap are cancelled. */
  #cancelled = 0;
  #seq = 0;
  #wakeTime = Number.POSITIVE_INFINITY;
  #cancelWake: (() => void) | undefined = undefined;

  constructor(host: TimerQueueHost) {
    this.#host = host;
  }

  seconds(): number {
    return this.#host.seconds();
  }

  /** For tests only: how many calls the heap holds, cancelled ones not yet dropped included. */
  get heldCalls(): number {
    return this.#heap.length;
  }

  /** The calls still pending, in no particular order. */
  pending(): DelayedCall[] {
    return this.#heap.filter(isPending);
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

  /** Forgets `call`, which its owner has cancelled: it is no longer pending. */
  unschedule(call: DelayedCall): void {
    if (call.slot === -1) return;
    const heap = this.#heap;
    this.#cancelled++;
    if (this.#cancelled === heap.length) {
      // Nothing left to run: no wake-up may hold the process open for a cancelled timeout. (With
      // calls left, an early wake-up finds nothing due and arms again for the earliest.)
      for (const cancelled of heap) cancelled.slot = -1;
      heap.length = 0;
      this.#cancelled = 0;
      this.#disarmWake();
    } else if (this.#cancelled > COMPACT_FROM && this.#cancelled * 2 > heap.length) {
      this.#compact();
    }
  }

  readonly #wake = (): void => {
    this.#cancelWake = undefined;
    this.#wakeTime = Number.POSITIVE_INFINITY;
    const due = this.#host.seconds() + TIMER_SLACK_SECONDS;
    const lastSeq = this.#seq;
    for (;;) {
      const top = this.#top();
      if (top === undefined || top.getTime() > due || top.seq >= lastSeq) break;
      this.#removeAt(0);
      this.#host.run(top);
    }
    const next = this.#top();
    if (next !== undefined) this.#armWake(next.getTime());
  };

  /** The earliest pending call, once the cancelled ones above it are dropped. */
  #top(): DelayedCall | undefined {
    const heap = this.#heap;
    for (;;) {
      const top = heap[0];
      if (top === undefined || top.active()) return top;
      this.#removeAt(0);
      this.#cancelled--;
    }
  }

  /** Rebuilds the heap from its pending calls alone. */
  #compact(): void {
    const pending: DelayedCall[] = [];
    for (const call of this.#heap) {
      if (call.active()) pending.push(call);
      else call.slot = -1;
    }
    pending.sort(compare);
    pending.forEach((call, index) => {
      call.slot = index;
    });
    // A sorted array is a heap already.
    this.#heap = pending;
    this.#cancelled = 0;
  }

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

/** Below this many cancelled calls the heap is never rebuilt: they go as they reach the top. */
const COMPACT_FROM = 64;

function before(a: DelayedCall, b: DelayedCall): boolean {
  const at = a.getTime();
  const bt = b.getTime();
  return at < bt || (at === bt && a.seq < b.seq);
}

function compare(a: DelayedCall, b: DelayedCall): number {
  return a.getTime() - b.getTime() || a.seq - b.seq;
}

function isPending(call: DelayedCall): boolean {
  return call.active();
}
