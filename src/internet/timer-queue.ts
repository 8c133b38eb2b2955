// The reactor's pending calls: a min-heap woken by a single timer, as Twisted's reactor keeps them.

import type { DelayedCall, DelayedCallScheduler } from './delayed-call.js';

/** One arming of a call; a reset or delay arms it again with a new entry. */
interface Entry {
  readonly call: DelayedCall;
  readonly time: number;
  /** Arming order: ties run in the order they were scheduled. */
  readonly seq: number;
  dead: boolean;
}

/** What the queue needs from the reactor: the time, a way to be woken, and where errors go. */
export interface TimerQueueHost {
  seconds(): number;
  /** Wakes the queue (calls `wake`) once `seconds` have passed; returns a way to call it off. */
  wakeAfter(seconds: number, wake: () => void): () => void;
  /** Runs one due call, reporting what it throws. */
  run(call: DelayedCall): void;
}

/** A call due this close to now runs now: timers may fire a hair early on a real clock. */
const DUE_SLACK_SECONDS = 0.001;

/**
 * Pending calls in a min-heap by time, with one wake-up armed for the earliest. Scheduling costs
 * a push; cancelling only marks the entry, which is dropped when it reaches the top, or with all
 * the others once the dead outnumber the live. Connection timeouts, nearly all cancelled long
 * before they are due, so cost no timer of their own.
 *
 * A wake runs the calls that were due when it began, in time order; calls they schedule for now
 * wait for the next wake, so a call that keeps rescheduling itself cannot starve the network.
 */
export class TimerQueue implements DelayedCallScheduler {
  readonly #host: TimerQueueHost;
  readonly #heap: Entry[] = [];
  readonly #entries = new Map<DelayedCall, Entry>();
  #dead = 0;
  #seq = 0;
  #wakeTime = Number.POSITIVE_INFINITY;
  #cancelWake: (() => void) | undefined = undefined;

  constructor(host: TimerQueueHost) {
    this.#host = host;
  }

  seconds(): number {
    return this.#host.seconds();
  }

  /** The calls still pending. */
  pending(): DelayedCall[] {
    return [...this.#entries.keys()];
  }

  schedule(call: DelayedCall): void {
    this.unschedule(call);
    const entry: Entry = { call, time: call.getTime(), seq: this.#seq++, dead: false };
    this.#entries.set(call, entry);
    this.#push(entry);
    if (entry.time < this.#wakeTime) this.#armWake(entry.time);
  }

  unschedule(call: DelayedCall): void {
    const entry = this.#entries.get(call);
    if (entry === undefined) return;
    this.#entries.delete(call);
    entry.dead = true;
    this.#dead++;
    if (this.#entries.size === 0) {
      // Nothing left to run: no wake-up may hold the process open for a cancelled timeout.
      this.#disarmWake();
      this.#heap.length = 0;
      this.#dead = 0;
    } else if (this.#dead > 1024 && this.#dead * 2 > this.#heap.length) {
      this.#compact();
    }
  }

  readonly #wake = (): void => {
    this.#cancelWake = undefined;
    this.#wakeTime = Number.POSITIVE_INFINITY;
    const due = this.#host.seconds() + DUE_SLACK_SECONDS;
    const lastSeq = this.#seq;
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined) break;
      if (top.dead) {
        this.#pop();
        this.#dead--;
        continue;
      }
      if (top.time > due || top.seq >= lastSeq) break;
      this.#pop();
      this.#entries.delete(top.call);
      this.#host.run(top.call);
    }
    const next = this.#nextLive();
    if (next !== undefined) this.#armWake(next.time);
  };

  #nextLive(): Entry | undefined {
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined || !top.dead) return top;
      this.#pop();
      this.#dead--;
    }
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

  #compact(): void {
    const live = this.#heap.filter((entry) => !entry.dead);
    this.#heap.length = 0;
    this.#dead = 0;
    for (const entry of live) this.#push(entry);
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    let index = heap.push(entry) - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, last)) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = last;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
