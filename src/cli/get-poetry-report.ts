// What get-poetry prints: the poems with their headers, the JSON document, and the summary.

import { UserCancelledError } from '../internet/errors.js';
import { type Endpoint, formatEndpoint, parseAddress } from '../poetry/address.js';
import { EmptyPoemError, IdleTimeoutError, reasonOf } from '../poetry/errors.js';
import type { PoemResult } from '../poetry/fetch.js';
import { type Colors, escapeControlCharacters, formatByteCount } from './terminal.js';

/**
 * The name of argument `index` (from 1)'s poem in an --output directory: NNN-HOST-PORT.txt (over
 * TCP or TLS alike), NNN-unix-PATH.txt for a UNIX socket, with every character but letters,
 * digits, '.' and '-' made '_'.
 */
export function poemFileName(index: number, address: Endpoint, count: number): string {
  const width = Math.max(3, String(count).length);
  const where =
    address.transport === 'unix'
      ? `unix-${safeName(address.path)}`
      : `${safeName(address.host)}-${address.port}`;
  return `${String(index).padStart(width, '0')}-${where}.txt`;
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]/g, '_');
}

/** A failure in plain words, without the address its message starts with. */
export function describeFailure(error: Error): string {
  return error instanceof UserCancelledError ? 'cancelled' : reasonOf(error);
}

export interface PoemsOutputOptions {
  /** Show control characters escaped (stdout is a terminal and --raw was not given). */
  escape: boolean;
}

/**
 * The poems in argument order as chunks to write to stdout. One address: the poem's bytes and
 * nothing else. Several: each poem after a `==> Task N: ADDRESS <==` header, a blank line
 * between, so a reader can tell them apart. Failed fetches are left to the summary.
 */
export function poemsOutput(
  results: readonly PoemResult[],
  options: PoemsOutputOptions,
): (string | Buffer)[] {
  const chunks: (string | Buffer)[] = [];
  const single = results.length === 1;
  let first = true;
  for (const result of results) {
    if (result.status !== 'fulfilled') continue;
    const poem = result.value;
    if (!single) {
      chunks.push(
        `${first ? '' : '\n'}==> Task ${result.index + 1}: ${escapeControlCharacters(result.address)} <==\n`,
      );
    }
    first = false;
    const endsWithNewline = poem.bytes.length > 0 && poem.bytes[poem.bytes.length - 1] === 0x0a;
    if (options.escape) {
      chunks.push(escapeControlCharacters(poem.text));
      if (!endsWithNewline) chunks.push('\n');
    } else {
      chunks.push(poem.bytes);
      // Byte-exact for one poem; with headers, the next header must start on its own line.
      if (!single && !endsWithNewline) chunks.push('\n');
    }
  }
  return chunks;
}

/**
 * The --json document: poems and failures in argument order, index counting from 1.
 * `attempts(index)` is how many tries the fetch made (1 without retries).
 */
export function jsonOutput(
  results: readonly PoemResult[],
  elapsedSeconds: number,
  files: ReadonlyMap<number, string> = new Map(),
  attempts: (index: number) => number = () => 1,
): string {
  const poems: object[] = [];
  const failures: object[] = [];
  for (const result of results) {
    const entry = resultEntry(result, files.get(result.index), attempts(result.index));
    if (result.status === 'fulfilled') poems.push(entry);
    else failures.push(entry);
  }
  return `${JSON.stringify({ poems, failures, elapsedSeconds: round(elapsedSeconds) })}\n`;
}

/**
 * One --jsonl record: a result as the --json document gives it among its poems or failures
 * (`index` from 1, `address`, `attempts`, then `bytes` and `text` or `file`, or `code` and
 * `message`).
 */
export function jsonlRecord(result: PoemResult, file?: string, attempts = 1): string {
  return `${JSON.stringify(resultEntry(result, file, attempts))}\n`;
}

/**
 * The last --jsonl record: the --json document's fields with counts for lists, plus the poems'
 * bytes; `interrupted` only when Ctrl-C cut the run short. It has no `index`, which tells it
 * from the records before it.
 */
export function jsonlSummary(tally: Tally, elapsedSeconds: number, interrupted = false): string {
  const counts = {
    poems: tally.poems,
    failures: tally.failures,
    bytes: tally.bytes,
    elapsedSeconds: round(elapsedSeconds),
  };
  return `${JSON.stringify(interrupted ? { ...counts, interrupted } : counts)}\n`;
}

function resultEntry(result: PoemResult, file: string | undefined, attempts: number): object {
  const index = result.index + 1;
  if (result.status === 'fulfilled') {
    const poem = result.value;
    return file === undefined
      ? { index, address: result.address, attempts, bytes: poem.byteLength, text: poem.text }
      : { index, address: result.address, attempts, bytes: poem.byteLength, file };
  }
  const error = result.reason;
  const code = (error as { code?: unknown }).code;
  return {
    index,
    address: result.address,
    attempts,
    code: typeof code === 'string' ? code : 'ERR_UNKNOWN',
    message: describeFailure(error),
  };
}

/**
 * What the summary needs of a run, kept as results come: counts, bytes, and the first
 * `maxListed` failures in words (the rest only counted), so a run of a million addresses keeps
 * no more than that.
 */
export class Tally {
  poems = 0;
  failures = 0;
  bytes = 0;
  /** `  ADDRESS: reason` for each failure listed, escaped for a terminal. */
  readonly listed: string[] = [];
  readonly maxListed: number;
  /** The first plain TCP address whose server never sent a byte (see `silentServer`). */
  silent: string | undefined = undefined;

  constructor(maxListed = Number.POSITIVE_INFINITY) {
    this.maxListed = maxListed;
  }

  add(result: PoemResult): void {
    if (result.status === 'fulfilled') {
      this.poems++;
      this.bytes += result.value.byteLength;
      return;
    }
    this.failures++;
    if (this.silent === undefined && silentServer(result.address, result.reason)) {
      this.silent = result.address;
    }
    if (this.listed.length < this.maxListed) {
      const where = escapeControlCharacters(result.address);
      this.listed.push(`  ${where}: ${escapeControlCharacters(describeFailure(result.reason))}`);
    }
  }
}

export interface SummaryOptions {
  colors: Colors;
  /** The directory poems were written to, if --output was given. */
  outputDir?: string | undefined;
  /** Ctrl-C cut the run short. */
  interrupted?: boolean;
}

/** The summary for stderr: poems, bytes, elapsed time, and each failure with its reason. */
export function summary(
  results: readonly PoemResult[],
  elapsedSeconds: number,
  options: SummaryOptions,
): string {
  const tally = new Tally();
  for (const result of results) tally.add(result);
  return tallySummary(tally, elapsedSeconds, options);
}

/**
 * The summary of a run kept as a `Tally`: as `summary` gives it, the failures not listed
 * counted on a line of their own.
 */
export function tallySummary(
  tally: Tally,
  elapsedSeconds: number,
  options: SummaryOptions,
): string {
  const c = options.colors;
  const { poems, bytes, failures, listed } = tally;
  const into =
    options.outputDir === undefined ? '' : ` into ${escapeControlCharacters(options.outputDir)}`;
  let text = `Got ${poems} ${poems === 1 ? 'poem' : 'poems'} (${formatByteCount(bytes)}) in ${formatSeconds(elapsedSeconds)}${into}.\n`;
  if (options.interrupted) text += c.yellow('Interrupted.\n');
  if (failures > 0) {
    text += c.red(`${failures} failed:\n`);
    text += `${listed.join('\n')}\n`;
    if (failures > listed.length) text += `  and ${failures - listed.length} more\n`;
    if (tally.silent !== undefined) text += tlsHint(tally.silent);
  }
  return failures === 0 ? c.green(text) : text;
}

/**
 * True when the fetch from `address`, over plain TCP, failed without a byte from the server:
 * it went quiet until the idle timeout, or closed without a word. That is how a TLS server
 * answers a client that does not speak TLS: it waits for a handshake that never comes (ours,
 * until its stall timeout).
 */
function silentServer(address: string, reason: Error): boolean {
  const silent =
    reason instanceof EmptyPoemError ||
    (reason instanceof IdleTimeoutError && reason.bytesReceived === 0);
  return silent && tlsAddress(address) !== undefined;
}

/** The `tls:` form of plain TCP `address` (a result's label), or undefined for any other. */
function tlsAddress(address: string): string | undefined {
  let endpoint: Endpoint;
  try {
    endpoint = parseAddress(address);
  } catch {
    return undefined;
  }
  if (endpoint.transport !== undefined && endpoint.transport !== 'tcp') return undefined;
  return formatEndpoint({ transport: 'tls', host: endpoint.host, port: endpoint.port });
}

/** One line after the failures: the silent server may speak TLS, and how to ask it. */
function tlsHint(address: string): string {
  const tls = tlsAddress(address) ?? '';
  return `hint: ${escapeControlCharacters(address)} sent not a byte; if it is a TLS server (one waits for its client to speak first), fetch ${escapeControlCharacters(tls)}\n`;
}

function formatSeconds(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(3)} s` : `${seconds.toFixed(1)} s`;
}

function round(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}
