// get-poetry's command line: its options, their defaults, and turning arguments into addresses.

import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CONNECT_TIMEOUT_SECONDS } from '../internet/defaults.js';
import { type Endpoint, parseAddress } from '../poetry/address.js';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  DEFAULT_MAX_BYTES,
} from '../poetry/defaults.js';
import { InvalidAddressError } from '../poetry/errors.js';
import { DEFAULT_RETRY_DELAY_SECONDS, DEFAULT_RETRY_MAX_DELAY_SECONDS } from '../poetry/retry.js';
import { formatBytes } from '../poetry/size.js';
import {
  createProgram,
  parseByteSize,
  parseNonNegativeInteger,
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
  /** Tries after the first, for a failure that may pass; 0 for none. */
  retries: number;
  /** Seconds before the first retry. */
  retryDelay: number;
  /** The longest wait between tries, in seconds. */
  retryMaxDelay: number;
  quiet?: boolean;
  verbose?: boolean;
  raw?: boolean;
  /** False with --no-progress. */
  progress: boolean;
  json?: boolean;
  jsonl?: boolean;
  output?: string;
  timeline?: string;
  /** A timeline file to draw this run into, below the runs it already holds. */
  timelineAppend?: string;
  /** The run's heading in its timeline. */
  timelineTitle?: string;
  /** A file of addresses, one a line (`-`: standard input), read after the arguments. */
  from?: string;
  /** A PEM file of the certificates to trust for tls: addresses, instead of the system's. */
  ca?: string;
  /** tls: addresses are not checked at all (a warning says so). */
  insecure?: boolean;
}

const DESCRIPTION = `Fetch poems from poetry servers, all at once, and print them in the order given
(with --jsonl, as each ends).

An ADDRESS is PORT (on localhost), HOST:PORT or [IPv6]:PORT over TCP, the same
after tls: over TLS (tls:HOST:PORT, tls:[IPv6]:PORT, tls:PORT), or unix:PATH for
a UNIX socket; --from FILE adds more.`;

const AFTER_HELP = `
Address lists: --from FILE reads one address a line, after the ADDRESS arguments
(indexes count through both, from 1). Blank lines and # comments are skipped,
CRLF and a last line without a newline are fine, and - is standard input. A bad
line is a usage error naming FILE:LINE. A regular file is checked whole before
the first fetch; standard input is read as the fetches go, so a bad line there
cancels the fetches running and exits 2.

What is kept: the poems, and the --json document, come in input order after the
last fetch, so both keep every result until then (and read a whole list first).
--jsonl, --quiet and --output keep only counts: memory grows with --concurrency,
not with the number of addresses, and the stderr summary lists the first 100
failures. The live display (on a terminal, not with --jsonl) has a line per
address for up to 10000 addresses known before the run; beyond that, or for
standard input, --quiet and --output show one line of counts and the other
modes none. --timeline keeps every fetch's events in any mode.

--jsonl writes a JSON object per fetch as it ends, in order of completion:
  {"index":N,"address":A,"bytes":B,"text":T}  ("file":F with --output), or
  {"index":N,"address":A,"code":C,"message":M}
then a summary {"poems":P,"failures":F,"bytes":B,"elapsedSeconds":S}. If
standard output closes (get-poetry --jsonl ... | head -1), the run stops at once,
cancelling the fetches running, prints nothing more, and exits 141.

With --output, poems are not printed, and --json and --jsonl give each poem's
"file" instead of its "text". A poem that fails leaves no file behind. Reading
standard input, whose length is unknown, names files with at least 6 digits.

TLS: a tls: address's certificate must be valid for its HOST and signed by a
CA Node trusts (its bundled list, and NODE_EXTRA_CA_CERTS), or instead by one in
--ca FILE (PEM; several may follow one another). --insecure checks nothing, and
says so on stderr. A certificate that
is refused is a failure like any other (code ERR_TLS_*), never retried. The
address as given (tls:HOST:PORT, unix:PATH) names the fetch everywhere: the
display, the summary, --json, --jsonl and --timeline. tcp:HOST:PORT is plain TCP
(so tcp:tls:7 reaches a host called tls).

Retries: with --retries N, a fetch that failed for a reason that may pass is
tried again, up to N more times, each wait twice the one before (from
--retry-delay, at most --retry-max-delay, each moved by up to 10% at random).
Retried: a refused, reset or broken connection (a poem cut short), a connect or
idle timeout, a host name lookup that failed for a reason other than "not
found". Never retried: a poem too large, an empty poem (the server closed
without a byte), a host name not found, a file that cannot be written, a
cancel. The poem is fetched whole again; what a failed try received is dropped
(with --output, its file too). --timeout bounds all tries together, and Ctrl-C
stops a wait at once. --verbose prints each retry, the live display shows
"retry N", and --json/--jsonl give each result's "attempts".

Timelines: --timeline FILE draws the run (a lane per address, and one for the
event loop's thread); --timeline-append FILE draws it below the runs FILE holds,
so two runs compare on one time scale:
  get-poetry --timeline-append cmp.html --concurrency 1 10000 10001 10002
  get-poetry --timeline-append cmp.html 10000 10001 10002

Exit status: 0 when every address gave a poem, 1 when any failed, 2 for a usage
error, 130 when interrupted (Ctrl-C), 141 when standard output closed under
--jsonl; what finished is printed all the same.

Examples:
  get-poetry 10000 10001 10002
  get-poetry --json localhost:10000 [::1]:10001
  get-poetry --output poems --concurrency 100 127.0.0.1:10000 127.0.0.1:10001
  get-poetry --retries 3 --retry-delay 1 localhost:10000
  get-poetry --ca test-ca.pem tls:localhost:10443 unix:/tmp/poems.sock
  get-poetry --from servers.txt --jsonl --concurrency 1000 > results.jsonl
  some-scanner | get-poetry --from - --jsonl | jq -r 'select(.code) | .address'`;

/** The get-poetry program; `parse` throws commander errors for `runCommand` to report. */
export function getPoetryProgram(): Command {
  return createProgram('get-poetry', DESCRIPTION)
    .argument('[address...]', 'where to fetch poems from (or --from FILE)')
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
    .option(
      '--retries <count>',
      'try a fetch that failed for a passing reason again, up to COUNT more times',
      parseNonNegativeInteger,
      0,
    )
    .option(
      '--retry-delay <seconds>',
      'wait this long before the first retry; each wait after doubles',
      parseFiniteSeconds,
      DEFAULT_RETRY_DELAY_SECONDS,
    )
    .option(
      '--retry-max-delay <seconds>',
      'never wait longer than this between tries',
      parseFiniteSeconds,
      DEFAULT_RETRY_MAX_DELAY_SECONDS,
    )
    .option('--from <file>', "read more addresses from FILE, one a line ('-': standard input)")
    .option(
      '--ca <file>',
      'trust the CAs in FILE (PEM) for tls: addresses, instead of the ones Node trusts',
    )
    .addOption(
      new Option(
        '--insecure',
        'do not check tls: certificates at all (prints a warning)',
      ).conflicts('ca'),
    )
    .option('-q, --quiet', 'print no poems on stdout, only the summary')
    .option('-v, --verbose', 'print a line on stderr for every chunk received')
    .option('--raw', 'print control characters as they are, even on a terminal')
    .option('--no-progress', 'no live progress display on stderr')
    .addOption(
      new Option(
        '--json',
        'print one JSON document of poems and failures on stdout (keeps all until the end)',
      ).conflicts('quiet'),
    )
    .addOption(
      new Option(
        '--jsonl',
        'print a JSON object per poem or failure as each ends, then a summary (keeps none)',
      ).conflicts(['quiet', 'json']),
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
    .addOption(
      new Option(
        '--timeline-append <file>',
        'as --timeline, but draw this run below the runs FILE already holds (one time scale)',
      )
        .argParser(parseTimelinePath)
        .conflicts('timeline'),
    )
    .option('--timeline-title <text>', "this run's heading in its timeline")
    .addHelpText('after', AFTER_HELP);
}

/** A wait: seconds >= 0, and finite (a wait of forever is no retry at all). */
function parseFiniteSeconds(value: string): number {
  const seconds = parseSeconds(value);
  if (seconds === Number.POSITIVE_INFINITY) {
    throw new InvalidArgumentError(`expected a finite number of seconds, got '${value}'`);
  }
  return seconds;
}

function parseTimelinePath(path: string): string {
  if (!isTimelinePath(path)) {
    throw new InvalidArgumentError(`the timeline file must end in .svg or .html, got '${path}'`);
  }
  return path;
}

/**
 * The addresses a run starts from: the arguments parsed, which may be none only when a --from
 * list gives the rest. A usage error when there is nothing to fetch from.
 */
export function addressesToFetch(args: readonly string[], options: GetPoetryOptions): Endpoint[] {
  if (args.length === 0 && options.from === undefined) {
    throw new UsageError("missing required argument 'address' (or --from FILE)");
  }
  if (options.timelineTitle !== undefined && !drawsTimeline(options)) {
    throw new UsageError("option '--timeline-title' needs '--timeline' or '--timeline-append'");
  }
  return parseAddressArguments(args);
}

function drawsTimeline(options: GetPoetryOptions): boolean {
  return options.timeline !== undefined || options.timelineAppend !== undefined;
}

/** Parses the address arguments; a malformed one is a usage error naming it. */
export function parseAddressArguments(args: readonly string[]): Endpoint[] {
  return args.map((argument) => {
    try {
      return parseAddress(argument);
    } catch (error) {
      if (error instanceof InvalidAddressError) throw new UsageError(error.message);
      throw error;
    }
  });
}
