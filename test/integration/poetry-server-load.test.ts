// poetry-server under load on loopback: a thousand readers at once, and a large poem served
// exactly to a reader that keeps pausing. How fast, and at what cost in memory, vary with the
// machine: these tests assert only what cannot.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeNumberedPoem } from '../helpers/numbered-poem.js';
import { removeScratchDirs, scratchDir } from '../helpers/scratch.js';
import { binaryPoem, expectSameBytes } from '../helpers/server-memory.js';
import { startServer, stopServersAndReaders } from '../helpers/server-process.js';
import { readPoem } from '../helpers/server-reader.js';

const ODE = fileURLToPath(new URL('../fixtures/server/multibyte-ode.txt', import.meta.url));
const ODE_BYTES = readFileSync(ODE);
const MiB = 1 << 20;

let dir: string;

beforeAll(async () => {
  dir = await scratchDir('poetry-server-load-');
});
afterEach(stopServersAndReaders);
afterAll(removeScratchDirs);

describe('poetry-server under load', () => {
  it('serves a thousand readers connecting at once, each the same exact poem', async () => {
    const server = await startServer(['--delay', '0.05', '--num-bytes', '48', ODE]);
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => readPoem(server.host, server.port, { timeoutMs: 25_000 })),
    );
    for (const result of results) {
      expectSameBytes(result.data, ODE_BYTES);
      expect(result.clean).toBe(true);
    }
    const done = await server.waitForLines((line) => line.includes(' done: 475 bytes'), 1000);
    expect(done).toHaveLength(1000);
    expect(server.lines.filter((line) => line.endsWith(' connected'))).toHaveLength(1000);
    expect(server.lines.some((line) => line.startsWith('dropped'))).toBe(false);
  }, 30_000);

  it('serves a 64 MiB poem from disk exactly to a reader that keeps pausing, once for a second', async () => {
    const path = join(dir, 'huge.bin');
    const expected = await writeNumberedPoem(path, 64, binaryPoem(MiB, 11));
    const server = await startServer(['--delay', '0', '--quiet', path]);
    let stalled = false;
    let nextPause = 4 * MiB;
    const result = await readPoem(server.host, server.port, {
      keep: false,
      timeoutMs: 40_000,
      // Slower than the disk: a pause every 4 MiB, and one full second without reading at
      // 16 MiB, so the server must hold off and then carry on where it stopped.
      onData: (_chunk, socket, received) => {
        if (received < nextPause) return;
        nextPause += 4 * MiB;
        socket.pause();
        const pauseMs = !stalled && received >= 16 * MiB ? 1000 : 40;
        if (pauseMs === 1000) stalled = true;
        setTimeout(() => socket.resume(), pauseMs);
      },
    });
    expect(stalled).toBe(true);
    expect(result.byteLength).toBe(64 * MiB);
    expect(result.sha256).toBe(expected);
    expect(result.clean).toBe(true);
    expect(server.stderr).toBe('');
  }, 45_000);
});
