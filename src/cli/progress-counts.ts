// The live display of a run too long to show line by line: one line of counts, redrawn in place.

import type { IDelayedCall } from '../internet/interfaces.js';
import type { ProgressOptions } from './progress.js';
import { formatByteCount } from './terminal.js';

/** What the line shows, read at each frame. */
export interface RunCounts {
  poems: number;
  failures: number;
  bytes: number;
  running: number;
}

/** Moves to the start of the line and clears it. */
const CLEAR_LINE = '\r\x1b[K';

/**
 * Shows a run's counts on one line (`1,234 done, 5 failed, 1000 running, 1,186 bytes`), redrawn every
 * `intervalSeconds` from `counts()`. It keeps nothing per address, so it suits a list of any
 * length, where `ProgressRenderer` keeps a line of state for each.
 *
 * Lifecycle: new → render() (then a frame per interval, on the clock) → stop() erases the line.
 * Write nothing else to the stream in between.
 */
export class CountsProgress {
  readonly #counts: () => RunCounts;
  readonly #options: ProgressOptions;
  readonly #intervalSeconds: number;
  #timer: IDelayedCall | undefined = undefined;
  #stopped = false;
  /** How many frames have been drawn; for tests only. */
  frames = 0;

  constructor(counts: () => RunCounts, options: ProgressOptions) {
    this.#counts = counts;
    this.#options = options;
    this.#intervalSeconds = options.intervalSeconds ?? 0.1;
  }

  /** Draws a frame now, and the next one an interval later. */
  render(): void {
    if (this.#stopped) return;
    this.#cancelTimer();
    this.frames++;
    this.#options.stream.write(`${CLEAR_LINE}${this.line()}`);
    this.#timer = this.#options.clock.callLater(this.#intervalSeconds, this.#onTimer);
  }

  /** Erases the line and stops drawing. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#cancelTimer();
    if (this.frames > 0) this.#options.stream.write(CLEAR_LINE);
  }

  /** The next frame's text, cut to the terminal's width so it never wraps; for tests too. */
  line(): string {
    const { poems, failures, bytes, running } = this.#counts();
    const done = `${(poems + failures).toLocaleString('en-US')} done`;
    const failed = failures > 0 ? `${failures.toLocaleString('en-US')} failed` : '';
    const parts = [done, failed, `${running} running`, formatByteCount(bytes)];
    let text = parts.filter((part) => part !== '').join(', ');
    const columns = Math.max(20, (this.#options.stream.columns ?? 80) - 1);
    // The plain text is cut first, so colour codes never count towards the width.
    if (text.length > columns) text = text.slice(0, columns);
    const start = done.length + 2;
    if (failed === '' || start >= text.length) return text;
    const end = Math.min(start + failed.length, text.length);
    const red = this.#options.colors.red(text.slice(start, end));
    return `${text.slice(0, start)}${red}${text.slice(end)}`;
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.render();
  };

  #cancelTimer(): void {
    const timer = this.#timer;
    this.#timer = undefined;
    if (timer?.active()) timer.cancel();
  }
}
