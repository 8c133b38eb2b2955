// get-poetry's command line: its options, their defaults, and turning arguments into addresses.

import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CONNECT_TIMEOUT_SECONDS } from '../internet/defaults.js';
import type { Address } from '../internet/interfaces.js';
import { parseAddress } from '../poetry/address.js';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  DEFAULT_MAX_BYTES,
} from '../poetry/defaults.js';
import { InvalidAddressError } from '../poetry/errors.js';
import { formatBytes } from '../poetry/size.js';
import {
  createProgram,
  parseByteSize,
  parsePositiveInteger,
  parseSeconds,
  UsageError,
} from './command.js';
import { isTimelinePath } from './timeline-path.js';

/** The options as commander parses them. */
export interface GetPoetryOptions {
  connectTimeout: number;
  idleTimeout: number;
  timeout: number;
  /** Bytes, 0 for no limit; unset for the library's default (a cap in memory, none with a sink). */
  maxBytes?: number;
  concurrency: number;
  quiet?: boolean;
  verbose?: boolean;
  raw?: boolean;
  /** False with --no-progress. */
  progress: boolean;
  json?: boolean;
  output?: string;
  timeline?: string;
}

const DESCRIPTION = `Fetch poems from poetry servers, all at once, and print them in the order given.

An ADDRESS is PORT (on localhost), HOST:PORT or [IPv6]:PORT.`;

const AFTER_HELP = `
With --output, poems are not printed, and --json gives each poem's "file"
instead of its "text". A poem that fails leaves no file behind.

Exit status: 0 when every address gave a poem, 1 when any failed, 2 for a usage
error, 130 when interrupted (Ctrl-C); what finished is printed all the same.

Examples:
  get-poetry 10000 10001 10002
  get-poetry --json localhost:10000 [::1]:10001
  get-poetry --output poems --concurrency 100 127.0.0.1:10000 127.0.0.1:10001`;

/** The get-poetry program; `parse` throws commander errors for `runCommand` to report. */
export function getPoetryProgram(): Command {
  return createProgram('get-poetry', DESCRIPTION)
    .argument('<address...>', 'where to fetch poems from')
    .option(
      '--connect-timeout <seconds>',
      'give up connecting after this long (0: never)',
      parseSeconds,
      DEFAULT_CONNECT_TIMEOUT_SECONDS,
    )
    .option(
      '--idle-timeout <seconds>',
      'give up when no byte arrives for this long (0: never)',
      parseSeconds,
      DEFAULT_IDLE_TIMEOUT_SECONDS,
    )
    .addOption(
      new Option('--timeout <seconds>', 'give up on a poem after this long in all (0: never)')
        .argParser(parseSeconds)
        .default(0, 'none'),
    )
    .addOption(
      new Option(
        '--max-bytes <size>',
        'give up on a poem larger than SIZE: bytes, or KiB, MiB, GiB or K, M, G as curl ' +
          '(1024s), or kB, MB, GB (1000s), as in 512KiB or 1.5GB; 0: no limit (default: ' +
          `${formatBytes(DEFAULT_MAX_BYTES)} for a poem held in memory, none with --output)`,
      ).argParser(parseByteSize),
    )
    .option(
      '--concurrency <count>',
      'fetch at most this many poems at once; the rest wait their turn',
      parsePositiveInteger,
      DEFAULT_CONCURRENCY,
    )
    .option('-q, --quiet', 'print no poems on stdout, only the summary')
    .option('-v, --verbose', 'print a line on stderr for every chunk received')
    .option('--raw', 'print control characters as they are, even on a terminal')
    .option('--no-progress', 'no live progress display on stderr')
    .addOption(
      new Option('--json', 'print one JSON document of poems and failures on stdout').conflicts(
        'quiet',
      ),
    )
    .option(
      '-o, --output <dir>',
      'stream each poem into DIR/NNN-HOST-PORT.txt instead of printing it',
    )
    .option(
      '--timeline <file>',
      'after the run, draw its timeline into FILE (.svg, or .html to hover chunks)',
      parseTimelinePath,
    )
    .addHelpText('after', AFTER_HELP);
}

function parseTimelinePath(path: string): string {
  if (!isTimelinePath(path)) {
    throw new InvalidArgumentError(`the timeline file must end in .svg or .html, got '${path}'`);
  }
  return path;
}

/** Parses the address arguments; a malformed one is a usage error naming it. */
export function parseAddressArguments(args: readonly string[]): Address[] {
  return args.map((argument) => {
    try {
      return parseAddress(argument);
    } catch (error) {
      if (error instanceof InvalidAddressError) throw new UsageError(error.message);
      throw error;
    }
  });
}
