// The timeline of a real loopback run, opened in headless Chromium: lanes, marks, hover, pixels;
// and the picture of both models (two runs, one above the other, each with its thread's lane).

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionRefusedError } from '../../src/internet/errors.js';
import { Reactor } from '../../src/internet/reactor.js';
import type { ChunkEvent } from '../../src/poetry/events.js';
import { fetchPoems, type PoemResult, poemsAsCompleted } from '../../src/poetry/fetch.js';
import {
  renderTimelineHtml,
  TimelineRecorder,
  type TimelineRun,
} from '../../src/timeline/index.js';
import { colourStats, decodePng } from './png.js';

/** Debian's package; CI installs it (`apt-get install -y chromium`). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Run as root on a closed network, Chromium needs all of these. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Between a server's pieces, in milliseconds: long enough that they arrive as separate chunks. */
const PIECE_DELAY_MS = 50;

const POEMS = [
  ['That time of year thou mayst in me behold\n', 'When yellow leaves, or none, or few, do hang\n'],
  [
    'Shall I compare thee ',
    'to a summer’s day?\n',
    'Thou art more lovely ',
    'and more temperate:\n',
    'Rough winds do shake ',
    'the darling buds of May.\n',
  ],
];

interface PoetryPeer {
  readonly server: Server;
  readonly port: number;
  readonly sockets: Set<Socket>;
  readonly timers: Set<NodeJS.Timeout>;
}

/** A slow poetry server on loopback: each piece of the poem, then a pause, then a clean close. */
async function startPoetryPeer(pieces: readonly string[]): Promise<PoetryPeer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let next = 0;
    const send = (): void => {
      if (socket.destroyed) return;
      if (next === pieces.length) {
        socket.end();
        return;
      }
      socket.write(pieces[next++]!);
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, PIECE_DELAY_MS);
      timers.add(timer);
    };
    send();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port, sockets, timers };
}

async function closePeer(peer: PoetryPeer): Promise<void> {
  for (const timer of peer.timers) clearTimeout(timer);
  for (const socket of peer.sockets) socket.destroy();
  await new Promise<void>((resolve) => peer.server.close(() => resolve()));
}

/** A loopback port nothing listens on: bound, then closed, so connecting is refused. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

/**
 * Opens `file` in Chromium with a profile in `tempDir`, noting every URL the page asks for in
 * `requests`; the caller closes the context.
 */
async function openInChromium(
  tempDir: string,
  file: string,
  viewportHeight: number,
  requests: string[],
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(join(tempDir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: viewportHeight },
    timeout: 30_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(file).href, { timeout: 15_000 });
  return { context, page };
}

function chunksOf(run: TimelineRun, lane: number): ChunkEvent[] {
  return run.events.filter(
    (event): event is ChunkEvent => event.type === 'chunk' && event.index === lane,
  );
}

describe('the timeline in a real browser', () => {
  const peers: PoetryPeer[] = [];
  const reported: unknown[] = [];
  const reactor = new Reactor({ reportError: (error) => reported.push(error) });
  let tempDir = '';
  let context: BrowserContext | undefined;
  let page: Page;
  let run: TimelineRun;
  let results: PoemResult[];
  let addresses: string[];
  const requests: string[] = [];
  /** Why setting up failed: every test then fails with it, rather than being skipped. */
  let setupError: unknown;

  /** Throws the setup's failure (no Chromium, say), so each test fails with the reason. */
  function ready(): void {
    if (setupError !== undefined) throw setupError;
  }

  beforeAll(async () => {
    try {
      await setUp();
    } catch (error) {
      setupError = error;
    }
  }, 60_000);

  async function setUp(): Promise<void> {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}: this test needs it (apt-get install -y ` +
          'chromium, as .ci/run does, or set CHROMIUM_PATH)',
      );
    }
    tempDir = mkdtempSync(join(tmpdir(), 'poetry-timeline-'));
    for (const poem of POEMS) peers.push(await startPoetryPeer(poem));
    addresses = [
      ...peers.map((peer) => `127.0.0.1:${peer.port}`),
      `127.0.0.1:${await refusedPort()}`,
    ];

    const recorder = new TimelineRecorder(reactor, addresses);
    results = await fetchPoems(addresses, {
      reactor,
      onEvent: recorder.onEvent,
      timeouts: { connectSeconds: 10, idleSeconds: 10 },
    });
    run = recorder.finish();
    const file = join(tempDir, 'timeline.html');
    writeFileSync(file, renderTimelineHtml(run));

    ({ context, page } = await openInChromium(tempDir, file, 700, requests));
  }

  afterAll(async () => {
    await context?.close();
    await Promise.all(peers.map(closePeer));
    // Running then stopping the reactor aborts whatever a failed test left open.
    const stopped = reactor.run();
    reactor.stop();
    await stopped;
    if (tempDir !== '') rmSync(tempDir, { recursive: true, force: true });
  }, 30_000);

  it('records a real run: two poems, one refused address, each poem in several chunks', () => {
    ready();
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    const refused = results[2]!;
    expect(refused.status === 'rejected' && refused.reason).toBeInstanceOf(ConnectionRefusedError);
    // A busy machine may read two pieces at once, so fewer chunks than pieces is fine.
    expect(chunksOf(run, 0).length).toBeGreaterThanOrEqual(1);
    expect(chunksOf(run, 1).length).toBeGreaterThanOrEqual(2);
    expect(reported).toEqual([]);
  });

  it('draws one lane per address, top to bottom in argument order, labelled with the address', async () => {
    ready();
    const lanes = await page.locator('g.lane').evaluateAll((elements) =>
      elements.map((element) => ({
        lane: Number(element.getAttribute('data-lane')),
        address: element.getAttribute('data-address'),
        label: element.querySelector('text.label')?.textContent ?? '',
        top: element.querySelector('text.label')?.getBoundingClientRect().top ?? Number.NaN,
      })),
    );
    expect(lanes).toHaveLength(addresses.length);
    const byPosition = [...lanes].sort((a, b) => a.top - b.top);
    expect(byPosition.map((lane) => lane.lane)).toEqual([0, 1, 2]);
    expect(byPosition.map((lane) => lane.address)).toEqual(addresses);
    expect(byPosition.map((lane) => lane.label)).toEqual(addresses);
  });

  it('draws as many chunk marks as the run received chunks, lane by lane', async () => {
    ready();
    const total = run.events.filter((event) => event.type === 'chunk').length;
    await expect(page.locator('g.chunk').count()).resolves.toBe(total);
    for (let lane = 0; lane < addresses.length; lane++) {
      const marks = page.locator(`g.chunk[data-lane="${lane}"]`);
      const bytes = await marks.evaluateAll((elements) =>
        elements.map((element) => Number(element.getAttribute('data-bytes'))),
      );
      expect(bytes).toEqual(chunksOf(run, lane).map((chunk) => chunk.bytes));
    }
  });

  it("shows a chunk's time, bytes and address while the pointer is over it", async () => {
    ready();
    const chunks = chunksOf(run, 1);
    // A mark after the first, away from the connection markers at the start of the lane.
    const nth = Math.min(2, chunks.length - 1);
    const chunk = chunks[nth]!;
    const mark = page.locator('g.chunk[data-lane="1"]').nth(nth);
    const details = mark.locator('.details');
    await expect(details.isVisible()).resolves.toBe(false);
    await mark.locator('rect.mark').hover({ timeout: 10_000 });
    await expect(details.isVisible()).resolves.toBe(true);
    const seconds = (chunk.seconds - run.startSeconds!).toFixed(3);
    const text = await details.textContent();
    expect(text).toContain(addresses[1]);
    expect(text).toContain(`${chunk.bytes} bytes at ${seconds} s`);
    const box = await details.boundingBox();
    expect(box?.width).toBeGreaterThan(50);
    await page.mouse.move(0, 0);
    await expect(details.isVisible()).resolves.toBe(false);
  });

  it('marks the refused address as failed, with the reason', async () => {
    ready();
    const lane = page.locator('g.lane[data-lane="2"]');
    await expect(lane.getAttribute('data-outcome')).resolves.toBe('failed');
    await expect(lane.locator('.failure-text').textContent()).resolves.toContain(
      'ConnectionRefusedError',
    );
    await expect(lane.locator('.failure-text').isVisible()).resolves.toBe(true);
    await expect(page.locator('g.lane[data-lane="0"]').getAttribute('data-outcome')).resolves.toBe(
      'done',
    );
  });

  it('loads nothing but the page itself and runs no script', async () => {
    ready();
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
    await expect(page.locator('script').count()).resolves.toBe(0);
  });

  it('renders a picture, not a blank page', async () => {
    ready();
    const image = decodePng(await page.screenshot({ fullPage: true, timeout: 15_000 }));
    expect(image.width).toBeGreaterThan(500);
    const { colours, inkFraction } = colourStats(image);
    // Text, marks in several colours and antialiasing: far more than a blank page's one colour.
    expect(colours).toBeGreaterThan(20);
    expect(inkFraction).toBeGreaterThan(0.05);
  });
});

describe('the picture of both models in a real browser', () => {
  const peers: PoetryPeer[] = [];
  const reactor = new Reactor();
  let tempDir = '';
  let context: BrowserContext | undefined;
  let page: Page;
  let runs: TimelineRun[] = [];
  const requests: string[] = [];
  let setupError: unknown;

  function ready(): void {
    if (setupError !== undefined) throw setupError;
  }

  beforeAll(async () => {
    try {
      if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}`);
      tempDir = mkdtempSync(join(tmpdir(), 'poetry-models-'));
      for (const poem of POEMS) peers.push(await startPoetryPeer(poem));
      const addresses = peers.map((peer) => `127.0.0.1:${peer.port}`);
      const names = ['Sonnet 73', 'Sonnet 18'];
      // One after another, then all at once: the same fetches, each run with its thread.
      const apart = new TimelineRecorder(reactor, addresses, {
        title: 'One after another',
        laneNames: names,
        eventLoop: true,
      });
      await fetchPoems(addresses, { reactor, concurrency: 1, onEvent: apart.onEvent });
      const together = new TimelineRecorder(reactor, addresses, {
        title: 'All at once, on one event loop',
        laneNames: names,
        eventLoop: true,
      });
      for await (const _ of poemsAsCompleted(addresses, { reactor, onEvent: together.onEvent })) {
        // Each result as it ends; the recorder has the events.
      }
      runs = [apart.finish(), together.finish()];
      const file = join(tempDir, 'models.html');
      writeFileSync(file, renderTimelineHtml(runs));
      ({ context, page } = await openInChromium(tempDir, file, 900, requests));
    } catch (error) {
      setupError = error;
    }
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await Promise.all(peers.map(closePeer));
    if (tempDir !== '') rmSync(tempDir, { recursive: true, force: true });
  }, 30_000);

  it('draws both runs, one above the other, titled, each with a lane per poem', async () => {
    ready();
    const drawn = await page.locator('g.run').evaluateAll((elements) =>
      elements.map((element) => ({
        title: element.querySelector('.run-title')?.textContent ?? '',
        top: element.querySelector('.run-title')?.getBoundingClientRect().top ?? Number.NaN,
        lanes: element.querySelectorAll('g.lane').length,
        labels: [...element.querySelectorAll('g.lane text.label')].map((t) => t.textContent),
      })),
    );
    drawn.sort((a, b) => a.top - b.top);
    expect(drawn.map((run) => run.title)).toEqual([
      'One after another',
      'All at once, on one event loop',
    ]);
    expect(drawn.map((run) => run.lanes)).toEqual([2, 2]);
    for (const run of drawn) {
      expect(run.labels.sort()).toEqual(
        [
          `Sonnet 18 · 127.0.0.1:${peers[1]!.port}`,
          `Sonnet 73 · 127.0.0.1:${peers[0]!.port}`,
        ].sort(),
      );
    }
  });

  it("draws the thread's lane under each run's fetches, visible", async () => {
    ready();
    const lanes = page.locator('g.thread-lane');
    await expect(lanes.count()).resolves.toBe(2);
    for (let i = 0; i < 2; i++) {
      const run = page.locator(`g.run[data-run="${i}"]`);
      const threadTop = (await run.locator('g.thread-lane .thread-track').boundingBox())!.y;
      const laneTops = await run
        .locator('g.lane text.label')
        .evaluateAll((els) => els.map((el) => el.getBoundingClientRect().top));
      for (const top of laneTops) expect(top).toBeLessThan(threadTop);
      await expect(run.locator('g.thread-lane text.thread-label').isVisible()).resolves.toBe(true);
      expect(await run.locator('g.thread-slice').count()).toBeGreaterThan(0);
    }
  });

  it("shows a thread slice's time in callbacks while the pointer is over it", async () => {
    ready();
    const slice = page.locator('g.run[data-run="1"] g.thread-slice').first();
    const details = slice.locator('.details');
    await expect(details.isVisible()).resolves.toBe(false);
    await slice.locator('rect.thread-hit').hover({ timeout: 10_000, force: true });
    await expect(details.isVisible()).resolves.toBe(true);
    const text = await details.textContent();
    expect(text).toContain('event loop thread');
    expect(text).toMatch(/in callbacks \d+\.\d ms of \d+\.\d ms/);
    await page.mouse.move(0, 0);
    await expect(details.isVisible()).resolves.toBe(false);
  });

  it("draws the thread's busy samples as bars, and a pointer on a bar reaches the slice under it", async () => {
    ready();
    const bars = page.locator('g.run[data-run="1"] g.thread-bars rect.thread-busy');
    expect(await bars.count()).toBeGreaterThan(0);
    // The tallest bar: where the pointer is most likely to land on a bar rather than beside it.
    const boxes = await bars.evaluateAll((els) =>
      els.map((el) => {
        const { x, y, width, height } = el.getBoundingClientRect();
        return { x, y, width, height };
      }),
    );
    const tallest = boxes.reduce((a, b) => (b.height > a.height ? b : a));
    await page.mouse.move(tallest.x + tallest.width / 2, tallest.y + tallest.height - 0.5);
    const shown = page.locator('g.run[data-run="1"] g.thread-slice .details:visible');
    await expect(shown.count()).resolves.toBe(1);
    expect(await shown.textContent()).toMatch(/in callbacks \d+\.\d ms of \d+\.\d ms/);
    await page.mouse.move(0, 0);
  });

  it("shows a chunk's details on hover in either run", async () => {
    ready();
    for (const run of [0, 1]) {
      const mark = page.locator(`g.run[data-run="${run}"] g.chunk`).first();
      await mark.locator('rect.mark').hover({ timeout: 10_000, force: true });
      await expect(mark.locator('.details').isVisible()).resolves.toBe(true);
      await expect(mark.locator('.details').textContent()).resolves.toContain('bytes at');
      await page.mouse.move(0, 0);
    }
  });

  it('loads nothing but the page itself and runs no script', async () => {
    ready();
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
    await expect(page.locator('script').count()).resolves.toBe(0);
  });

  it('renders a picture, not a blank page', async () => {
    ready();
    const image = decodePng(await page.screenshot({ fullPage: true, timeout: 15_000 }));
    const { colours, inkFraction } = colourStats(image);
    expect(colours).toBeGreaterThan(20);
    expect(inkFraction).toBeGreaterThan(0.05);
  });
});
