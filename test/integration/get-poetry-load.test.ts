// get-poetry under load: 2,000 concurrent fetches from one loopback server, none lost.

import { afterEach, expect, it } from 'vitest';
import { closeAllPeers, startPoetryPeer } from '../helpers/peers.js';
import { killRunningClis, runCli } from '../helpers/run-cli.js';

const FETCHES = 2000;

afterEach(async () => {
  killRunningClis();
  await closeAllPeers();
});

it('fetches 2,000 poems at once from one server and loses none', async () => {
  // Two writes per poem, so each fetch sees more than one chunk.
  const server = await startPoetryPeer('Poem number one of many,\nall of them the same.\n', {
    chunkSize: 25,
    delayMs: 5,
  });
  const poem = 'Poem number one of many,\nall of them the same.\n';
  const addresses = Array.from({ length: FETCHES }, () => server.address);
  const result = await runCli(
    'get-poetry',
    ['--json', '--concurrency', String(FETCHES), '--connect-timeout', '20', ...addresses],
    { timeoutMs: 50_000 },
  );
  expect(result.stderr).not.toContain('failed');
  expect(result.status).toBe(0);
  const document = JSON.parse(result.stdout.toString()) as {
    poems: { index: number; text: string }[];
    failures: unknown[];
  };
  expect(document.failures).toEqual([]);
  expect(document.poems).toHaveLength(FETCHES);
  expect(document.poems.map((p) => p.index)).toEqual(
    Array.from({ length: FETCHES }, (_, i) => i + 1),
  );
  expect(document.poems.every((p) => p.text === poem)).toBe(true);
  expect(server.connections).toBe(FETCHES);
}, 60_000);
