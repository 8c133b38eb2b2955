// Sinks: where a streamed poem's bytes go instead of memory, and a file sink that keeps memory flat.

import { createWriteStream, rename, rm, type WriteStream } from 'node:fs';

/** What a sink tells the fetch that feeds it. */
export interface PoemSinkListener {
  /** There is room again after `write` returned false: the fetch reads from the network again. */
  resume(): void;
  /** The sink broke (a full disk, a file that cannot be made): the fetch fails. */
  fail(error: Error): void;
}

/**
 * Where a poem's bytes go when it is streamed rather than held in memory. The fetch drives it:
 *
 *   start(listener) → write(chunk)* → close(done)     the server closed cleanly
 *   start(listener) → write(chunk)* → abort(reason)   the fetch failed, even during close()
 *
 * `start` comes when the connection is made; a fetch that never connects never touches its
 * sink. `write` returns false when the sink is full: the fetch pauses the transport until the
 * sink calls `listener.resume()`, so a slow disk slows the network down instead of memory
 * growing. The poem counts as received only once `close` reports success, so a sink should make
 * the poem visible (for a file: give it its final name) only then, and `abort` should leave
 * nothing that looks complete.
 */
export interface PoemSink {
  start(listener: PoemSinkListener): void;
  write(chunk: Buffer): boolean;
  close(done: (error?: Error) => void): void;
  abort(reason: Error): void;
}

/** Bytes a file sink buffers before it asks the fetch to pause. */
const FILE_HIGH_WATER_MARK_BYTES = 64 * 1024;

/**
 * Streams a poem into a file. Bytes go to `PATH.part`, which is renamed to `path` once the poem
 * is complete; a failed fetch removes it. The file is opened at the first byte, so a fetch that
 * fails before then leaves nothing behind.
 */
export class FileSink implements PoemSink {
  readonly path: string;
  readonly partPath: string;
  #listener: PoemSinkListener | undefined = undefined;
  #stream: WriteStream | undefined = undefined;
  #state: 'open' | 'closing' | 'closed' | 'aborted' = 'open';

  constructor(path: string) {
    this.path = path;
    this.partPath = `${path}.part`;
  }

  start(listener: PoemSinkListener): void {
    this.#listener = listener;
  }

  write(chunk: Buffer): boolean {
    if (this.#state !== 'open') return true;
    this.#stream ??= this.#open();
    return this.#stream.write(chunk);
  }

  close(done: (error?: Error) => void): void {
    if (this.#state !== 'open') {
      done(new Error(`cannot close a file sink that is ${this.#state}`));
      return;
    }
    this.#state = 'closing';
    const stream = this.#stream ?? this.#open();
    stream.end((endError?: Error | null) => {
      if (endError) {
        this.#finishAbort();
        done(endError);
        return;
      }
      rename(this.partPath, this.path, (renameError) => {
        if (this.#state === 'aborted') {
          // Aborted while closing (a timeout in the last moment): the poem failed after all.
          rm(renameError ? this.partPath : this.path, { force: true }, () => {});
          done(new Error('the file sink was aborted while closing'));
          return;
        }
        if (renameError) {
          this.#state = 'aborted';
          rm(this.partPath, { force: true }, () => {});
          done(renameError);
          return;
        }
        this.#state = 'closed';
        done();
      });
    });
  }

  abort(_reason: Error): void {
    const state = this.#state;
    if (state === 'aborted' || state === 'closed') return;
    this.#state = 'aborted';
    // While closing, close()'s own callback removes whichever file exists.
    if (state === 'open') this.#finishAbort();
  }

  /** Destroys the stream and removes the part file once the descriptor is closed. */
  #finishAbort(): void {
    this.#state = 'aborted';
    const stream = this.#stream;
    if (stream === undefined) return;
    // Removing before the (possibly still pending) open finishes would leave the file behind.
    stream.once('close', () => rm(this.partPath, { force: true }, () => {}));
    stream.destroy();
  }

  #open(): WriteStream {
    const stream = createWriteStream(this.partPath, {
      flags: 'w',
      highWaterMark: FILE_HIGH_WATER_MARK_BYTES,
    });
    stream.on('drain', () => {
      if (this.#state === 'open') this.#listener?.resume();
    });
    stream.on('error', (error) => {
      if (this.#state !== 'open') return; // close() and abort() handle their own errors
      this.#finishAbort();
      this.#listener?.fail(error);
    });
    return stream;
  }
}
