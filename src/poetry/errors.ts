// The poetry client's failures: each a subclass of the foundation's tree, with a code and address.

import { type PoetryErrorOptions, PoetryNowError, TimeoutError } from '../internet/errors.js';

/** A connection was made, but no complete poem came of it. */
export class PoemError extends PoetryNowError {
  override readonly code: string = 'ERR_POEM';
}

/**
 * The connection ended abnormally (reset, broken) before the server closed it cleanly, so what
 * arrived may be only part of the poem. `cause` is the `ConnectionLost` that ended it.
 */
export class PoemIncompleteError extends PoemError {
  override readonly code: string = 'ERR_POEM_INCOMPLETE';
  /** The bytes that did arrive; empty when the poem was being streamed to a sink. */
  readonly partial: Buffer;
  /** How many bytes arrived before the connection was lost (also counts streamed bytes). */
  readonly bytesReceived: number;

  constructor(
    message: string,
    options: PoetryErrorOptions & { partial?: Buffer; bytesReceived?: number } = {},
  ) {
    super(message, options);
    this.partial = options.partial ?? Buffer.alloc(0);
    this.bytesReceived = options.bytesReceived ?? this.partial.length;
  }
}

/** The server closed the connection cleanly without sending a single byte. */
export class EmptyPoemError extends PoemError {
  override readonly code: string = 'ERR_EMPTY_POEM';
}

/** The poem grew past the size cap, so the connection was aborted. */
export class PoemTooLargeError extends PoemError {
  override readonly code: string = 'ERR_POEM_TOO_LARGE';
  /** The cap, in bytes, that the poem went past. */
  readonly maxBytes: number;

  constructor(message: string, options: PoetryErrorOptions & { maxBytes: number }) {
    super(message, options);
    this.maxBytes = options.maxBytes;
  }
}

/** The sink a poem was being streamed into failed (a full disk, a file that cannot be made). */
export class PoemSinkError extends PoemError {
  override readonly code: string = 'ERR_POEM_SINK';
}

/** No byte arrived for the idle timeout, so the connection was aborted. */
export class IdleTimeoutError extends TimeoutError {
  override readonly code: string = 'ERR_IDLE_TIMEOUT';
  /** How many bytes had arrived before the silence: 0 when the server never said a word. */
  readonly bytesReceived: number;

  constructor(message: string, options: PoetryErrorOptions & { bytesReceived?: number } = {}) {
    super(message, options);
    this.bytesReceived = options.bytesReceived ?? 0;
  }
}

/** The whole fetch, connecting included, took longer than the total timeout. */
export class PoemTimeoutError extends TimeoutError {
  override readonly code: string = 'ERR_POEM_TIMEOUT';
}

/** An address argument that `parseAddress` cannot read (PORT, HOST:PORT, tls:…, unix:PATH). */
export class InvalidAddressError extends PoetryNowError {
  override readonly code: string = 'ERR_INVALID_ADDRESS';
  /** The argument as it was given. */
  readonly argument: string;

  constructor(argument: string, problem: string) {
    super(`invalid address ${JSON.stringify(argument)}: ${problem}`);
    this.argument = argument;
  }
}

/** A poem file cannot be opened, is not a regular file, or failed while being read. */
export class PoemFileError extends PoetryNowError {
  override readonly code: string = 'ERR_POEM_FILE';
  /** The file's path as it was given. */
  readonly path: string;

  constructor(path: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.path = path;
  }
}

/** The message of an error without the `host:port: ` its class puts in front. */
export function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error instanceof PoetryNowError && error.address !== undefined) {
    const prefix = `${error.address}: `;
    if (error.message.startsWith(prefix)) return error.message.slice(prefix.length);
  }
  return error.message;
}
