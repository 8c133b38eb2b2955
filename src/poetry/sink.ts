// Sinks: where a streamed poem's bytes go instead of memory, and a file sink that keeps memory flat.

import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

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
 *
 * With `retries`, a failed try is followed by another `start` on the same sink: it must start
 * over from nothing, dropping what the failed try wrote (the poem is refetched whole).
 */
export interface PoemSink {
  /**
   * True when `write` is done with its chunk by the time it returns (it writes it, or copies
   * it): the fetch may then hand it views of a read buffer it reuses, which saves an allocation
   * per read. A sink that keeps chunks for later must leave this unset.
   */
  readonly borrowsChunks?: boolean;
  start(listener: PoemSinkListener): void;
  write(chunk: Buffer): boolean;
  close(done: (error?: Error) => void): void;
  abort(reason: Error): void;
}

/**
 * Streams a poem into a file. Bytes go to `PATH.part`, which is renamed to `path` once the poem
 * is complete; a failure removes it. The file is opened at the first byte, so a fetch that fails
 * before then leaves nothing behind.
 *
 * Every file operation is synchronous: each chunk is written as it arrives, and `write` never
 * asks the fetch to pause, since nothing is held. The cost: a slow disk stalls the event loop,
 * and every other fetch with it, for as long as one write takes. Why not asynchronous writes:
 * a WriteStream makes a thread-pool round trip per chunk with the socket paused, so reading and
 * writing never overlap; batching the chunks that arrive meanwhile into one `writev` does
 * overlap them, but its thread competes with the reader and the server for the cores, and its
 * batches are copied long after they left the cache. Synchronous writes keep up with a plain
 * client writing the same way, and are the simplest to reason about: when a call returns, the
 * file is in the state the call says.
 */
export class FileSink implements PoemSink {
  /** Each chunk is written before `write` returns. */
  readonly borrowsChunks = true;
  readonly path: string;
  readonly partPath: string;
  #listener: PoemSinkListener | undefined = undefined;
  #fd: number | undefined = undefined;
  /** The part file exists (it was opened and not yet renamed or removed). */
  #made = false;
  #state: 'open' | 'closed' | 'aborted' = 'open';

  constructor(path: string) {
    this.path = path;
    this.partPath = `${path}.part`;
  }

  /** Starts afresh after an abort (a retry): the part file of the failed try is gone. */
  start(listener: PoemSinkListener): void {
    this.#listener = listener;
    if (this.#state === 'aborted') this.#state = 'open';
  }

  /** Writes the chunk at once; always true. A failure reaches `listener.fail` in a microtask. */
  write(chunk: Buffer): boolean {
    if (this.#state !== 'open') return true;
    try {
      this.#fd ??= this.#open();
      writeAll(this.#fd, chunk);
    } catch (error) {
      this.#discard();
      // Not from inside write: the fetch is in the middle of handling this chunk.
      queueMicrotask(() => this.#listener?.fail(error as Error));
    }
    return true;
  }

  /** Closes and renames the file before calling `done`, synchronously; abort after it is a no-op. */
  close(done: (error?: Error) => void): void {
    if (this.#state !== 'open') {
      done(new Error(`cannot close a file sink that is ${this.#state}`));
      return;
    }
    try {
      // A poem of no bytes still makes an (empty) file.
      const fd = this.#fd ?? this.#open();
      this.#fd = undefined;
      closeSync(fd);
      renameSync(this.partPath, this.path);
      this.#made = false;
    } catch (error) {
      this.#discard();
      done(error as Error);
      return;
    }
    this.#state = 'closed';
    done();
  }

  abort(_reason: Error): void {
    if (this.#state === 'open') this.#discard();
  }

  /** Aborted or failed: closes the file, if open, and removes the part file. */
  #discard(): void {
    this.#state = 'aborted';
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      if (fd !== undefined) closeSync(fd);
    } catch {
      // The descriptor is released even when close reports an error; the removal still matters.
    }
    if (!this.#made) return;
    this.#made = false;
    try {
      rmSync(this.partPath, { force: true });
    } catch {
      // Nothing more can be done; the failure being reported is the one that matters.
    }
  }

  #open(): number {
    const fd = openSync(this.partPath, 'w');
    this.#made = true;
    return fd;
  }
}

/** Writes all of `chunk`: a short write is retried, so a disk that refuses says why. */
function writeAll(fd: number, chunk: Buffer): void {
  let offset = 0;
  while (offset < chunk.length) {
    const written = writeSync(fd, chunk, offset);
    if (written === 0) throw new Error('the file accepted no bytes');
    offset += written;
  }
}
