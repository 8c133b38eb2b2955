// Standard output written as a run goes (--jsonl): waits when it is full, notices when it closes.

/** The part of a writable stream that streamed output uses (process.stdout, or a test's fake). */
export interface WritableOutput {
  write(chunk: string): boolean;
  /** True when the last write was buffered beyond the stream's high-water mark. */
  readonly writableNeedDrain?: boolean;
  on?(event: 'drain' | 'error' | 'close', listener: (error?: Error) => void): unknown;
  off?(event: 'drain' | 'error' | 'close', listener: (error?: Error) => void): unknown;
}

/**
 * Writes records to a stream that may be slow or go away. `hold()` gives a promise while the
 * stream's buffer is full (the reader of addresses waits on it, so records never pile up in
 * memory); when the stream fails or closes (its reader went away: `… | head -1`) nothing more is
 * written and `onGone` is called once.
 *
 * Lifecycle: new → (write | hold)* → dispose().
 */
export class StreamedOutput {
  readonly #stream: WritableOutput;
  #gone = false;
  #onGone: ((error: Error | undefined) => void) | undefined;
  #waiters: (() => void)[] = [];

  /** `onGone` gets the stream's error, or undefined when it closed without one. */
  constructor(stream: WritableOutput, onGone: (error: Error | undefined) => void) {
    this.#stream = stream;
    this.#onGone = onGone;
    stream.on?.('drain', this.#drained);
    stream.on?.('error', this.#failed);
    stream.on?.('close', this.#failed);
  }

  /** True once the stream has failed or closed. */
  get gone(): boolean {
    return this.#gone;
  }

  write(text: string): void {
    if (!this.#gone) this.#stream.write(text);
  }

  /** A promise that resolves when the stream can take more, or undefined if it can now. */
  readonly hold = (): Promise<void> | undefined => {
    if (this.#gone || this.#stream.writableNeedDrain !== true) return undefined;
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  };

  /** Stops listening to the stream and lets every waiter go. */
  dispose(): void {
    this.#stream.off?.('drain', this.#drained);
    this.#stream.off?.('error', this.#failed);
    this.#stream.off?.('close', this.#failed);
    this.#onGone = undefined;
    this.#drained();
  }

  readonly #drained = (): void => {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  };

  readonly #failed = (error?: Error): void => {
    if (this.#gone) return;
    this.#gone = true;
    const onGone = this.#onGone;
    this.#onGone = undefined;
    onGone?.(error instanceof Error ? error : undefined);
    this.#drained();
  };
}
