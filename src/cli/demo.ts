// The demo (`npm start`): three slow poetry servers and one client in one process, on one event
// loop, with the asynchronous speed-up measured against fetching one poem after another.

import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAddress } from '../internet/address.js';
import type { Address } from '../internet/interfaces.js';
import { Reactor } from '../internet/reactor.js';
import { getPoetry } from '../poetry/client.js';
import type { FetchEventListener } from '../poetry/events.js';
import type { Poem } from '../poetry/poem.js';
import { type PoetryServer, servePoetry, silentLogger } from '../poetry/server.js';
import { BufferPoemSource } from '../poetry/server-source.js';
import { EXIT_FAILURE, EXIT_OK, runCommand } from './command.js';
import { describeFailure } from './get-poetry-report.js';
import { ProgressRenderer } from './progress.js';
import { colorsFor } from './terminal.js';
import { TimelineRecorder, writeTimelineRuns } from './timeline-file.js';

/** The bundled poems and the pace each server sends its poem at. */
const SERVERS = [
  { file: 'the-reactor.txt', numBytes: 24, delaySeconds: 0.25 },
  { file: 'callback-inception.txt', numBytes: 80, delaySeconds: 0.3 },
  { file: 'ode-to-utf8.txt', numBytes: 40, delaySeconds: 0.3 },
] as const;

const poemsFolder = new URL('../../poems/', import.meta.url);

interface Fetched {
  poems: (Poem | undefined)[];
  errors: Error[];
  elapsedSeconds: number;
}

void runCommand('demo', async () => {
  const out = (text: string): void => {
    process.stdout.write(text);
  };
  const colors = colorsFor(process.stdout, process.env);

  // Servers and client share Node's one event loop, but not a reactor: the client's reactor is
  // stopped after each round, as the tutorial's poetry_main stops it, and the servers live on.
  const serverReactor = new Reactor();
  const servers: PoetryServer[] = [];
  const addresses: Address[] = [];
  // Each lane of the picture names the poem it fetched: its title, the poem's first line.
  const poemTitles: string[] = [];
  try {
    out(colors.bold('Three poetry servers, each sending its poem slowly:\n'));
    for (const { file, numBytes, delaySeconds } of SERVERS) {
      const poem = await readFile(new URL(file, poemsFolder));
      poemTitles.push(poem.toString('utf8').split('\n', 1)[0]!.trim() || file);
      const server = await servePoetry(serverReactor, new BufferPoemSource(poem), {
        port: 0,
        interface: '127.0.0.1',
        delay: delaySeconds,
        numBytes,
        logger: silentLogger,
      });
      servers.push(server);
      const address = server.getHost();
      addresses.push(address);
      const chunks = Math.ceil(poem.length / numBytes);
      out(
        `  ${formatAddress(address.host, address.port)}  ${file.padEnd(24)} ${String(poem.length).padStart(4)} bytes, ${numBytes} every ${delaySeconds} s (${chunks} chunks)\n`,
      );
    }

    const clientReactor = new Reactor();
    const labels = addresses.map(({ host, port }) => formatAddress(host, port));
    out(colors.bold('\nFetching all three at once, with callbacks, on one event loop...\n'));
    // Both runs are recorded, with the thread that ran them, to be drawn on one time scale.
    const recordTogether = new TimelineRecorder(clientReactor, labels, {
      title: 'All at once, on one event loop (the asynchronous model)',
      laneNames: poemTitles,
      eventLoop: true,
    });
    const together = await withProgress(clientReactor, labels, (onEvent) =>
      fetchTogether(clientReactor, addresses, recordTogether.tee(onEvent)),
    );
    const togetherRun = recordTogether.finish();
    out(`  ${roundUp(together)}\n`);
    out(colors.bold('Now the blocking way: one poem after another...\n'));
    const recordApart = new TimelineRecorder(clientReactor, labels, {
      title: 'One after another (the synchronous model)',
      laneNames: poemTitles,
      eventLoop: true,
    });
    const apart = await withProgress(clientReactor, labels, (onEvent) =>
      fetchOneAfterAnother(clientReactor, addresses, recordApart.tee(onEvent)),
    );
    const apartRun = recordApart.finish();
    out(`  ${roundUp(apart)}\n`);

    together.poems.forEach((poem, index) => {
      const heading = `\n==> ${SERVERS[index]!.file} from ${labels[index]} <==\n`;
      out(colors.bold(heading));
      out(poem === undefined ? colors.red('(no poem)\n') : poem.text);
    });
    for (const error of [...together.errors, ...apart.errors]) {
      process.stderr.write(`${colors.red('failed:')} ${describeFailure(error)}\n`);
    }

    const speedUp = apart.elapsedSeconds / together.elapsedSeconds;
    const timing = `async: ${together.elapsedSeconds.toFixed(1)} s; one after another it would be ${apart.elapsedSeconds.toFixed(1)} s`;
    out(`\n${colors.bold(timing)} (measured: ${speedUp.toFixed(1)}x as long)\n`);
    out(
      'One thread waited on three slow servers at once: while one server paused, the others\n' +
        "were heard. That is the reactor's whole trick.\n",
    );
    const timelineFile = join(tmpdir(), 'poetry-now-demo-timeline.html');
    // The lesson's two figures, the synchronous model above the asynchronous one.
    await writeTimelineRuns(
      timelineFile,
      [apartRun, togetherRun],
      'Three slow poems, fetched two ways',
    );
    const threads = apartRun.eventLoop !== undefined ? ', and the one thread under each' : '';
    out(`\nThe picture of both runs, on one time scale${threads}: ${timelineFile}\n`);
    out(
      threads === ''
        ? 'Open it in a browser and hover over a chunk.\n'
        : 'Open it in a browser and hover over a chunk, or over the thread: each spike in its lane\n' +
            'is the thread woken, mostly by a chunk (this one process runs the servers too), and\n' +
            'between the spikes it waited.\n',
    );
    return together.errors.length + apart.errors.length === 0 ? EXIT_OK : EXIT_FAILURE;
  } finally {
    await Promise.all(servers.map((server) => server.shutdown(0)));
  }
});

/** Runs `fetch` with a live progress display on stderr when it is a terminal. */
async function withProgress<T>(
  reactor: Reactor,
  labels: readonly string[],
  fetch: (onEvent: FetchEventListener | undefined) => Promise<T>,
): Promise<T> {
  if (process.stderr.isTTY !== true) return fetch(undefined);
  const colors = colorsFor(process.stderr, process.env);
  const progress = new ProgressRenderer(labels, { stream: process.stderr, clock: reactor, colors });
  progress.render();
  try {
    return await fetch(progress.onEvent);
  } finally {
    progress.stop();
  }
}

/**
 * The tutorial's poetry_main: a getPoetry per address with gotPoem and poemFailed, and the
 * reactor stopped by the main program once poems plus errors equal the number of addresses.
 */
async function fetchTogether(
  reactor: Reactor,
  addresses: readonly Address[],
  onEvent: FetchEventListener | undefined,
): Promise<Fetched> {
  const poems = new Array<Poem | undefined>(addresses.length);
  const errors: Error[] = [];
  let done = 0;
  const started = reactor.seconds();
  let elapsedSeconds = 0;

  function poemDone(): void {
    done++;
    if (done === addresses.length) {
      elapsedSeconds = reactor.seconds() - started;
      reactor.stop();
    }
  }

  const running = reactor.run();
  addresses.forEach((address, index) => {
    function gotPoem(poem: Poem): void {
      poems[index] = poem;
      poemDone();
    }
    function poemFailed(error: Error): void {
      errors.push(error);
      poemDone();
    }
    getPoetry(address.host, address.port, gotPoem, poemFailed, {
      reactor,
      index,
      onEvent,
    });
  });
  await running;
  return { poems, errors, elapsedSeconds };
}

/** The blocking client's way, kept asynchronous: each callback starts the next fetch. */
async function fetchOneAfterAnother(
  reactor: Reactor,
  addresses: readonly Address[],
  onEvent: FetchEventListener | undefined,
): Promise<Fetched> {
  const poems = new Array<Poem | undefined>(addresses.length);
  const errors: Error[] = [];
  const started = reactor.seconds();
  let elapsedSeconds = 0;

  function fetchFrom(index: number): void {
    if (index === addresses.length) {
      elapsedSeconds = reactor.seconds() - started;
      reactor.stop();
      return;
    }
    const address = addresses[index]!;
    getPoetry(
      address.host,
      address.port,
      (poem) => {
        poems[index] = poem;
        fetchFrom(index + 1);
      },
      (error) => {
        errors.push(error);
        fetchFrom(index + 1);
      },
      { reactor, index, onEvent },
    );
  }

  const running = reactor.run();
  fetchFrom(0);
  await running;
  return { poems, errors, elapsedSeconds };
}

function roundUp({ poems, errors, elapsedSeconds }: Fetched): string {
  const got = poems.filter((poem) => poem !== undefined).length;
  const failed = errors.length === 0 ? '' : `, ${errors.length} failed`;
  return `${got} poem${got === 1 ? '' : 's'}${failed} in ${elapsedSeconds.toFixed(1)} s`;
}
