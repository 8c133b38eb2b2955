// A PoemSink that keeps what it is given in memory, for driving streaming fetches in unit tests.

import type { PoemSink, PoemSinkListener } from '../../src/poetry/sink.js';

/**
 * Records the sink lifecycle: `state` moves new → open (start) → closed (close) or aborted.
 * `hasRoom = false` makes `write` report a full sink; `closeError` makes `close` fail; with
 * `holdClose`, `close` waits until the test calls `finishClose()`.
 */
export class MemorySink implements PoemSink {
  readonly chunks: Buffer[] = [];
  state: 'new' | 'open' | 'closing' | 'closed' | 'aborted' = 'new';
  abortReason: Error | undefined = undefined;
  hasRoom = true;
  closeError: Error | undefined = undefined;
  holdClose = false;
  listener: PoemSinkListener | undefined = undefined;
  #pendingClose: ((error?: Error) => void) | undefined = undefined;

  start(listener: PoemSinkListener): void {
    this.listener = listener;
    this.state = 'open';
  }

  write(chunk: Buffer): boolean {
    this.chunks.push(Buffer.from(chunk));
    return this.hasRoom;
  }

  close(done: (error?: Error) => void): void {
    this.state = 'closing';
    if (this.holdClose) {
      this.#pendingClose = done;
      return;
    }
    this.finish(done);
  }

  /** Completes a close held by `holdClose`. */
  finishClose(): void {
    const done = this.#pendingClose;
    this.#pendingClose = undefined;
    if (done !== undefined) this.finish(done);
  }

  abort(reason: Error): void {
    this.state = 'aborted';
    this.abortReason = reason;
  }

  /** Every byte written, joined. */
  value(): Buffer {
    return Buffer.concat(this.chunks);
  }

  private finish(done: (error?: Error) => void): void {
    if (this.closeError !== undefined) {
      this.state = 'aborted';
      done(this.closeError);
      return;
    }
    if (this.state === 'closing') this.state = 'closed';
    done();
  }
}
