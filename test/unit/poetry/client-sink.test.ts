// FileSink: a streamed poem lands under its name only when complete; a failure leaves nothing.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionDone } from '../../../src/internet/errors.js';
import { PoemSinkError } from '../../../src/poetry/errors.js';
import { FileSink, type PoemSinkListener } from '../../../src/poetry/sink.js';
import { startMemoryFetch } from '../../helpers/memory-fetch.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-sink-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function listener(): PoemSinkListener & { failures: Error[]; resumes: number } {
  const record = {
    failures: [] as Error[],
    resumes: 0,
    resume() {
      record.resumes++;
    },
    fail(error: Error) {
      record.failures.push(error);
    },
  };
  return record;
}

const close = (sink: FileSink): Promise<Error | undefined> =>
  new Promise((resolve) => sink.close((error) => resolve(error)));

describe('FileSink', () => {
  it('writes to PATH.part and renames it to PATH once closed', async () => {
    const path = join(dir, '001-127.0.0.1-10000.txt');
    const sink = new FileSink(path);
    sink.start(listener());
    sink.write(Buffer.from('Roses are red,\n'));
    sink.write(Buffer.from('violets are blue.\n'));
    expect(await readdir(dir)).not.toContain('001-127.0.0.1-10000.txt');
    expect(await close(sink)).toBeUndefined();
    expect(await readdir(dir)).toEqual(['001-127.0.0.1-10000.txt']);
    expect(await readFile(path, 'utf8')).toBe('Roses are red,\nviolets are blue.\n');
  });

  it.each([1, 2, 3, 7, 4096, 8191])(
    'has each chunk in the part file when write returns, and never asks to pause (chunks of %i bytes)',
    async (chunkSize) => {
      const bytes = Buffer.alloc(20_000);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
      const sink = new FileSink(join(dir, 'poem.txt'));
      const events = listener();
      sink.start(events);
      for (let offset = 0; offset < bytes.length; offset += chunkSize) {
        expect(sink.write(bytes.subarray(offset, offset + chunkSize))).toBe(true);
      }
      expect((await readFile(join(dir, 'poem.txt.part'))).equals(bytes)).toBe(true);
      expect(await close(sink)).toBeUndefined();
      expect((await readFile(join(dir, 'poem.txt'))).equals(bytes)).toBe(true);
      expect(events).toMatchObject({ failures: [], resumes: 0 });
    },
  );

  it('makes an empty file for a poem of no bytes', async () => {
    const sink = new FileSink(join(dir, 'empty.txt'));
    sink.start(listener());
    expect(await close(sink)).toBeUndefined();
    expect(await readdir(dir)).toEqual(['empty.txt']);
    expect((await readFile(join(dir, 'empty.txt'))).length).toBe(0);
  });

  it('removes the part file when aborted, leaving nothing behind', async () => {
    const sink = new FileSink(join(dir, 'poem.txt'));
    sink.start(listener());
    sink.write(Buffer.from('half a po'));
    sink.abort(new Error('connection reset'));
    expect(await readdir(dir)).toEqual([]);
    expect(sink.write(Buffer.from('em'))).toBe(true);
    expect(await readdir(dir)).toEqual([]);
    expect(await close(sink)).toBeInstanceOf(Error);
    expect(await readdir(dir)).toEqual([]);
  });

  it('creates no file at all when aborted before the first byte', async () => {
    const sink = new FileSink(join(dir, 'poem.txt'));
    sink.start(listener());
    sink.abort(new Error('refused'));
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports a file that cannot be made to the fetch, after write returns', async () => {
    const sink = new FileSink(join(dir, 'missing', 'poem.txt'));
    const events = listener();
    sink.start(events);
    sink.write(Buffer.from('x'));
    expect(events.failures).toEqual([]); // not from inside write: the fetch is mid-chunk
    await Promise.resolve();
    expect(events.failures).toHaveLength(1);
    expect((events.failures[0] as NodeJS.ErrnoException).code).toBe('ENOENT');
    sink.write(Buffer.from('y'));
    await Promise.resolve();
    expect(events.failures).toHaveLength(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports a part path it cannot open (a directory there) and touches nothing', async () => {
    await mkdir(join(dir, 'poem.txt.part'));
    const sink = new FileSink(join(dir, 'poem.txt'));
    const events = listener();
    sink.start(events);
    sink.write(Buffer.from('x'));
    await Promise.resolve();
    expect((events.failures[0] as NodeJS.ErrnoException).code).toBe('EISDIR');
    expect(await readdir(dir)).toEqual(['poem.txt.part']);
  });

  it.runIf(existsSync('/dev/full'))(
    'reports a full disk (ENOSPC) and removes the part file',
    async () => {
      // The part file is a link to /dev/full, whose every write fails with ENOSPC.
      await symlink('/dev/full', join(dir, 'poem.txt.part'));
      const sink = new FileSink(join(dir, 'poem.txt'));
      const events = listener();
      sink.start(events);
      expect(sink.write(Buffer.alloc(70_000, 'x'))).toBe(true);
      await Promise.resolve();
      expect((events.failures[0] as NodeJS.ErrnoException).code).toBe('ENOSPC');
      expect(await readdir(dir)).toEqual([]);
      expect(await close(sink)).toBeInstanceOf(Error);
      expect(await readdir(dir)).toEqual([]);
    },
  );

  it('fails the close, and leaves nothing, when the file cannot take its name', async () => {
    // A non-empty directory where the poem should go: the rename fails.
    await mkdir(join(dir, 'poem.txt'));
    await writeFile(join(dir, 'poem.txt', 'other'), 'x');
    const sink = new FileSink(join(dir, 'poem.txt'));
    sink.start(listener());
    sink.write(Buffer.from('complete poem\n'));
    const error = (await close(sink)) as NodeJS.ErrnoException | undefined;
    expect(error).toBeInstanceOf(Error);
    expect(['EISDIR', 'ENOTEMPTY', 'EEXIST']).toContain(error?.code);
    expect(await readdir(dir)).toEqual(['poem.txt']);
    expect(await readdir(join(dir, 'poem.txt'))).toEqual(['other']);
  });

  it('is complete once close reports success: an abort after it changes nothing', async () => {
    const sink = new FileSink(join(dir, 'poem.txt'));
    sink.start(listener());
    sink.write(Buffer.from('complete poem\n'));
    expect(await close(sink)).toBeUndefined();
    sink.abort(new Error('total timeout'));
    expect(await readdir(dir)).toEqual(['poem.txt']);
    expect(await readFile(join(dir, 'poem.txt'), 'utf8')).toBe('complete poem\n');
    expect(await close(sink)).toBeInstanceOf(Error);
  });
});

describe('a fetch streaming into a FileSink', () => {
  function startFetch(sink: FileSink) {
    return startMemoryFetch({ sink });
  }

  it.each([1, 7, 4096])('writes the poem byte-exact (chunks of %i bytes)', async (chunkSize) => {
    const bytes = Buffer.from('Twas brillig, and the slithy toves\n'.repeat(300));
    const { poems, errors, connector, protocol } = startFetch(new FileSink(join(dir, 'p.txt')));
    for (let offset = 0; offset < bytes.length; offset += chunkSize) {
      protocol.dataReceived(bytes.subarray(offset, offset + chunkSize));
    }
    connector.lose(new ConnectionDone('connection closed cleanly'));
    expect(errors).toEqual([]);
    expect(poems[0]!.byteLength).toBe(bytes.length);
    expect(poems[0]!.bytes.length).toBe(0);
    expect((await readFile(join(dir, 'p.txt'))).equals(bytes)).toBe(true);
    expect(await readdir(dir)).toEqual(['p.txt']);
  });

  it('fails with PoemSinkError and aborts the connection when the file cannot be made', async () => {
    const sink = new FileSink(join(dir, 'missing', 'p.txt'));
    const { poems, errors, protocol, transport } = startFetch(sink);
    protocol.dataReceived(Buffer.from('Roses are red,\n'));
    protocol.dataReceived(Buffer.from('violets are blue.\n'));
    await Promise.resolve();
    expect(poems).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(PoemSinkError);
    expect(((errors[0] as Error).cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(transport.aborted).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });
});
