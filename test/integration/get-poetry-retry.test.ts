// get-poetry --retries against real servers on loopback: refused then back, reset mid-poem, too large.

import { readdir, readFile } from 'node:fs/promises';
import * as net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllPeers, refusedPort, startPeer, startPoetryPeer } from '../helpers/peers.js';
import { killRunningClis, runCli, startCli } from '../helpers/run-cli.js';
import { removeScratchDirs, scratchDir } from '../helpers/scratch.js';

const POEM = 'I wandered lonely as a cloud\nThat floats on high o’er vales and hills,\n';

const servers = new Set<net.Server>();

afterEach(async () => {
  killRunningClis();
  await closeAllPeers();
  await Promise.all(
    [...servers].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
  servers.clear();
  await removeScratchDirs();
});

/** A poetry server on `port` exactly, started late: until then, connecting there is refused. */
async function listenOn(port: number, poem: string): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.end(poem);
  });
  servers.add(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, resolve);
  });
  return server;
}

/** Runs `get-poetry --json ARGS…`; returns its exit status and the document it printed. */
async function runJson(args: string[]) {
  const result = await runCli('get-poetry', ['--json', ...args]);
  return { status: result.status, document: JSON.parse(result.stdout.toString()) };
}

describe('get-poetry --retries', () => {
  it('gets the poem from a server that refuses twice, then comes up on the same port', async () => {
    const port = await refusedPort();
    const run = startCli('get-poetry', [
      '--json',
      '--verbose',
      '--retries',
      '3',
      '--retry-delay',
      '0.3',
      '--retry-max-delay',
      '2',
      `127.0.0.1:${port}`,
    ]);
    await run.stderrIncludes('(attempt 3 of 4): connection refused');
    await listenOn(port, POEM);
    const result = await run.done;
    expect(result.stderr).toMatch(
      /Task 1: retrying in 0\.\d+ s \(attempt 2 of 4\): connection refused/,
    );
    expect(result.status).toBe(0);
    const document = JSON.parse(result.stdout.toString());
    expect(document.poems).toEqual([
      {
        index: 1,
        address: `127.0.0.1:${port}`,
        attempts: 3,
        bytes: Buffer.byteLength(POEM),
        text: POEM,
      },
    ]);
  });

  it('refetches whole a poem whose connection was reset mid-way, into --output too', async () => {
    const dir = await scratchDir('get-poetry-retry-');
    let connections = 0;
    const peer = await startPeer((socket) => {
      if (++connections > 1) {
        socket.end(POEM);
        return;
      }
      socket.write(POEM.slice(0, 12), () => setTimeout(() => socket.resetAndDestroy(), 20));
    });
    const printed = await runCli('get-poetry', [
      '--retries',
      '2',
      '--retry-delay',
      '0.1',
      peer.address,
    ]);
    expect(printed.status).toBe(0);
    expect(printed.stdout.toString()).toBe(POEM);

    connections = 0;
    const stored = await runCli('get-poetry', [
      '--jsonl',
      '--output',
      dir,
      '--retries',
      '2',
      '--retry-delay',
      '0.1',
      peer.address,
    ]);
    expect(stored.status).toBe(0);
    const [record] = stored.stdout
      .toString()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(record).toMatchObject({ index: 1, attempts: 2, bytes: Buffer.byteLength(POEM) });
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect(await readFile(join(dir, files[0]!), 'utf8')).toBe(POEM);
  });

  it('does not retry a poem too large: one connection, attempts 1', async () => {
    const peer = await startPoetryPeer(Buffer.alloc(64 * 1024, 'x'));
    const { status, document } = await runJson([
      '--max-bytes',
      '1KiB',
      '--retries',
      '3',
      '--retry-delay',
      '0.05',
      peer.address,
    ]);
    expect(status).toBe(1);
    expect(document.failures).toEqual([
      expect.objectContaining({ attempts: 1, code: 'ERR_POEM_TOO_LARGE' }),
    ]);
    expect(peer.connections).toBe(1);
  });

  it('gives up after the retries, with the last reason and every attempt counted', async () => {
    const port = await refusedPort();
    const { status, document } = await runJson([
      '--retries',
      '2',
      '--retry-delay',
      '0.05',
      `127.0.0.1:${port}`,
    ]);
    expect(status).toBe(1);
    expect(document.failures).toEqual([
      expect.objectContaining({ attempts: 3, code: 'ERR_CONNECTION_REFUSED' }),
    ]);
  });

  it('bounds all tries together by --timeout', async () => {
    const port = await refusedPort();
    const { status, document } = await runJson([
      '--timeout',
      '0.5',
      '--retries',
      '100',
      '--retry-delay',
      '0.2',
      `127.0.0.1:${port}`,
    ]);
    expect(status).toBe(1);
    const [failure] = document.failures;
    expect(failure.code).toBe('ERR_POEM_TIMEOUT');
    expect(failure.attempts).toBeGreaterThan(1);
    expect(failure.attempts).toBeLessThan(5);
  });
});
