// Where a served poem's bytes come from: one Buffer shared by every reader, or a file read in
// bounded blocks so that a poem of any size costs each reader at most one block of memory.

import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { describeSystemError, systemErrorCode } from '../internet/errors.js';
import { PoemFileError } from './errors.js';

/**
 * One reader's position in a poem. `take` hands out bytes that are at hand without waiting;
 * when it returns an empty Buffer before the end, `fill` fetches the next block and calls back.
 *
 * Lifecycle: take* → (fill → callback → take*)* → close. After `close` a pending `fill` never
 * calls back, so a reader that has gone away is never written to.
 */
export interface PoemCursor {
  /** Up to `maxBytes` of the poem's next bytes, fewer when a block ends; empty when none are at hand. */
  take(maxBytes: number): Buffer;
  /** Fetches the next block, then calls `callback` once: with nothing, or with a PoemFileError. */
  fill(callback: (error?: PoemFileError) => void): void;
  /** Drops the cursor's block; a pending fill will not call back. */
  close(): void;
}

/** A poem to serve: its length, and a cursor per reader. */
export interface PoemSource {
  /** The poem's length in bytes, fixed when the source was made. */
  readonly byteLength: number;
  /**
   * A cursor at the start of the poem. `blockBytes` is how much a file-backed source may read
   * (and hold) at a time for this reader. `chunkBytes`, when given, is the size most `take`
   * calls will ask for, from offsets that are multiples of it: a source may keep those views.
   */
  openCursor(blockBytes: number, chunkBytes?: number): PoemCursor;
  /** Releases what the source holds open (its file descriptor). Cursors must be closed first. */
  close(): Promise<void>;
}

/** Whole-chunk views are kept for poems of at most this many chunks (a few hundred KiB of views). */
const MAX_CACHED_CHUNKS = 4096;

/**
 * A poem held in memory. Every reader's chunks are views of the one Buffer: nothing is copied,
 * and a whole chunk is the same view object for every reader, so a paced send allocates nothing.
 */
export class BufferPoemSource implements PoemSource {
  readonly poem: Buffer;
  #chunkBytes = 0;
  #chunks: (Buffer | undefined)[] = [];

  constructor(poem: Uint8Array | string) {
    this.poem =
      typeof poem === 'string'
        ? Buffer.from(poem, 'utf8')
        : Buffer.from(poem.buffer, poem.byteOffset, poem.byteLength);
  }

  get byteLength(): number {
    return this.poem.length;
  }

  openCursor(_blockBytes?: number, chunkBytes = 0): PoemCursor {
    if (
      chunkBytes !== this.#chunkBytes &&
      chunkBytes > 0 &&
      this.poem.length / chunkBytes <= MAX_CACHED_CHUNKS
    ) {
      this.#chunkBytes = chunkBytes;
      this.#chunks = [];
    }
    return new BufferCursor(this);
  }

  /** The bytes from `start`, at most `maxBytes` of them, as a view of the poem. */
  view(start: number, maxBytes: number): Buffer {
    const chunkBytes = this.#chunkBytes;
    if (maxBytes === chunkBytes && start % chunkBytes === 0) {
      const index = start / chunkBytes;
      let chunk = this.#chunks[index];
      if (chunk === undefined) {
        chunk = this.poem.subarray(start, start + chunkBytes);
        this.#chunks[index] = chunk;
      }
      return chunk;
    }
    return this.poem.subarray(start, start + maxBytes);
  }

  async close(): Promise<void> {}
}

class BufferCursor implements PoemCursor {
  readonly #source: BufferPoemSource;
  #offset = 0;

  constructor(source: BufferPoemSource) {
    this.#source = source;
  }

  take(maxBytes: number): Buffer {
    const chunk = this.#source.view(this.#offset, maxBytes);
    this.#offset += chunk.length;
    return chunk;
  }

  fill(callback: (error?: PoemFileError) => void): void {
    // Everything is always at hand; a fill at the end has nothing to fetch.
    callback();
  }

  close(): void {}
}

/** Positional reads from a file; the seam that lets tests decide when a disk read completes. */
export interface BlockReader {
  /** Up to `length` bytes from `position`; fewer only at the end of the file. */
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/**
 * A poem read from a file as readers need it, through one shared descriptor with positional
 * reads (so ten thousand readers hold one descriptor, not ten thousand). The poem is the
 * file's first `byteLength` bytes: growth after opening is not served, and a file that shrinks
 * under a reader fails that reader's read rather than ending its poem early as if complete.
 */
export class FilePoemSource implements PoemSource {
  readonly byteLength: number;
  /** The path, for messages. */
  readonly path: string;
  readonly #reader: BlockReader;

  constructor(reader: BlockReader, byteLength: number, path: string) {
    this.#reader = reader;
    this.byteLength = byteLength;
    this.path = path;
  }

  openCursor(blockBytes: number): PoemCursor {
    return new FileCursor(this.#reader, this.byteLength, Math.max(1, blockBytes), this.path);
  }

  close(): Promise<void> {
    return this.#reader.close();
  }
}

class FileCursor implements PoemCursor {
  readonly #reader: BlockReader;
  readonly #byteLength: number;
  readonly #blockBytes: number;
  readonly #path: string;
  #block: Buffer = Buffer.alloc(0);
  #blockOffset = 0;
  /** The file offset of the byte after the current block. */
  #position = 0;
  #closed = false;

  constructor(reader: BlockReader, byteLength: number, blockBytes: number, path: string) {
    this.#reader = reader;
    this.#byteLength = byteLength;
    this.#blockBytes = blockBytes;
    this.#path = path;
  }

  take(maxBytes: number): Buffer {
    const start = this.#blockOffset;
    const end = Math.min(this.#block.length, start + maxBytes);
    this.#blockOffset = end;
    return this.#block.subarray(start, end);
  }

  fill(callback: (error?: PoemFileError) => void): void {
    const length = Math.min(this.#blockBytes, this.#byteLength - this.#position);
    if (length <= 0) {
      callback();
      return;
    }
    const path = this.#path;
    this.#reader.read(this.#position, length).then(
      (data) => {
        if (this.#closed) return;
        if (data.length === 0) {
          callback(new PoemFileError(path, `${path} got shorter while it was being served`));
          return;
        }
        this.#block = data;
        this.#blockOffset = 0;
        this.#position += data.length;
        callback();
      },
      (error: unknown) => {
        if (this.#closed) return;
        callback(
          new PoemFileError(path, `cannot read ${path}: ${describeSystemError(error)}`, {
            cause: error,
          }),
        );
      },
    );
  }

  close(): void {
    this.#closed = true;
    this.#block = Buffer.alloc(0);
  }
}

/** A BlockReader over an open FileHandle. */
export class FileHandleReader implements BlockReader {
  readonly #handle: FileHandle;
  #closing: Promise<void> | undefined = undefined;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  async read(position: number, length: number): Promise<Buffer> {
    // A fresh Buffer per block: the transport keeps a reference until the bytes are sent.
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.#handle.read(buffer, 0, length, position);
    return bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
  }

  close(): Promise<void> {
    // FileHandle.close waits for reads in flight, so closing while readers finish is safe.
    this.#closing ??= this.#handle.close();
    return this.#closing;
  }
}

/** Files up to this size are read into memory once and shared; larger ones are read in blocks. */
export const DEFAULT_IN_MEMORY_LIMIT_BYTES = 8 * 1024 * 1024;

export interface OpenPoemFileOptions {
  /** Files up to this many bytes are held in memory. Default 8 MiB. */
  inMemoryLimitBytes?: number;
}

/**
 * Opens a poem file to serve: small files are read into memory, larger ones are served from
 * disk through one descriptor. Rejects with PoemFileError for a missing, unreadable or
 * non-regular file (a directory, a FIFO, a device), before any reader connects.
 */
export async function openPoemFile(
  path: string,
  options: OpenPoemFileOptions = {},
): Promise<PoemSource> {
  const limit = options.inMemoryLimitBytes ?? DEFAULT_IN_MEMORY_LIMIT_BYTES;
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw openError(path, error);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new PoemFileError(path, `${path} is a directory, not a poem`);
    if (!stat.isFile()) throw new PoemFileError(path, `${path} is not a regular file`);
    if (stat.size <= limit) {
      const poem = await handle.readFile();
      await handle.close();
      return new BufferPoemSource(poem);
    }
    return new FilePoemSource(new FileHandleReader(handle), stat.size, path);
  } catch (error) {
    await handle.close().catch(() => {});
    if (error instanceof PoemFileError) throw error;
    throw new PoemFileError(path, `cannot read ${path}: ${describeSystemError(error)}`, {
      cause: error,
    });
  }
}

function openError(path: string, error: unknown): PoemFileError {
  const options = { cause: error };
  switch (systemErrorCode(error)) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new PoemFileError(path, `no such file: ${path}`, options);
    case 'EISDIR':
      return new PoemFileError(path, `${path} is a directory, not a poem`, options);
    case 'EACCES':
    case 'EPERM':
      return new PoemFileError(path, `cannot read ${path}: permission denied`, options);
    default:
      return new PoemFileError(path, `cannot open ${path}: ${describeSystemError(error)}`, options);
  }
}
