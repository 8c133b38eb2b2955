// poetry-server, spawned as a user runs it, against readers that never read and with too few
// file descriptors: it keeps serving the others, and recovers. (Its memory meanwhile varies with
// the machine, so no test asserts it; that a held-off reader makes it read nothing more is a
// unit test.)

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReader, whenConnected } from '../helpers/readers.js';
import { runtimeCommand, runtimeEnv, skipUnder } from '../helpers/runtime.js';
import { removeScratchDirs, scratchDir } from '../helpers/scratch.js';
import { binaryPoem } from '../helpers/server-memory.js';
import { SERVER_CLI, startServer, stopServersAndReaders } from '../helpers/server-process.js';
import { readPoem, sha256 } from '../helpers/server-reader.js';

const MiB = 1024 * 1024;
let dir: string;
const limited = new Set<ChildProcess>();

beforeAll(async () => {
  dir = await scratchDir('faults-server-');
});

afterEach(async () => {
  await stopServersAndReaders();
  for (const child of limited) child.kill('SIGKILL');
  limited.clear();
});

afterAll(removeScratchDirs);

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
    ['-c', `ulimit -n ${maxOpenFiles} && exec "$0" "$@"`, ...runtimeCommand(SERVER_CLI, args)],
    { stdio: ['ignore', 'pipe', 'pipe'], env: runtimeEnv() },
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
  it('serves a 16 MiB poem exactly to a reader while 200 others sit on it without reading', async () => {
    const poem = binaryPoem(16 * MiB, 9);
    const path = join(dir, 'big.bin');
    await writeFile(path, poem);
    const server = await startServer(['--delay', '0', '--iface', '127.0.0.1', path]);
    const sitters = Array.from({ length: 200 }, () =>
      startReader('never-read', server.host, server.port),
    );
    await Promise.all(sitters.map(whenConnected));
    await server.waitForLines((line) => line.endsWith(' connected'), 200);
    const result = await readPoem(server.host, server.port, { keep: false, timeoutMs: 25_000 });
    expect(result.byteLength).toBe(poem.length);
    expect(result.sha256).toBe(sha256(poem));
    expect(result.clean).toBe(true);
    await server.waitForLine((line) => line.includes(' done: '));
    // The reader is the only one to have ended: no sitter was cut, lost or dropped.
    const ended = server.lines.filter((line) =>
      /^(reader .* (done|lost|cut)\b|dropped)/.test(line),
    );
    expect(ended).toEqual([expect.stringMatching(/ done: 16777216 bytes in /)]);
    expect(server.child.exitCode).toBe(null);
    expect(server.stderr).toBe('');
  }, 30_000);
});

describe('poetry-server out of file descriptors', () => {
  it('serves every reader it accepts exactly under ulimit -n 64, and all of them once descriptors free up', async (context) => {
    skipUnder(
      context,
      ['deno'],
      'Deno 2 panics (in its signal handling, unwrapping EMFILE) or stalls once the process is out of descriptors',
    );
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
