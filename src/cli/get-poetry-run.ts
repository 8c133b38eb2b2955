// get-poetry after its arguments are parsed: fetch with progress, then print poems and a summary.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { formatAddress } from '../internet/address.js';
import { describeSystemError } from '../internet/errors.js';
import type { Address, IReactor } from '../internet/interfaces.js';
import { reactor as sharedReactor } from '../internet/reactor.js';
import type { FetchEvent, FetchEventListener } from '../poetry/events.js';
import { poetryMain } from '../poetry/main.js';
import { FileSink } from '../poetry/sink.js';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK } from './command.js';
import type { GetPoetryOptions } from './get-poetry-program.js';
import {
  describeFailure,
  jsonOutput,
  poemFileName,
  poemsOutput,
  summary,
} from './get-poetry-report.js';
import type { ProgressStream } from './progress.js';
import { colorsFor, escapeControlCharacters, escapeJsonForTerminal } from './terminal.js';

/** A stream the command writes to. */
export interface OutputStream extends ProgressStream {
  write(chunk: string | Uint8Array): boolean;
  isTTY?: boolean;
}

/** Everything the command touches outside itself, so a test can stand in for it. */
export interface CommandIO {
  stdout: OutputStream;
  stderr: OutputStream;
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
    env: process.env,
    reactor: sharedReactor,
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
    exit: (status) => process.exit(status),
  };
}

/** Runs the command for parsed addresses and options; resolves to the exit status. */
export async function runGetPoetry(
  addresses: readonly Address[],
  options: GetPoetryOptions,
  io: CommandIO = processIO(),
): Promise<number> {
  const { stdout, stderr } = io;
  const colors = colorsFor(stderr, io.env);
  const labels = addresses.map(({ host, port }) => formatAddress(host, port));

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
      : (address: Address, index: number) => {
          const path = join(outputDir, poemFileName(index + 1, address, addresses.length));
          files.set(index, path);
          return new FileSink(path);
        };

  const showProgress =
    options.progress &&
    !options.verbose &&
    stdout.isTTY === true &&
    stderr.isTTY === true &&
    io.env.TERM !== 'dumb';
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
  // Loaded only when asked for: drawing is no part of fetching.
  const timeline = options.timeline === undefined ? undefined : await import('./timeline-file.js');
  // A timeline that cannot be written should stop the run before it starts, not after.
  if (options.timeline !== undefined) await timeline?.checkWritable(options.timeline);
  const recorder =
    timeline === undefined ? undefined : new timeline.TimelineRecorder(io.reactor, labels);
  if (recorder !== undefined) onEvent = recorder.tee(onEvent);

  const controller = new AbortController();
  let interrupted = false;
  const stopListening = io.onInterrupt(() => {
    if (interrupted) io.exit(EXIT_INTERRUPTED);
    interrupted = true;
    controller.abort(new Error('interrupted'));
  });

  let result: Awaited<ReturnType<typeof poetryMain>>;
  try {
    progress?.render();
    result = await poetryMain(addresses, {
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
    });
  } finally {
    progress?.stop();
    stopListening();
  }

  const timelineRun = recorder?.finish();
  const { results, elapsedSeconds } = result;
  if (options.json) {
    const json = jsonOutput(results, elapsedSeconds, files);
    stdout.write(stdout.isTTY === true && !options.raw ? escapeJsonForTerminal(json) : json);
  } else if (!options.quiet && outputDir === undefined) {
    const escapeControls = stdout.isTTY === true && !options.raw;
    for (const chunk of poemsOutput(results, { escape: escapeControls })) stdout.write(chunk);
  }
  stderr.write(summary(results, elapsedSeconds, { colors, outputDir, interrupted }));

  let timelineWritten = true;
  if (timeline !== undefined && timelineRun !== undefined && options.timeline !== undefined) {
    try {
      stderr.write(`${await timeline.writeTimeline(options.timeline, timelineRun)}\n`);
    } catch (error) {
      timelineWritten = false;
      stderr.write(`get-poetry: ${escapeControlCharacters((error as Error).message)}\n`);
    }
  }

  if (interrupted) return EXIT_INTERRUPTED;
  const allPoems = results.every((r) => r.status === 'fulfilled');
  return allPoems && timelineWritten ? EXIT_OK : EXIT_FAILURE;
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
      default:
        break;
    }
  };
}
