// Reading --from lists: lines split across chunks of any size, comments, CRLF, bad lines by number.

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  AddressLineReader,
  AddressStream,
  countAddressList,
  MAX_LINE_BYTES,
} from '../../../src/cli/address-list.js';
import { UsageError } from '../../../src/cli/command.js';
import type { Endpoint } from '../../../src/poetry/address.js';
import { PoetryQueue } from '../../../src/poetry/fetch.js';
import { MemoryReactor } from '../../../src/testing/memory-reactor.js';

/** `text` as chunks of `size` bytes. */
function chunksOf(text: string | Buffer, size: number): Buffer[] {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

/** Every address of `text` read through an AddressLineReader fed `size`-byte chunks. */
function readAll(text: string, size: number, name = 'list.txt'): Endpoint[] {
  const reader = new AddressLineReader(name);
  const addresses: Endpoint[] = [];
  for (const chunk of chunksOf(text, size)) addresses.push(...reader.push(chunk));
  addresses.push(...reader.end());
  return addresses;
}

async function* asyncChunks(chunks: readonly Buffer[]): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield chunk;
}

async function collect(stream: AsyncIterable<Endpoint>): Promise<Endpoint[]> {
  const all: Endpoint[] = [];
  for await (const address of stream) all.push(address);
  return all;
}

const LIST = [
  '# poetry servers',
  '10000',
  '',
  '   ',
  '\t127.0.0.1:10001  # the second',
  '[::1]:10002',
  '#[::1]:9',
  'example.org:10003',
].join('\n');

const EXPECTED: Endpoint[] = [
  { host: 'localhost', port: 10000 },
  { host: '127.0.0.1', port: 10001 },
  { host: '::1', port: 10002 },
  { host: 'example.org', port: 10003 },
];

describe('AddressLineReader', () => {
  it.each([1, 2, 3, 7, 64, 4096])(
    'reads a list fed in %i-byte chunks, skipping blank lines and comments',
    (size) => {
      expect(readAll(`${LIST}\n`, size)).toEqual(EXPECTED);
    },
  );

  it.each([1, 5, 4096])('takes CRLF line ends as LF (%i-byte chunks)', (size) => {
    expect(readAll(`${LIST.replaceAll('\n', '\r\n')}\r\n`, size)).toEqual(EXPECTED);
  });

  it.each([1, 4096])('reads a last line with no newline after it (%i-byte chunks)', (size) => {
    expect(readAll(LIST, size)).toEqual(EXPECTED);
    expect(readAll('10000', size)).toEqual([{ host: 'localhost', port: 10000 }]);
  });

  it.each([1, 3, 4096])(
    'reads tcp:, tls: and unix: lines, a path up to the comment or the line end (%i-byte chunks)',
    (size) => {
      const text = [
        'tcp:127.0.0.1:7',
        'tls:localhost:10443  # over TLS',
        '\ttls:[::1]:443\r',
        'unix:/tmp/poems one.sock ',
        'unix:/run/a:b.sock#comment',
      ].join('\n');
      expect(readAll(text, size)).toEqual([
        { host: '127.0.0.1', port: 7 },
        { transport: 'tls', host: 'localhost', port: 10443 },
        { transport: 'tls', host: '::1', port: 443 },
        { transport: 'unix', path: '/tmp/poems one.sock' },
        { transport: 'unix', path: '/run/a:b.sock' },
      ]);
    },
  );

  it('refuses a bad tls: or unix: line by number, naming the whole address', () => {
    expect(() => readAll('10000\ntls:\n', 2)).toThrow('list.txt:2: invalid address "tls:"');
    expect(() => readAll('unix:\n', 2)).toThrow('list.txt:1: invalid address "unix:"');
    expect(() => readAll('tsl:host:1\n', 2)).toThrow(/list.txt:1: .*unknown transport 'tsl:'/);
  });

  it('reads an empty list, and one of only comments and blank lines, as no addresses', () => {
    expect(readAll('', 1)).toEqual([]);
    expect(readAll('# nothing here\n\n\r\n  \n', 3)).toEqual([]);
  });

  it.each([1, 4096])(
    'refuses a bad line with a usage error naming the file and its line number (%i-byte chunks)',
    (size) => {
      const text = '10000\n# comment\n\r\n127.0.0.1:\n10001\n';
      expect(() => readAll(text, size, 'poems.txt')).toThrow(UsageError);
      expect(() => readAll(text, size, 'poems.txt')).toThrow(
        `poems.txt:4: invalid address "127.0.0.1:": missing port after ':'`,
      );
    },
  );

  it('counts a bad last line without a newline, and a bad first line, by number', () => {
    expect(() => readAll('10000\n\nx', 2)).toThrow('list.txt:3: invalid address "x"');
    expect(() => readAll('0\n10000\n', 2)).toThrow('list.txt:1: invalid address "0"');
  });

  it('refuses a line longer than the limit without holding it all', () => {
    const reader = new AddressLineReader('huge.bin');
    const chunk = Buffer.alloc(MAX_LINE_BYTES / 2, 'a');
    reader.push(chunk);
    reader.push(chunk);
    expect(() => reader.push(Buffer.from('aaa'))).toThrow(
      `huge.bin:1: the line is longer than ${MAX_LINE_BYTES} bytes`,
    );
    const whole = new AddressLineReader('huge.bin');
    expect(() => whole.push(Buffer.from(`10000\n${'b'.repeat(MAX_LINE_BYTES + 1)}\n`))).toThrow(
      'huge.bin:2: the line is longer',
    );
  });
});

describe('AddressStream', () => {
  it('gives the addresses before the list first, then the list’s, in order', async () => {
    const stream = new AddressStream(asyncChunks(chunksOf(LIST, 5)), 'list.txt', {
      first: [{ host: '10.0.0.1', port: 1 }],
    });
    expect(await collect(stream)).toEqual([{ host: '10.0.0.1', port: 1 }, ...EXPECTED]);
  });

  it('throws the bad line’s usage error from next(), after the addresses before it', async () => {
    const stream = new AddressStream(asyncChunks(chunksOf('10000\n10001\nbad\n', 4)), 'stdin');
    expect(await stream.next()).toEqual({ done: false, value: { host: 'localhost', port: 10000 } });
    expect(await stream.next()).toEqual({ done: false, value: { host: 'localhost', port: 10001 } });
    await expect(stream.next()).rejects.toThrow('stdin:3: invalid address "bad"');
  });

  it('names the file when it cannot be read', async () => {
    async function* unreadable(): AsyncGenerator<Buffer> {
      yield* [];
      throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    }
    const stream = new AddressStream(unreadable(), 'secret.txt');
    await expect(stream.next()).rejects.toThrow(
      'secret.txt: cannot read the address list: permission denied',
    );
  });

  it('reads no further than asked: a chunk at a time, waiting while held', async () => {
    let chunksRead = 0;
    async function* counted(): AsyncGenerator<Buffer> {
      for (const chunk of chunksOf('1\n2\n3\n4\n', 4)) {
        chunksRead++;
        yield chunk;
      }
    }
    let release: (() => void) | undefined;
    let holding = false;
    const stream = new AddressStream(counted(), 'list.txt', {
      hold: () =>
        holding
          ? new Promise<void>((resolve) => {
              release = resolve;
            })
          : undefined,
    });
    expect((await stream.next()).value).toEqual({ host: 'localhost', port: 1 });
    expect(chunksRead).toBe(1);
    holding = true;
    let second: IteratorResult<Endpoint> | undefined;
    const next = stream.next().then((step) => {
      second = step;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(second).toBeUndefined();
    holding = false;
    release!();
    await next;
    expect(second!.value).toEqual({ host: 'localhost', port: 2 });
    expect(chunksRead).toBe(1);
  });

  it('closes the chunks’ source on return()', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        yield Buffer.from('1\n');
        yield Buffer.from('2\n');
      } finally {
        closed = true;
      }
    }
    const stream = new AddressStream(source(), 'list.txt');
    await stream.next();
    await stream.return();
    expect(closed).toBe(true);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });
});

describe('AddressStream over a Readable that stays open', () => {
  it('destroys the stream on return() while a next() waits for a line', async () => {
    const input = new PassThrough();
    input.write('10.0.0.1:1\n');
    const stream = new AddressStream(input, 'stdin');
    expect(await stream.next()).toEqual({ done: false, value: { host: '10.0.0.1', port: 1 } });
    const waiting = stream.next();
    await stream.return();
    expect(input.destroyed).toBe(true);
    expect(await waiting).toEqual({ done: true, value: undefined });
  });

  it('is destroyed when the queue reading it is cancelled while it waits for a line', async () => {
    const input = new PassThrough();
    input.write('10.0.0.1:1\n');
    const reactor = new MemoryReactor();
    const queue = new PoetryQueue({ reactor, concurrency: 4 });
    const done = queue.addFrom(new AddressStream(input, 'stdin'), () => {});
    // The first address is taken once its connect is recorded; the next read then waits.
    while (reactor.tcpClients.length === 0) await new Promise(setImmediate);
    await new Promise(setImmediate);
    queue.cancel(new Error('interrupted'));
    await done;
    expect(input.destroyed).toBe(true);
  });
});

describe('countAddressList', () => {
  it('counts the addresses of a whole list and hands each on, in order', async () => {
    const seen: Endpoint[] = [];
    const count = await countAddressList(asyncChunks(chunksOf(LIST, 3)), 'list.txt', (a) =>
      seen.push(a),
    );
    expect(count).toBe(4);
    expect(seen).toEqual(EXPECTED);
  });

  it('throws the first bad line’s usage error', async () => {
    await expect(
      countAddressList(asyncChunks(chunksOf('1\n2\n\n65536\n', 2)), 'ports.txt'),
    ).rejects.toThrow('ports.txt:4: invalid address "65536"');
  });
});
