// FileSink: a streamed poem lands under its name only when complete; a failure leaves nothing.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSink, type PoemSinkListener } from '../../../src/poetry/sink.js';

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

/** Waits until the directory listing satisfies `done` (fs work finishes on its own schedule). */
async function until(done: (files: string[]) => boolean): Promise<string[]> {
  for (;;) {
    const files = await readdir(dir);
    if (done(files)) return files;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

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

  it('asks the fetch to pause when full and to resume when drained', async () => {
    const sink = new FileSink(join(dir, 'big.txt'));
    const events = listener();
    sink.start(events);
    const block = Buffer.alloc(256 * 1024, 'x');
    expect(sink.write(block)).toBe(false);
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (events.resumes > 0) resolve();
        else setImmediate(check);
      };
      check();
    });
    expect(await close(sink)).toBeUndefined();
    expect((await readFile(join(dir, 'big.txt'))).length).toBe(block.length);
  });

  it('removes the part file when aborted, leaving nothing behind', async () => {
    const sink = new FileSink(join(dir, 'poem.txt'));
    sink.start(listener());
    sink.write(Buffer.from('half a po'));
    sink.abort(new Error('connection reset'));
    expect(await until((files) => files.length === 0)).toEqual([]);
  });

  it('creates no file at all when aborted before the first byte', async () => {
    const sink = new FileSink(join(dir, 'poem.txt'));
    sink.start(listener());
    sink.abort(new Error('refused'));
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports a file that cannot be made to the fetch', async () => {
    const sink = new FileSink(join(dir, 'missing', 'poem.txt'));
    const events = listener();
    sink.start(events);
    sink.write(Buffer.from('x'));
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (events.failures.length > 0) resolve();
        else setImmediate(check);
      };
      check();
    });
    expect((events.failures[0] as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('fails the close, and leaves nothing, when aborted while closing', async () => {
    const sink = new FileSink(join(dir, 'poem.txt'));
    sink.start(listener());
    sink.write(Buffer.from('complete poem\n'));
    const closed = close(sink);
    sink.abort(new Error('total timeout'));
    expect(await closed).toBeInstanceOf(Error);
    expect(await until((files) => files.length === 0)).toEqual([]);
  });
});
