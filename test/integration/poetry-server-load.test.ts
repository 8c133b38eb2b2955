// poetry-server under load on loopback: a thousand readers at once, and a 256 MiB poem served
// fast to a slow reader while the server's memory stays flat.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { binaryPoem, expectSameBytes } from '../helpers/server-memory.js';
import { killAllServers, memoryOf, startServer } from '../helpers/server-process.js';
import { destroyAllReaders, readPoem } from '../helpers/server-reader.js';

const ODE = fileURLToPath(new URL('../fixtures/server/multibyte-ode.txt', import.meta.url));
const ODE_BYTES = readFileSync(ODE);
const MiB = 1 << 20;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'poetry-server-load-'));
});

afterEach(async () => {
  destroyAllReaders();
  await killAllServers();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `mib` MiB of deterministic bytes (every MiB numbered, so a misplaced block shows). */
async function writeBigPoem(path: string, mib: number): Promise<string> {
  const base = binaryPoem(MiB, 11);
  const hash = createHash('sha256');
  const file = await open(path, 'w');
  try {
    for (let i = 0; i < mib; i++) {
      const block = Buffer.from(base);
      block.writeUInt32BE(i, 0);
      hash.update(block);
      await file.write(block);
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

describe('poetry-server under load', () => {
  it('serves a thousand readers connecting at once, each the same exact poem', async () => {
    const server = await startServer(['--delay', '0.05', '--num-bytes', '48', ODE]);
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => readPoem(server.host, server.port, { timeoutMs: 25_000 })),
    );
    const wallMs = performance.now() - started;
    for (const result of results) {
      expectSameBytes(result.data, ODE_BYTES);
      expect(result.clean).toBe(true);
    }
    const done = await server.waitForLines((line) => line.includes(' done: 475 bytes'), 1000);
    expect(done).toHaveLength(1000);
    expect(server.lines.filter((line) => line.endsWith(' connected'))).toHaveLength(1000);
    expect(server.lines.some((line) => line.startsWith('dropped'))).toBe(false);
    console.info(`1,000 readers, 10 chunks each 0.05 s apart: ${wallMs.toFixed(0)} ms wall`);
  }, 30_000);

  it('serves a 256 MiB poem fast to a slow reader with the server memory staying flat', async () => {
    const path = join(dir, 'huge.bin');
    const expected = await writeBigPoem(path, 256);
    const server = await startServer(['--delay', '0', '--quiet', path]);
    const baseline = memoryOf(server.pid).rssBytes;
    let maxRss = baseline;
    const sampler = setInterval(() => {
      maxRss = Math.max(maxRss, memoryOf(server.pid).rssBytes);
    }, 25);
    let stalled = false;
    let nextPause = 4 * MiB;
    try {
      const result = await readPoem(server.host, server.port, {
        keep: false,
        timeoutMs: 40_000,
        // Slower than the disk: a pause every 4 MiB, and one full second without reading at
        // 64 MiB, so the server must hold off rather than buffer the file.
        onData: (_chunk, socket, received) => {
          if (received < nextPause) return;
          nextPause += 4 * MiB;
          socket.pause();
          const pauseMs = !stalled && received >= 64 * MiB ? 1000 : 40;
          if (pauseMs === 1000) stalled = true;
          setTimeout(() => socket.resume(), pauseMs);
        },
      });
      expect(result.byteLength).toBe(256 * MiB);
      expect(result.sha256).toBe(expected);
      expect(result.clean).toBe(true);
    } finally {
      clearInterval(sampler);
    }
    const { peakBytes } = memoryOf(server.pid);
    const growth = Math.max(maxRss, peakBytes) - baseline;
    console.info(
      `256 MiB to a slow reader: server RSS ${(baseline / MiB).toFixed(0)} MiB at start, ` +
        `peak ${(Math.max(maxRss, peakBytes) / MiB).toFixed(0)} MiB (+${(growth / MiB).toFixed(0)} MiB)`,
    );
    expect(stalled).toBe(true);
    // Each block read is garbage once sent, and V8 collects external memory lazily (its soft
    // limit is 64 MiB), so the server grows by a bounded amount: about 40 MiB whether the poem
    // is 256 MiB or 1 GiB. Reading the file whole would add the poem's size.
    expect(growth).toBeLessThan(64 * MiB);
  }, 45_000);
});
