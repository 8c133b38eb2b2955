// poetry-server, spawned as a user runs it, against readers that never read and with too few
// file descriptors: its memory stays flat, and it keeps serving and recovers.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { destroyHostileReaders, startReader, whenConnected } from '../helpers/readers.js';
import { binaryPoem } from '../helpers/server-memory.js';
import { killAllServers, memoryOf, SERVER_CLI, startServer } from '../helpers/server-process.js';
import { destroyAllReaders, readPoem } from '../helpers/server-reader.js';

const MiB = 1024 * 1024;
let dir: string;
const limited = new Set<ChildProcess>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faults-server-'));
});

afterEach(async () => {
  destroyHostileReaders();
  destroyAllReaders();
  await killAllServers();
  for (const child of limited) child.kill('SIGKILL');
  limited.clear();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface LimitedServer {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
}

/** Starts poetry-server under `ulimit -n maxOpenFiles` and resolves once it serves. */
async function startLimitedServer(maxOpenFiles: number, args: string[]): Promise<LimitedServer> {
  const child = spawn(
    '/bin/sh',
    ['-c', `ulimit -n ${maxOpenFiles} && exec "$0" "$@"`, process.execPath, SERVER_CLI, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  limited.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    stderr += text;
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (text: string) => {
      stdout += text;
      const match = /^Serving .* on 127\.0\.0\.1:(\d+)$/m.exec(stdout);
      if (match !== null) resolve(Number(match[1]));
    });
    child.once('exit', () => reject(new Error(`poetry-server exited: ${stderr}`)));
  });
  return { child, port, stdout: () => stdout, stderr: () => stderr };
}

describe('poetry-server against readers that never read', () => {
  it('keeps its memory flat with 200 readers sitting on a 16 MiB poem', async () => {
    const path = join(dir, 'big.bin');
    await writeFile(path, binaryPoem(16 * MiB, 9));
    const server = await startServer(['--delay', '0', '--quiet', '--iface', '127.0.0.1', path]);
    const baseline = memoryOf(server.pid).rssBytes;
    const readers = Array.from({ length: 200 }, () =>
      startReader('never-read', server.host, server.port),
    );
    await Promise.all(readers.map(whenConnected));
    // Every reader takes what the kernel buffers hold and then nothing: give the server time
    // to send all it can, then look at its memory.
    let peak = baseline;
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline) {
      peak = Math.max(peak, memoryOf(server.pid).rssBytes);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const growth = Math.max(peak, memoryOf(server.pid).peakBytes) - baseline;
    console.info(
      `200 readers never reading 16 MiB: server RSS +${(growth / MiB).toFixed(1)} MiB ` +
        `(buffering the poem for each would be +3200 MiB)`,
    );
    for (const r of readers) r.close();
    // A block or two and a socket buffer per reader, collected lazily (V8 frees external
    // memory in batches): well under a MiB each, where a copy of the poem each is 3,200 MiB.
    expect(growth).toBeLessThan(160 * MiB);
    expect(server.stderr).toBe('');
  }, 30_000);
});

describe('poetry-server out of file descriptors', () => {
  it('serves every reader it accepts exactly under ulimit -n 64, and all of them once descriptors free up', async () => {
    const poem = binaryPoem(600, 10);
    const path = join(dir, 'small.bin');
    await writeFile(path, poem);
    const server = await startLimitedServer(64, [
      '--delay',
      '0.05',
      '--num-bytes',
      '60',
      '--quiet',
      '--iface',
      '127.0.0.1',
      path,
    ]);

    // Far more readers at once than it has descriptors for.
    const crowd = await Promise.all(
      Array.from({ length: 200 }, () => readPoem('127.0.0.1', server.port, { timeoutMs: 20_000 })),
    );
    let whole = 0;
    for (const result of crowd) {
      if (result.byteLength === poem.length && result.clean) {
        expect(Buffer.compare(result.data, poem)).toBe(0);
        whole++;
      } else {
        // Turned away for want of a descriptor: nothing at all, never part of the poem.
        expect(result.byteLength).toBe(0);
      }
    }
    expect(whole).toBeGreaterThan(0);

    // The crowd has gone: everyone is served again.
    const after = await Promise.all(
      Array.from({ length: 30 }, () => readPoem('127.0.0.1', server.port, { timeoutMs: 20_000 })),
    );
    for (const result of after) {
      expect(result.clean).toBe(true);
      expect(Buffer.compare(result.data, poem)).toBe(0);
    }
    expect(server.child.exitCode).toBe(null);
    expect(server.stderr()).toBe('');
    console.info(`ulimit -n 64, 200 readers at once: ${whole} served, ${200 - whole} turned away`);
  }, 45_000);
});
