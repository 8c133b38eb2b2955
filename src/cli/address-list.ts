// get-poetry's --from lists: one address a line, from a file or standard input, read as a stream.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { type Endpoint, parseAddress } from '../poetry/address.js';
import { InvalidAddressError } from '../poetry/errors.js';
import { UsageError } from './command.js';

/**
 * The longest line read, in bytes. An address is at most a few hundred bytes; a longer line is
 * a wrong file (a binary, one huge line), and refusing it keeps memory bounded.
 */
export const MAX_LINE_BYTES = 8192;

/** How `-` and the standard input are named in messages. */
export const STDIN_NAME = 'stdin';

const NEWLINE = 0x0a;

/**
 * Splits bytes into lines and lines into addresses: blank lines and `#` comments (a whole line,
 * or the rest of one after an address) are skipped, CRLF is taken as LF, and the last line
 * needs no newline. Fed chunks as they come, in any sizes; keeps only an unfinished line.
 *
 * Lifecycle: push(chunk)* → end(). Each returns the addresses its bytes completed; a bad line
 * throws a UsageError naming `name:LINE`.
 */
export class AddressLineReader {
  readonly name: string;
  /** Lines read so far, blank and comment lines included (the number of the last one). */
  line = 0;
  /** The start of a line not ended yet, from earlier chunks. */
  #carry: Buffer | undefined = undefined;

  /** `name` is the file as messages name it. */
  constructor(name: string) {
    this.name = name;
  }

  /** The addresses of the lines `chunk` ends, in order. */
  push(chunk: Buffer): Endpoint[] {
    const addresses: Endpoint[] = [];
    let start = 0;
    let newline = chunk.indexOf(NEWLINE);
    if (this.#carry !== undefined && newline !== -1) {
      // Only the line split across chunks is copied; the rest is parsed where it lies.
      const line = Buffer.concat([this.#carry, chunk.subarray(0, newline)]);
      this.#carry = undefined;
      this.#lineEnded(line, 0, line.length, addresses);
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    while (newline !== -1) {
      this.#lineEnded(chunk, start, newline, addresses);
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.#carry = this.#carry === undefined ? rest : Buffer.concat([this.#carry, rest]);
      if (this.#carry.length > MAX_LINE_BYTES) {
        throw this.#badLine(this.line + 1, `the line is longer than ${MAX_LINE_BYTES} bytes`);
      }
    }
    return addresses;
  }

  /** The address of a last line with no newline after it, if there is one. */
  end(): Endpoint[] {
    const carry = this.#carry;
    this.#carry = undefined;
    const addresses: Endpoint[] = [];
    if (carry !== undefined) this.#lineEnded(carry, 0, carry.length, addresses);
    return addresses;
  }

  #lineEnded(bytes: Buffer, start: number, end: number, addresses: Endpoint[]): void {
    const line = ++this.line;
    if (end - start > MAX_LINE_BYTES) {
      throw this.#badLine(line, `the line is longer than ${MAX_LINE_BYTES} bytes`);
    }
    let text = bytes.toString('utf8', start, end);
    const hash = text.indexOf('#');
    if (hash !== -1) text = text.slice(0, hash);
    // trim() takes the CR of a CRLF line with the spaces and tabs around the address.
    text = text.trim();
    if (text === '') return;
    try {
      addresses.push(parseAddress(text));
    } catch (error) {
      if (error instanceof InvalidAddressError) throw this.#badLine(line, error.message);
      throw error;
    }
  }

  #badLine(line: number, problem: string): UsageError {
    return new UsageError(`${this.name}:${line}: ${problem}`);
  }
}

export interface AddressStreamOptions {
  /** Addresses that come before the list's (the command's arguments). */
  first?: readonly Endpoint[];
  /**
   * Asked before each address is given: a promise makes the reader wait for it (the output
   * is full, say), so what is read never runs ahead of what can be written.
   */
  hold?: () => Promise<void> | undefined;
}

/**
 * The addresses of a list's lines as an async iterator, read chunk by chunk: never more than a
 * chunk's worth of addresses is held. `next()` throws a UsageError naming `name:LINE` for a bad
 * line, and one naming the file when it cannot be read; `return()` stops reading, and destroys
 * a Readable source (a file, a pipe, standard input) at once, even while a `next()` waits on it.
 * One `next()` at a time, as `for await` and `PoetryQueue.addFrom` call it.
 *
 * A hand-made iterator rather than an async generator: an address taken from the buffer costs
 * one resolved promise, where a generator's `yield` costs several, which shows at a million.
 */
export class AddressStream implements AsyncIterableIterator<Endpoint> {
  readonly #reader: AddressLineReader;
  readonly #chunks: AsyncIterator<Buffer | string>;
  /**
   * The source when it is a Readable. Its iterator's `return()` waits behind a pending `next()`,
   * so a quiet pipe would stay open (and the process alive) until its writer wrote again;
   * destroying the stream ends the wait instead.
   */
  readonly #readable: Readable | undefined;
  readonly #hold: (() => Promise<void> | undefined) | undefined;
  #buffer: readonly Endpoint[];
  #head = 0;
  #ended = false;
  /** `return()` was called: a read failing after it is the close, not an error. */
  #closed = false;

  constructor(
    chunks: AsyncIterable<Buffer | string>,
    name: string,
    options: AddressStreamOptions = {},
  ) {
    this.#reader = new AddressLineReader(name);
    this.#chunks = chunks[Symbol.asyncIterator]();
    this.#readable = chunks instanceof Readable ? chunks : undefined;
    this.#hold = options.hold;
    this.#buffer = options.first ?? [];
  }

  /** Lines read so far, for messages. */
  get line(): number {
    return this.#reader.line;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Endpoint, undefined>> {
    const held = this.#hold?.();
    if (held !== undefined) return held.then(() => this.#next());
    return this.#next();
  }

  #next(): Promise<IteratorResult<Endpoint, undefined>> {
    if (this.#head < this.#buffer.length) {
      return Promise.resolve({ done: false, value: this.#buffer[this.#head++]! });
    }
    return this.#fill();
  }

  async #fill(): Promise<IteratorResult<Endpoint, undefined>> {
    while (!this.#ended) {
      let step: IteratorResult<Buffer | string>;
      try {
        step = await this.#chunks.next();
        if (step.done === true) {
          this.#ended = true;
          this.#buffer = this.#reader.end();
        } else {
          const chunk = step.value;
          this.#buffer = this.#reader.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        }
      } catch (error) {
        // The pending read of a destroyed stream rejects (ERR_STREAM_PREMATURE_CLOSE).
        if (this.#closed) return { done: true, value: undefined };
        await this.return();
        throw asListError(error, this.#reader.name);
      }
      this.#head = 0;
      if (this.#buffer.length > 0) return { done: false, value: this.#buffer[this.#head++]! };
    }
    return { done: true, value: undefined };
  }

  async return(): Promise<IteratorResult<Endpoint, undefined>> {
    this.#buffer = [];
    this.#head = 0;
    this.#closed = true;
    if (!this.#ended) {
      this.#ended = true;
      if (this.#readable !== undefined) this.#readable.destroy();
      else await this.#chunks.return?.();
    }
    return { done: true, value: undefined };
  }
}

/** Reads a whole list without keeping its addresses; resolves to how many it has. */
export async function countAddressList(
  chunks: AsyncIterable<Buffer | string>,
  name: string,
  /** Called with each address, in order (to keep a few labels, say). */
  onAddress?: (address: Endpoint) => void,
): Promise<number> {
  const reader = new AddressLineReader(name);
  let count = 0;
  const take = (addresses: Endpoint[]): void => {
    count += addresses.length;
    if (onAddress !== undefined) for (const address of addresses) onAddress(address);
  };
  try {
    for await (const chunk of chunks) {
      take(reader.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    }
  } catch (error) {
    throw asListError(error, name);
  }
  take(reader.end());
  return count;
}

/** A list given with --from: where it is, and how to read it. */
export interface AddressList {
  /** The file as messages name it (`stdin` for `-`). */
  readonly name: string;
  /** A regular file can be read twice (once to check it, once to fetch); a pipe cannot. */
  readonly rereadable: boolean;
  /** A fresh stream of its bytes; for standard input, the one stream there is. */
  open(): AsyncIterable<Buffer | string>;
}

/**
 * The list `--from PATH` names (`-`: `stdin`). Throws a UsageError, in one line naming the
 * file, when it does not exist or cannot be read.
 */
export async function openAddressList(
  path: string,
  stdin: () => AsyncIterable<Buffer | string>,
): Promise<AddressList> {
  if (path === '-') return { name: STDIN_NAME, rereadable: false, open: stdin };
  let regular: boolean;
  try {
    const stats = await stat(path);
    if (stats.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    regular = stats.isFile();
  } catch (error) {
    throw asListError(error, path);
  }
  return {
    name: path,
    rereadable: regular,
    open: () => createReadStream(path, { highWaterMark: 64 * 1024 }),
  };
}

const fileProblems: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
};

/** A UsageError for a list that cannot be read; a bad line's UsageError as it is. */
function asListError(error: unknown, name: string): Error {
  if (error instanceof UsageError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const problem =
    typeof code === 'string' && code in fileProblems
      ? fileProblems[code]!
      : error instanceof Error
        ? error.message
        : String(error);
  return new UsageError(`${name}: cannot read the address list: ${problem}`, { cause: error });
}
