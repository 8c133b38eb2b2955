// Chunk timing shared by a server's readers: those due in the same millisecond share one call
// of the reactor's callLater, so the per-chunk path allocates no timer of its own.

import type { ErrorReporter, IDelayedCall, IReactorTime } from '../internet/interfaces.js';

/** Something the pacer wakes when its time comes. */
export interface Paced {
  /** Its time has come; `slot` is what `schedule` returned, to tell a stale wake-up apart. */
  chunkDue(slot: number): void;
}

interface Slot {
  readonly due: Paced[];
  readonly call: IDelayedCall;
}

/**
 * Times are grouped into slots of one millisecond, each slot waking at its start, so a wake-up
 * comes up to 1 ms before the time asked for (never after, beyond the event loop's own
 * lateness). With 5,000 readers on a 0.1 s pace that is one reactor call per millisecond
 * instead of fifty: a timer per chunk would be most of the server's per-chunk cost and garbage.
 *
 * Lifecycle of one wake-up: schedule → (cancel | chunkDue(slot) once). A slot's reactor call is
 * cancelled when its last entry is, so an idle server holds no pending call.
 */
export class Pacer {
  /** How much earlier than asked a wake-up may come. */
  static readonly SLOT_SECONDS = 0.001;
  readonly #clock: IReactorTime;
  readonly #reportError: ErrorReporter;
  readonly #slots = new Map<number, Slot>();

  /** `reportError` hears an exception one wake-up throws; the others in its slot still run. */
  constructor(clock: IReactorTime, reportError: ErrorReporter) {
    this.#clock = clock;
    this.#reportError = reportError;
  }

  /** Wakes `paced` at about `atSeconds` (reactor time); returns the slot, for `cancel`. */
  schedule(paced: Paced, atSeconds: number): number {
    // The tiny addend keeps a time computed as 0.49999999999999994 in the 500 ms slot.
    const slot = Math.floor(atSeconds * 1000 + 1e-6);
    const existing = this.#slots.get(slot);
    // A slot whose call is no longer active was cancelled under us (reactor.stop()): replace it.
    if (existing?.call.active()) {
      existing.due.push(paced);
      return slot;
    }
    const wait = slot / 1000 - this.#clock.seconds();
    const call = this.#clock.callLater(Math.max(wait, 0), this.#run, slot);
    this.#slots.set(slot, { due: [paced], call });
    return slot;
  }

  /** Forgets a wake-up not yet run. */
  cancel(paced: Paced, slot: number): void {
    const entry = this.#slots.get(slot);
    if (entry === undefined) return; // already running, or run
    const { due } = entry;
    const index = due.indexOf(paced);
    if (index === -1) return;
    // Order within a slot does not matter: every entry is due at the same millisecond.
    due[index] = due[due.length - 1]!;
    due.pop();
    if (due.length === 0) {
      this.#slots.delete(slot);
      if (entry.call.active()) entry.call.cancel();
    }
  }

  /** Wake-ups pending, in all slots; for tests only. */
  get pending(): number {
    let count = 0;
    for (const { due } of this.#slots.values()) count += due.length;
    return count;
  }

  readonly #run = (slot: number): void => {
    const entry = this.#slots.get(slot);
    if (entry === undefined) return;
    this.#slots.delete(slot);
    for (const paced of entry.due) {
      try {
        paced.chunkDue(slot);
      } catch (error) {
        this.#reportError(error, `${paced.constructor.name}.chunkDue`);
      }
    }
  };
}
