// What get-poetry prints: the poems with their headers, the JSON document, and the summary.

import { UserCancelledError } from '../internet/errors.js';
import type { Address } from '../internet/interfaces.js';
import { reasonOf } from '../poetry/errors.js';
import type { PoemResult } from '../poetry/fetch.js';
import { type Colors, escapeControlCharacters, formatByteCount } from './terminal.js';

/** The name of argument `index` (from 1)'s poem in an --output directory: NNN-HOST-PORT.txt. */
export function poemFileName(index: number, address: Address, count: number): string {
  const width = Math.max(3, String(count).length);
  const host = address.host.replace(/[^A-Za-z0-9.-]/g, '_');
  return `${String(index).padStart(width, '0')}-${host}-${address.port}.txt`;
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

/** The --json document: poems and failures in argument order, index counting from 1. */
export function jsonOutput(
  results: readonly PoemResult[],
  elapsedSeconds: number,
  files: ReadonlyMap<number, string> = new Map(),
): string {
  const poems: object[] = [];
  const failures: object[] = [];
  for (const result of results) {
    const index = result.index + 1;
    if (result.status === 'fulfilled') {
      const poem = result.value;
      const file = files.get(result.index);
      poems.push(
        file === undefined
          ? { index, address: result.address, bytes: poem.byteLength, text: poem.text }
          : { index, address: result.address, bytes: poem.byteLength, file },
      );
    } else {
      const error = result.reason;
      const code = (error as { code?: unknown }).code;
      failures.push({
        index,
        address: result.address,
        code: typeof code === 'string' ? code : 'ERR_UNKNOWN',
        message: describeFailure(error),
      });
    }
  }
  return `${JSON.stringify({ poems, failures, elapsedSeconds: round(elapsedSeconds) })}\n`;
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
  const c = options.colors;
  let poems = 0;
  let bytes = 0;
  const failures: string[] = [];
  for (const result of results) {
    if (result.status === 'fulfilled') {
      poems++;
      bytes += result.value.byteLength;
    } else {
      const where = escapeControlCharacters(result.address);
      failures.push(`  ${where}: ${escapeControlCharacters(describeFailure(result.reason))}`);
    }
  }
  const into =
    options.outputDir === undefined ? '' : ` into ${escapeControlCharacters(options.outputDir)}`;
  let text = `Got ${poems} ${poems === 1 ? 'poem' : 'poems'} (${formatByteCount(bytes)}) in ${formatSeconds(elapsedSeconds)}${into}.\n`;
  if (options.interrupted) text += c.yellow('Interrupted.\n');
  if (failures.length > 0) {
    text += c.red(`${failures.length} failed:\n`);
    text += `${failures.join('\n')}\n`;
  }
  return failures.length === 0 ? c.green(text) : text;
}

function formatSeconds(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(3)} s` : `${seconds.toFixed(1)} s`;
}

function round(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}
