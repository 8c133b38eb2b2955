// What both commands share: the program skeleton, option value parsers, and exit-status rules.

import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { systemErrorCode } from '../internet/errors.js';
import { parseSize, SIZE_SYNTAX } from '../poetry/size.js';
import { escapeControlCharacters } from './terminal.js';

/** Exit statuses, the same for every command. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** A mistake in how the command was called: reported in one line, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The package's version, read from package.json (dist/cli and src/cli are both two deep). */
export function packageVersion(): string {
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

/**
 * A commander program that never exits by itself and never prints a stack trace: errors come
 * back as exceptions for `runCommand` to turn into one line and an exit status.
 */
export function createProgram(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .allowExcessArguments(false);
}

/**
 * Runs a command's main function and sets the exit status. `main` resolves to the status; a
 * UsageError or a commander parse error becomes one line on stderr with a hint and status 2;
 * anything else unexpected becomes one line and status 1, never a stack trace.
 */
export async function runCommand(name: string, main: () => Promise<number>): Promise<void> {
  // A reader that goes away (`get-poetry … | head`, or `2> >(head -1)`) is not an error worth a
  // stack trace, nor a reason to lose what goes to the other stream: the writes after it are
  // dropped and the exit status stays what the work made it.
  process.stdout.on('error', function stdoutFailed(error: NodeJS.ErrnoException) {
    if (isReaderGone(error)) return;
    process.stderr.write(`${name}: cannot write to standard output: ${error.message}\n`);
    process.exitCode = EXIT_FAILURE;
  });
  process.stderr.on('error', function stderrFailed(error: NodeJS.ErrnoException) {
    if (!isReaderGone(error)) process.exitCode = EXIT_FAILURE;
  });
  try {
    process.exitCode = await main();
  } catch (error) {
    process.exitCode = reportFailure(name, error);
  }
}

/**
 * One line, whatever the message holds: control characters escaped and line breaks too (an
 * argument with a newline in it must not split the usage line). Commander's own hint on a line
 * of its own ("(Did you mean --quiet?)") is kept as it is.
 */
function oneLine(message: string): string {
  const hint = /\n\(Did you mean [^\n]*\?\)$/.exec(message);
  const body = hint === null ? message : message.slice(0, hint.index);
  const flat = escapeControlCharacters(body).replaceAll('\n', '^J');
  return hint === null ? flat : `${flat}${hint[0]}`;
}

/**
 * Whether a write failed because the reader went away (`| head` closed the pipe): EPIPE, then
 * ERR_STREAM_DESTROYED for each write after it. Not ERR_STREAM_WRITE_AFTER_END: writing after
 * our own end() is our mistake, and must show.
 */
export function isReaderGone(error: unknown): boolean {
  const code = systemErrorCode(error);
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

function reportFailure(name: string, error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and version are "errors" only to commander: they have been printed, status 0.
    if (error.exitCode === 0) return EXIT_OK;
    const message = oneLine(error.message.replace(/^error: /, ''));
    process.stderr.write(`${name}: ${message}\n(see '${name} --help')\n`);
    return EXIT_USAGE;
  }
  if (error instanceof UsageError) {
    const message = oneLine(error.message);
    process.stderr.write(`${name}: ${message}\n(see '${name} --help')\n`);
    return EXIT_USAGE;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${name}: ${oneLine(message)}\n`);
  return EXIT_FAILURE;
}

/**
 * Option parser: seconds, a finite number >= 0. For a timeout, 0 means none (the library reads
 * 0 and Infinity alike; see internet/limits.ts); for a delay, 0 means at once.
 */
export function parseSeconds(value: string): number {
  const seconds = strictNumber(value);
  if (seconds === undefined || seconds < 0) {
    throw new InvalidArgumentError(`expected a number of seconds >= 0, got '${value}'`);
  }
  return seconds;
}

/** Option parser: a whole number >= 1. */
export function parsePositiveInteger(value: string): number {
  const n = strictNumber(value);
  if (n === undefined || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`expected a whole number >= 1, got '${value}'`);
  }
  return n;
}

/** Option parser: a whole number >= 0. */
export function parseNonNegativeInteger(value: string): number {
  const n = strictNumber(value);
  if (n === undefined || !Number.isSafeInteger(n) || n < 0) {
    throw new InvalidArgumentError(`expected a whole number >= 0, got '${value}'`);
  }
  return n;
}

/**
 * Option parser: a size cap in bytes, written as `parseSize` reads it (`1048576`, `512KiB`,
 * `64MiB`, `1.5GiB`, `100MB`, curl's `1G`); 0 means no limit.
 */
export function parseByteSize(value: string): number {
  const bytes = parseSize(value);
  if (bytes === undefined) {
    throw new InvalidArgumentError(`expected ${SIZE_SYNTAX} (0: no limit), got '${value}'`);
  }
  return bytes;
}

/**
 * Plain decimal numbers only: `Number()` would also take '', ' 1', '0x10', '1e4' and 'Infinity',
 * none of which a person means as a count of seconds or bytes.
 */
function strictNumber(value: string): number | undefined {
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}
