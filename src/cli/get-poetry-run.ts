// get-poetry after its arguments are parsed: fetch with progress, then print poems and a summary.
// With --jsonl, --quiet or --output the run streams: addresses are read and results written as
// they come, and only counts are kept.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describeSystemError } from '../internet/errors.js';
import type { IReactor } from '../internet/interfaces.js';
import { reactor as sharedReactor } from '../internet/reactor.js';
import { type Endpoint, formatEndpoint } from '../poetry/address.js';
import type { FetchEvent, FetchEventListener } from '../poetry/events.js';
import { type AddressSource, type PoemResult, PoetryQueue } from '../poetry/fetch.js';
import { poetryMain } from '../poetry/main.js';
import { FileSink } from '../poetry/sink.js';
import type { TimelineRun } from '../timeline/index.js';
import {
  type AddressList,
  AddressStream,
  countAddressList,
  openAddressList,
} from './address-list.js';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, isReaderGone } from './command.js';
import type { GetPoetryOptions } from './get-poetry-program.js';
import {
  describeFailure,
  jsonlRecord,
  jsonlSummary,
  jsonOutput,
  poemFileName,
  poemsOutput,
  summary,
  Tally,
  tallySummary,
} from './get-poetry-report.js';
import type { ProgressStream } from './progress.js';
import { StreamedOutput, type WritableOutput } from './streamed-output.js';
import { colorsFor, escapeControlCharacters, escapeJsonForTerminal } from './terminal.js';
import { clientTLSOptions } from './tls-files.js';

/**
 * The most addresses the live display is drawn for line by line: it keeps a line of state per
 * address, and beyond a screenful it shows totals anyway. A streamed run draws it only when the
 * addresses are known before the run (arguments, a regular file's first reading); otherwise it
 * shows one line of counts, and a run that keeps every result shows none.
 */
export const PROGRESS_MAX_ADDRESSES = 10_000;
/** How many failures a streamed run's summary lists; the rest are counted. */
export const MAX_LISTED_FAILURES = 100;
/** The exit status when standard output closed under --jsonl: a shell's for a SIGPIPE death. */
export const EXIT_OUTPUT_CLOSED = 141;
/** The count --output file names are padded for when the list's length is unknown (stdin). */
const UNKNOWN_COUNT = 999_999;

/** A stream the command writes to. */
export interface OutputStream extends ProgressStream, Omit<WritableOutput, 'write'> {
  write(chunk: string | Uint8Array): boolean;
  isTTY?: boolean;
}

/** Everything the command touches outside itself, so a test can stand in for it. */
export interface CommandIO {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Where `--from -` reads; standard input when left out. */
  stdin?: AsyncIterable<Buffer | string>;
  env: NodeJS.ProcessEnv;
  reactor: IReactor;
  /** Calls `handler` on every Ctrl-C until the returned function is called. */
  onInterrupt(handler: () => void): () => void;
  /** Leaves at once (a second Ctrl-C). */
  exit(status: number): never;
}

function processIO(): CommandIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    reactor: sharedReactor,
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
    exit: (status) => process.exit(status),
  };
}

/**
 * Runs the command for parsed addresses and options; resolves to the exit status. Throws a
 * UsageError for a --from list that cannot be read or has a bad line.
 */
export async function runGetPoetry(
  addresses: readonly Endpoint[],
  options: GetPoetryOptions,
  io: CommandIO = processIO(),
): Promise<number> {
  const { stdout, stderr } = io;
  const colors = colorsFor(stderr, io.env);
  // Awaited only when asked for: without them a run starts its fetches before its first await.
  const tls =
    options.ca === undefined && options.insecure !== true
      ? undefined
      : await clientTLSOptions(options, (line) => stderr.write(`get-poetry: ${line}\n`));
  const streamed =
    options.jsonl === true ||
    (options.json !== true && (options.quiet === true || options.output !== undefined));
  const list =
    options.from === undefined
      ? undefined
      : await openAddressList(options.from, () => io.stdin ?? process.stdin);
  // Every address, when known before the run; their number, when known.
  let known: readonly Endpoint[] | undefined = addresses;
  let count: number | undefined = addresses.length;
  if (list !== undefined) {
    if (!streamed) {
      known = await readWholeList(list, addresses);
      count = known.length;
    } else if (list.rereadable) {
      // Checked whole before the first fetch, so a bad line never leaves a run half done; the
      // first addresses are kept for the live display if there are few enough.
      const first = [...addresses];
      const read = await countAddressList(list.open(), list.name, (address) => {
        if (first.length <= PROGRESS_MAX_ADDRESSES) first.push(address);
      });
      count = addresses.length + read;
      known = count <= PROGRESS_MAX_ADDRESSES ? first : undefined;
    } else {
      known = undefined;
      count = undefined;
    }
  }
  const labels = known?.map(formatEndpoint);

  const outputDir = options.output;
  const files = new Map<number, string>();
  if (outputDir !== undefined) {
    try {
      await mkdir(outputDir, { recursive: true });
    } catch (error) {
      throw new Error(`cannot create the directory ${outputDir}: ${describeSystemError(error)}`);
    }
  }
  const sink =
    outputDir === undefined
      ? undefined
      : (address: Endpoint, index: number) => {
          const path = join(outputDir, poemFileName(index + 1, address, count ?? UNKNOWN_COUNT));
          files.set(index, path);
          return new FileSink(path);
        };

  // As curl and wget: whenever stderr is a terminal, whatever stdout is. Poems reach stdout only
  // after the display is erased (a streamed run writes none there but --jsonl's, which has none).
  const wantsProgress =
    options.progress &&
    !options.verbose &&
    options.jsonl !== true &&
    stderr.isTTY === true &&
    io.env.TERM !== 'dumb';
  const showProgress =
    wantsProgress && labels !== undefined && labels.length <= PROGRESS_MAX_ADDRESSES;
  // A streamed run whose addresses are too many, or not known, shows one line of counts.
  const showCounts = wantsProgress && streamed && !showProgress;
  // Loaded only for a terminal: a script or a pipe never pays for it.
  const progress = showProgress
    ? new (await import('./progress.js')).ProgressRenderer(labels, {
        stream: stderr,
        clock: io.reactor,
        colors,
      })
    : undefined;
  let onEvent: FetchEventListener | undefined = progress?.onEvent;
  if (options.verbose) onEvent = verboseListener(stderr);
  const timelinePath = options.timeline ?? options.timelineAppend;
  // Loaded only when asked for: drawing is no part of fetching.
  const timeline = timelinePath === undefined ? undefined : await import('./timeline-file.js');
  // A timeline that cannot be written (or added to) stops the run before it starts, not after.
  let timelineBefore: Awaited<ReturnType<NonNullable<typeof timeline>['readTimelineFile']>> = [];
  if (timeline !== undefined && timelinePath !== undefined) {
    if (options.timelineAppend === undefined) await timeline.checkWritable(timelinePath);
    else timelineBefore = await timeline.readTimelineFile(timelinePath);
  }
  const recorder =
    timeline === undefined
      ? undefined
      : new timeline.TimelineRecorder(io.reactor, labels, {
          title: options.timelineTitle ?? runTitle(options.concurrency, count),
          eventLoop: true,
        });
  if (recorder !== undefined) onEvent = recorder.tee(onEvent);
  // Without the list in hand, the timeline's lanes are named as the addresses are taken.
  const laneLabels: string[] = [];
  if (recorder !== undefined && labels === undefined) onEvent = laneNamer(laneLabels, onEvent);
  // Tries per index, kept only for fetches that retried, and only until their result is out.
  const tries = new Map<number, number>();
  if (options.retries > 0) onEvent = attemptCounter(tries, onEvent);
  const attempts = (index: number): number => tries.get(index) ?? 1;

  const controller = new AbortController();
  let interrupted = false;
  const stopListening = io.onInterrupt(() => {
    if (interrupted) io.exit(EXIT_INTERRUPTED);
    interrupted = true;
    controller.abort(new Error('interrupted'));
  });
  const fetchOptions = {
    reactor: io.reactor,
    concurrency: options.concurrency,
    timeouts: {
      connectSeconds: options.connectTimeout,
      idleSeconds: options.idleTimeout,
      totalSeconds: options.timeout,
    },
    // Unset, the library's default holds: 64 MiB for a poem in memory, none for one in a file.
    maxBytes: options.maxBytes,
    onEvent,
    sink,
    signal: controller.signal,
    tls,
    retries: {
      maxRetries: options.retries,
      initialDelaySeconds: options.retryDelay,
      maxDelaySeconds: options.retryMaxDelay,
    },
  };

  let status: number;
  let timelineWritten = true;
  let finished: TimelineRun | undefined;
  const writeTimelineFile = async (): Promise<void> => {
    if (timeline === undefined || finished === undefined || timelinePath === undefined) return;
    const run = labels === undefined ? { ...finished, addresses: laneLabels } : finished;
    try {
      stderr.write(`${await timeline.writeTimeline(timelinePath, run, timelineBefore)}\n`);
    } catch (error) {
      timelineWritten = false;
      stderr.write(`get-poetry: ${escapeControlCharacters((error as Error).message)}\n`);
    }
  };

  if (streamed) {
    const escapeJson = stdout.isTTY === true && !options.raw;
    let outputGone: Error | undefined;
    let outputClosed = false;
    const output =
      options.jsonl === true
        ? new StreamedOutput(stdout, (error) => {
            outputClosed = true;
            outputGone = error;
            controller.abort(new Error('standard output was closed'));
          })
        : undefined;
    const source: AddressSource =
      list === undefined
        ? addresses
        : new AddressStream(list.open(), list.name, { first: addresses, hold: output?.hold });
    const tally = new Tally(MAX_LISTED_FAILURES);
    const onResult = (result: PoemResult): void => {
      tally.add(result);
      const file = files.get(result.index);
      if (file !== undefined) files.delete(result.index);
      const tried = attempts(result.index);
      tries.delete(result.index);
      if (output === undefined) return;
      const record = jsonlRecord(result, file, tried);
      output.write(escapeJson ? escapeJsonForTerminal(record) : record);
    };
    const queue = new PoetryQueue(fetchOptions);
    const counts = showCounts
      ? new (await import('./progress-counts.js')).CountsProgress(
          () => ({
            poems: tally.poems,
            failures: tally.failures,
            bytes: tally.bytes,
            running: queue.running,
          }),
          { stream: stderr, clock: io.reactor, colors },
        )
      : undefined;
    const startedSeconds = io.reactor.seconds();
    try {
      progress?.render();
      counts?.render();
      await queue.addFrom(source, onResult);
      finished = recorder?.finish();
    } finally {
      queue.close();
      output?.dispose();
      progress?.stop();
      counts?.stop();
      stopListening();
    }
    const elapsedSeconds = io.reactor.seconds() - startedSeconds;
    if (outputClosed) {
      // The reader went away: nothing more is worth saying, on either stream.
      // Closed with no error is the reader gone too.
      return outputGone === undefined || isReaderGone(outputGone)
        ? EXIT_OUTPUT_CLOSED
        : EXIT_FAILURE;
    }
    if (output !== undefined) {
      const last = jsonlSummary(tally, elapsedSeconds, interrupted);
      output.write(escapeJson ? escapeJsonForTerminal(last) : last);
    }
    stderr.write(tallySummary(tally, elapsedSeconds, { colors, outputDir, interrupted }));
    await writeTimelineFile();
    status = tally.failures === 0 ? EXIT_OK : EXIT_FAILURE;
  } else {
    let result: Awaited<ReturnType<typeof poetryMain>>;
    try {
      progress?.render();
      result = await poetryMain(known ?? addresses, fetchOptions);
      finished = recorder?.finish();
    } finally {
      progress?.stop();
      stopListening();
    }

    const { results, elapsedSeconds } = result;
    if (options.json) {
      const json = jsonOutput(results, elapsedSeconds, files, attempts);
      stdout.write(stdout.isTTY === true && !options.raw ? escapeJsonForTerminal(json) : json);
    } else if (!options.quiet && outputDir === undefined) {
      const escapeControls = stdout.isTTY === true && !options.raw;
      for (const chunk of poemsOutput(results, { escape: escapeControls })) stdout.write(chunk);
    }
    stderr.write(summary(results, elapsedSeconds, { colors, outputDir, interrupted }));
    await writeTimelineFile();
    status = results.every((r) => r.status === 'fulfilled') ? EXIT_OK : EXIT_FAILURE;
  }

  if (interrupted) return EXIT_INTERRUPTED;
  return timelineWritten ? status : EXIT_FAILURE;
}

/** A run's heading in its timeline: how many fetches ran at once, so two runs compare. */
function runTitle(concurrency: number, count: number | undefined): string {
  const addresses =
    count === undefined ? '' : `${count} ${count === 1 ? 'address' : 'addresses'}, `;
  if (concurrency === 1) return `${addresses}one after another (--concurrency 1)`;
  if (count !== undefined && concurrency >= count) return `${addresses}all at once`;
  return `${addresses}at most ${concurrency} at a time (--concurrency ${concurrency})`;
}

/** Every address of a list after `first`, read whole (for a run that keeps every result). */
async function readWholeList(
  list: AddressList,
  first: readonly Endpoint[],
): Promise<readonly Endpoint[]> {
  const all = [...first];
  for await (const address of new AddressStream(list.open(), list.name)) all.push(address);
  return all;
}

/** A listener that notes each fetch's tries from its `retrying` events, then passes them on. */
function attemptCounter(
  tries: Map<number, number>,
  next: FetchEventListener | undefined,
): FetchEventListener {
  return function countAttempts(event: FetchEvent): void {
    if (event.type === 'retrying') tries.set(event.index, event.attempt);
    next?.(event);
  };
}

/** A listener that notes each address as it is queued, by index, then passes the event on. */
function laneNamer(labels: string[], next: FetchEventListener | undefined): FetchEventListener {
  return function nameLane(event: FetchEvent): void {
    if (event.type === 'queued') labels[event.index] = event.address;
    next?.(event);
  };
}

/** The tutorial's client 2.0 output: a line per chunk, and one when each task ends. */
function verboseListener(stderr: OutputStream): FetchEventListener {
  return function verbose(event: FetchEvent): void {
    const task = `Task ${event.index + 1}`;
    switch (event.type) {
      case 'chunk':
        stderr.write(
          `${task}: got ${event.bytes} bytes of poetry from ${escapeControlCharacters(event.address)}\n`,
        );
        break;
      case 'done':
        stderr.write(`${task} finished (${event.bytes} bytes)\n`);
        break;
      case 'failed':
        stderr.write(`${task} failed: ${escapeControlCharacters(describeFailure(event.error))}\n`);
        break;
      case 'retrying':
        stderr.write(
          `${task}: retrying in ${Number(event.delaySeconds.toFixed(2))} s (attempt ` +
            `${event.attempt} of ${event.maxAttempts}): ` +
            `${escapeControlCharacters(describeFailure(event.error))}\n`,
        );
        break;
      default:
        break;
    }
  };
}
