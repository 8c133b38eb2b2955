// A call scheduled for later, shared by the real reactor and the fake Clock.

import { AlreadyCalledError, AlreadyCancelledError } from './errors.js';
import type { IDelayedCall } from './interfaces.js';
import { checkDelay } from './limits.js';

/** What a DelayedCall needs from whoever runs it: the time, and a way to (un)arm it. */
export interface DelayedCallScheduler {
  /** Now, in seconds. */
  seconds(): number;
  /** Arms (or re-arms) the call to run at `call.getTime()`. */
  schedule(call: DelayedCall): void;
  /** Disarms the call. */
  unschedule(call: DelayedCall): void;
}

/**
 * Lifecycle: pending → called (the scheduler ran it) or pending → cancelled. A pending call can
 * be reset or delayed any number of times; a call that is no longer pending throws on every
 * change, as Twisted's does, so a forgotten timer shows up as an error instead of a silent no-op.
 */
export class DelayedCall implements IDelayedCall {
  /** Where the scheduler keeps this call (the reactor's heap index); -1 while it holds none. */
  slot = -1;
  /** The scheduler's arming order, for ties in time. */
  seq = 0;
  #time: number;
  #state: 'pending' | 'called' | 'cancelled' = 'pending';
  readonly #fn: () => void;
  readonly #scheduler: DelayedCallScheduler;
  /** The scheduled function's name, for reporting an exception it throws. */
  readonly name: string;

  constructor(
    timeSeconds: number,
    fn: () => void,
    scheduler: DelayedCallScheduler,
    name: string = fn.name,
  ) {
    this.#time = timeSeconds;
    this.#fn = fn;
    this.#scheduler = scheduler;
    this.name = name;
  }

  getTime(): number {
    return this.#time;
  }

  active(): boolean {
    return this.#state === 'pending';
  }

  cancel(): void {
    this.#assertPending();
    this.#state = 'cancelled';
    this.#scheduler.unschedule(this);
  }

  reset(seconds: number): void {
    this.#assertPending();
    this.#time = this.#scheduler.seconds() + checkDelay(seconds);
    this.#scheduler.schedule(this);
  }

  delay(seconds: number): void {
    this.#assertPending();
    this.#time += checkDelay(seconds);
    this.#scheduler.schedule(this);
  }

  /** Runs the call; for schedulers only. Exceptions propagate to the scheduler. */
  run(): void {
    if (this.#state !== 'pending') return;
    this.#state = 'called';
    this.#fn();
  }

  #assertPending(): void {
    if (this.#state === 'called') throw new AlreadyCalledError('the delayed call has already run');
    if (this.#state === 'cancelled') {
      throw new AlreadyCancelledError('the delayed call was cancelled');
    }
  }
}
