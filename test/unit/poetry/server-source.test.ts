// Poem sources: the shared Buffer, the file read in blocks (driven through a disk whose reads
// complete when the test says), and openPoemFile on real files.

import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionLost } from '../../../src/internet/errors.js';
import { PoemFileError } from '../../../src/poetry/errors.js';
import {
  BufferPoemSource,
  FilePoemSource,
  openPoemFile,
  type PoemSource,
} from '../../../src/poetry/server-source.js';
import {
  binaryPoem,
  expectSameBytes,
  serveFromDisk,
  settle,
  writeSizes,
} from '../../helpers/server-memory.js';

const KiB = 1024;

describe('BufferPoemSource', () => {
  it('encodes a string as UTF-8 and hands out views of one Buffer', () => {
    const source = new BufferPoemSource('añb✓');
    expect(source.byteLength).toBe(7);
    const cursor = source.openCursor(1);
    const first = cursor.take(2);
    const rest = cursor.take(100);
    expect(Buffer.concat([first, rest]).toString('utf8')).toBe('añb✓');
    expect(first.buffer).toBe(source.poem.buffer);
    expect(cursor.take(1)).toHaveLength(0);
  });
});

describe('FilePoemSource under the poetry protocol', () => {
  it('reads one block for many paced chunks, and nothing until the disk answers', async () => {
    const poem = binaryPoem(10 * KiB);
    const { server, disk } = serveFromDisk(poem, { delay: 1, numBytes: 10 });
    const { transport } = server.connect();
    expect(transport.written).toEqual([]);
    expect(disk.reads).toEqual([{ position: 0, length: 4 * KiB }]);

    await disk.complete();
    expect(writeSizes(transport)).toEqual([10]);
    server.reactor.pump([1, 1, 1]);
    expect(transport.value()).toEqual(poem.subarray(0, 40));
    expect(disk.reads).toHaveLength(1);
  });

  it('streams a large poem in fast mode in bounded blocks, pausing with the transport', async () => {
    const poem = binaryPoem(200 * KiB + 123);
    const { server, disk } = serveFromDisk(poem, { delay: 0 });
    const { protocol, transport } = server.connect();
    await disk.complete();
    expect(writeSizes(transport)).toEqual([64 * KiB]);
    expect(disk.pending).toHaveLength(1); // it reads ahead only while the transport takes more

    protocol.pauseProducing();
    await disk.complete();
    // The block already on its way waits in the cursor; no write and no further read.
    expect(writeSizes(transport)).toEqual([64 * KiB]);
    expect(disk.pending).toHaveLength(0);

    protocol.resumeProducing();
    await disk.completeAll();
    expectSameBytes(transport.value(), poem);
    expect(Math.max(...writeSizes(transport))).toBeLessThanOrEqual(64 * KiB);
    expect(disk.reads.every((read) => read.length <= 64 * KiB)).toBe(true);
    expect(transport.disconnecting).toBe(true);
  });

  it('writes nothing when a disk read completes after the reader has gone', async () => {
    const poem = binaryPoem(100 * KiB);
    const { server, disk } = serveFromDisk(poem, { delay: 0 });
    const { protocol, transport } = server.connect();
    protocol.connectionLost(new ConnectionLost('connection reset by peer'));
    await disk.complete();
    expect(transport.written).toEqual([]);
    expect(disk.pending).toEqual([]);
    expect(server.reactor.getDelayedCalls()).toEqual([]);
  });

  it('cuts the reader, never closing cleanly, when a read fails', async () => {
    const poem = binaryPoem(100 * KiB);
    const { server, disk } = serveFromDisk(poem, { delay: 0 });
    const { protocol, transport } = server.connect({ host: '127.0.0.1', port: 9 });
    await disk.complete();
    await disk.fail(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
    expect(transport.aborted).toBe(true);
    expect(server.reactor.errors).toHaveLength(1);
    expect(server.reactor.errors[0]!.error).toBeInstanceOf(PoemFileError);
    protocol.connectionLost(new ConnectionLost('aborted'));
    expect(server.logger.readerLines.at(-1)).toBe(
      `reader 127.0.0.1:9 cut after ${64 * KiB} of ${100 * KiB} bytes: cannot read big.bin: EIO: i/o error, read`,
    );
  });

  it('cuts the reader when the file got shorter than it was when opened', async () => {
    const poem = binaryPoem(100 * KiB);
    const { server, disk } = serveFromDisk(poem, { delay: 0 });
    const { transport } = server.connect();
    disk.content = poem.subarray(0, 64 * KiB);
    await disk.completeAll();
    expect(transport.aborted).toBe(true);
    expect(transport.disconnecting).toBe(true);
    expectSameBytes(transport.value(), poem.subarray(0, 64 * KiB));
  });

  it('sends chunks larger than a block across several reads', async () => {
    const poem = binaryPoem(300 * KiB);
    const { server, disk } = serveFromDisk(poem, { delay: 1, numBytes: 100 * KiB });
    const { transport } = server.connect();
    await disk.completeAll();
    expect(transport.value().length).toBe(100 * KiB);
    server.reactor.advance(1);
    await disk.completeAll();
    expectSameBytes(transport.value(), poem.subarray(0, 200 * KiB));
  });

  it('sends the rest at once when told to finish while a read is pending', async () => {
    const poem = binaryPoem(10 * KiB);
    const { server, disk } = serveFromDisk(poem, { delay: 1, numBytes: 10 });
    const { protocol, transport } = server.connect();
    protocol.finishNow();
    await disk.completeAll();
    expectSameBytes(transport.value(), poem);
    expect(transport.disconnecting).toBe(true);
  });
});

describe('openPoemFile', () => {
  let dir: string;
  const sources: PoemSource[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'poetry-server-source-'));
  });

  afterEach(async () => {
    for (const source of sources.splice(0)) await source.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(path: string, inMemoryLimitBytes?: number): Promise<PoemSource> {
    const source = await openPoemFile(
      path,
      inMemoryLimitBytes === undefined ? {} : { inMemoryLimitBytes },
    );
    sources.push(source);
    return source;
  }

  async function readAll(source: PoemSource, blockBytes: number): Promise<Buffer> {
    const cursor = source.openCursor(blockBytes);
    const parts: Buffer[] = [];
    let total = 0;
    while (total < source.byteLength) {
      const part = cursor.take(source.byteLength - total);
      if (part.length === 0) {
        const error = await new Promise<PoemFileError | undefined>((resolve) =>
          cursor.fill(resolve),
        );
        if (error !== undefined) throw error;
        continue;
      }
      parts.push(part);
      total += part.length;
    }
    cursor.close();
    return Buffer.concat(parts);
  }

  it('holds a small file in memory', async () => {
    const path = join(dir, 'small.txt');
    await writeFile(path, 'Ünïcödé poem ✓\n');
    const source = await open(path);
    expect(source).toBeInstanceOf(BufferPoemSource);
    expect((source as BufferPoemSource).poem.toString('utf8')).toBe('Ünïcödé poem ✓\n');
  });

  it('serves an empty file as an empty poem', async () => {
    const path = join(dir, 'empty.txt');
    await writeFile(path, '');
    const source = await open(path);
    expect(source.byteLength).toBe(0);
  });

  it('reads a file over the in-memory limit from disk in blocks, byte for byte', async () => {
    const poem = binaryPoem(100 * KiB + 7);
    const path = join(dir, 'big.bin');
    await writeFile(path, poem);
    const source = await open(path, 1024);
    expect(source).toBeInstanceOf(FilePoemSource);
    expect(source.byteLength).toBe(poem.length);
    expectSameBytes(await readAll(source, 4 * KiB), poem);
    expectSameBytes(await readAll(source, 64 * KiB), poem);
  });

  it('rejects a missing file with PoemFileError', async () => {
    const path = join(dir, 'nope.txt');
    const error = await openPoemFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoemFileError);
    expect(error).toMatchObject({ code: 'ERR_POEM_FILE', path, message: `no such file: ${path}` });
  });

  it('rejects a directory', async () => {
    const path = join(dir, 'poems');
    await mkdir(path);
    await expect(openPoemFile(path)).rejects.toThrow(`${path} is a directory, not a poem`);
  });

  it('rejects a device and a FIFO without waiting for a writer', async () => {
    await expect(openPoemFile('/dev/null')).rejects.toThrow('/dev/null is not a regular file');
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(openPoemFile(fifo)).rejects.toThrow(`${fifo} is not a regular file`);
  });

  it('closes the file descriptor once, however often close is called', async () => {
    const path = join(dir, 'big.bin');
    await writeFile(path, binaryPoem(5000));
    const source = await openPoemFile(path, { inMemoryLimitBytes: 10 });
    await source.close();
    await source.close();
    const cursor = source.openCursor(100);
    const error = await new Promise<PoemFileError | undefined>((resolve) => cursor.fill(resolve));
    expect(error).toBeInstanceOf(PoemFileError);
    await settle();
  });
});
