// The built poetry-server command on loopback, read by raw sockets: exact bytes, slow and fast,
// empty poems, half-closing and departing readers, the log, IPv6 and the connection cap.

import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { skipUnder } from '../helpers/runtime.js';
import { removeScratchDirs, scratchDir } from '../helpers/scratch.js';
import { binaryPoem, expectSameBytes } from '../helpers/server-memory.js';
import { startServer, stopServersAndReaders } from '../helpers/server-process.js';
import { connectRaw, readPoem } from '../helpers/server-reader.js';

const ODE = fileURLToPath(new URL('../fixtures/server/multibyte-ode.txt', import.meta.url));
const ODE_BYTES = readFileSync(ODE);

let dir: string;

beforeAll(async () => {
  dir = await scratchDir('poetry-server-it-');
});

afterEach(stopServersAndReaders);

afterAll(removeScratchDirs);

describe('poetry-server serves the file byte for byte', () => {
  it('prints "Serving FILE on HOST:PORT" first, with the real port when 0 was asked', async () => {
    const server = await startServer(['--port', '0', '--iface', '127.0.0.1', ODE]);
    expect(server.lines[0]).toBe(`Serving ${ODE} on 127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
  });

  it('sends multi-byte UTF-8 text exactly, in chunks that split characters', async () => {
    const server = await startServer(['--delay', '0.01', '--num-bytes', '7', ODE]);
    const result = await readPoem(server.host, server.port);
    expectSameBytes(result.data, ODE_BYTES);
    expect(result.data.toString('utf8')).toBe(ODE_BYTES.toString('utf8'));
    expect(result.clean).toBe(true);
  });

  it('sends the whole poem at once in fast mode', async () => {
    const server = await startServer(['--delay', '0', ODE]);
    const result = await readPoem(server.host, server.port);
    expectSameBytes(result.data, ODE_BYTES);
    expect(result.clean).toBe(true);
  });

  it('sends a binary file of every byte value exactly, paced and fast', async () => {
    const poem = binaryPoem(100_000, 7);
    const path = join(dir, 'poem.bin');
    await writeFile(path, poem);
    const paced = await startServer(['--delay', '0.005', '--num-bytes', '4096', path]);
    const fast = await startServer(['--delay', '0', path]);
    const [slowResult, fastResult] = await Promise.all([
      readPoem(paced.host, paced.port),
      readPoem(fast.host, fast.port),
    ]);
    expectSameBytes(slowResult.data, poem);
    expectSameBytes(fastResult.data, poem);
  });

  it('streams a file too large to hold in memory from disk, exactly', async () => {
    const poem = Buffer.concat(Array.from({ length: 20 }, (_, i) => binaryPoem(1 << 20, i + 1)));
    const path = join(dir, 'big.bin');
    await writeFile(path, poem);
    const server = await startServer(['--delay', '0', '--quiet', path]);
    const results = await Promise.all([1, 2, 3].map(() => readPoem(server.host, server.port)));
    for (const result of results) {
      expectSameBytes(result.data, poem);
      expect(result.clean).toBe(true);
    }
  });

  it('serves an empty file as an empty poem with a clean close', async () => {
    const path = join(dir, 'empty.txt');
    await writeFile(path, '');
    const server = await startServer(['--delay', '0.5', path]);
    const result = await readPoem(server.host, server.port);
    expect(result.byteLength).toBe(0);
    expect(result.clean).toBe(true);
    await server.waitForLine((line) => / done: 0 bytes in /.test(line));
  });

  it('serves on IPv6 loopback, printing the address in brackets', async () => {
    const server = await startServer(['--iface', '::1', '--delay', '0', ODE]);
    expect(server.lines[0]).toBe(`Serving ${ODE} on [::1]:${server.port}`);
    const result = await readPoem('::1', server.port);
    expectSameBytes(result.data, ODE_BYTES);
  });
});

describe('poetry-server and its readers', () => {
  it('sends the whole poem to a reader that half-closes right after connecting', async (context) => {
    skipUnder(
      context,
      ['deno'],
      // The same write once 'end' has come goes through; so the reader gets nothing.
      'Deno 2 fails a write to an accepted socket with EPIPE when the peer’s FIN has arrived but not yet been read',
    );
    const server = await startServer(['--delay', '0.01', '--num-bytes', '50', ODE]);
    const result = await readPoem(server.host, server.port, { halfClose: true });
    expectSameBytes(result.data, ODE_BYTES);
    expect(result.clean).toBe(true);
  });

  it('discards what a reader sends and still sends the poem', async () => {
    const server = await startServer(['--delay', '0.01', '--num-bytes', '100', ODE]);
    const result = await readPoem(server.host, server.port, {
      onConnect: (socket) => {
        for (let i = 0; i < 100; i++) socket.write(Buffer.alloc(10_000, i));
      },
    });
    expectSameBytes(result.data, ODE_BYTES);
    expect(result.clean).toBe(true);
  });

  it('logs a reader that leaves mid-poem and goes on serving the others', async () => {
    // A poem larger than the sockets buffer, to a leaver that takes nothing: however slow this
    // machine, the server cannot have sent it all before the leaver resets.
    const poem = binaryPoem(16 << 20, 5);
    const path = join(dir, 'left.bin');
    await writeFile(path, poem);
    const server = await startServer(['--delay', '0', path]);
    const leaver = await connectRaw(server.host, server.port);
    leaver.pause();
    await server.waitForLine((line) => line.endsWith(' connected'));
    leaver.resetAndDestroy();
    await server.waitForLine((line) => / lost after \d+ of 16777216 bytes: /.test(line));
    const result = await readPoem(server.host, server.port);
    expectSameBytes(result.data, poem);
    expect(result.clean).toBe(true);
    expect(server.stderr).toBe('');
  });

  it('prints one line per reader connected and done, and none with --quiet', async () => {
    const loud = await startServer(['--delay', '0', ODE]);
    const quiet = await startServer(['--delay', '0', '--quiet', ODE]);
    await Promise.all([readPoem(loud.host, loud.port), readPoem(quiet.host, quiet.port)]);
    const [connected, done] = await Promise.all([
      loud.waitForLine((line) => line.includes(' connected')),
      loud.waitForLine((line) => line.includes(' done: ')),
    ]);
    expect(connected).toMatch(/^reader 127\.0\.0\.1:\d+ connected$/);
    expect(done).toMatch(/^reader 127\.0\.0\.1:\d+ done: 475 bytes in \d+\.\d\d s$/);
    quiet.signal('SIGTERM');
    await quiet.exited;
    expect(quiet.lines).toEqual([`Serving ${ODE} on 127.0.0.1:${quiet.port}`, 'stopped']);
  });

  it('closes connections beyond --max-connections at once and logs the drop', async () => {
    const server = await startServer([
      '--delay',
      '1',
      '--num-bytes',
      '1',
      '--max-connections',
      '2',
      ODE,
    ]);
    const first = await connectRaw(server.host, server.port);
    const second = await connectRaw(server.host, server.port);
    await server.waitForLines((line) => line.endsWith(' connected'), 2);
    const dropped = await readPoem(server.host, server.port, { timeoutMs: 5_000 });
    expect(dropped.byteLength).toBe(0);
    await server.waitForLine((line) =>
      /^dropped 127\.0\.0\.1:\d+: 2 readers already connected$/.test(line),
    );
    // The two readers in flight are untouched.
    expect(first.destroyed || second.destroyed).toBe(false);
  });
});
