// What get-poetry prints: poems with headers, the JSON document, the summary, file names.

import picocolors from 'picocolors';
import { describe, expect, it } from 'vitest';
import {
  describeFailure,
  jsonlRecord,
  jsonlSummary,
  jsonOutput,
  poemFileName,
  poemsOutput,
  summary,
  Tally,
  tallySummary,
} from '../../../src/cli/get-poetry-report.js';
import {
  ConnectionRefusedError,
  PoetryNowError,
  UserCancelledError,
} from '../../../src/internet/errors.js';
import { EmptyPoemError, IdleTimeoutError } from '../../../src/poetry/errors.js';
import type { PoemResult } from '../../../src/poetry/fetch.js';
import { Poem } from '../../../src/poetry/poem.js';

const plain = picocolors.createColors(false);

function poemResult(index: number, text: string | Buffer, port = 10000 + index): PoemResult {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const address = `127.0.0.1:${port}`;
  const value = new Poem({
    host: '127.0.0.1',
    port,
    address,
    bytes,
    byteLength: bytes.length,
    chunkCount: 1,
    timings: { startedSeconds: 0, connectedSeconds: 0, firstByteSeconds: 0, doneSeconds: 1 },
  });
  return { status: 'fulfilled', index, address, value };
}

function failure(index: number, reason: PoetryNowError, port = 10000 + index): PoemResult {
  return { status: 'rejected', index, address: `127.0.0.1:${port}`, reason };
}

const join = (chunks: (string | Buffer)[]): Buffer =>
  Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));

describe('poemsOutput', () => {
  it('is exactly the poem’s bytes for one address', () => {
    const bytes = Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0xff, 0x0d]);
    expect(join(poemsOutput([poemResult(0, bytes)], { escape: false })).equals(bytes)).toBe(true);
  });

  it('puts a header before each of several poems, in argument order, skipping failures', () => {
    const results = [
      poemResult(0, 'one\n'),
      failure(1, new PoetryNowError('x')),
      poemResult(2, 'three, no newline'),
      poemResult(3, 'four\n'),
    ];
    expect(join(poemsOutput(results, { escape: false })).toString()).toBe(
      '==> Task 1: 127.0.0.1:10000 <==\none\n\n' +
        '==> Task 3: 127.0.0.1:10002 <==\nthree, no newline\n\n' +
        '==> Task 4: 127.0.0.1:10003 <==\nfour\n',
    );
  });

  it('escapes control characters when asked (a terminal without --raw)', () => {
    const out = join(poemsOutput([poemResult(0, 'red \x1b[31malert\x07')], { escape: true }));
    expect(out.toString()).toBe('red ^[[31malert^G\n');
  });
});

describe('jsonOutput', () => {
  it('lists poems and failures in argument order, counting from 1', () => {
    const results = [
      failure(
        0,
        new EmptyPoemError('the server closed the connection without sending a poem', {
          address: '127.0.0.1:10000',
        }),
      ),
      poemResult(1, 'héllo\n'),
    ];
    expect(JSON.parse(jsonOutput(results, 1.5))).toEqual({
      poems: [{ index: 2, address: '127.0.0.1:10001', attempts: 1, bytes: 7, text: 'héllo\n' }],
      failures: [
        {
          index: 1,
          address: '127.0.0.1:10000',
          attempts: 1,
          code: 'ERR_EMPTY_POEM',
          message: 'the server closed the connection without sending a poem',
        },
      ],
      elapsedSeconds: 1.5,
    });
  });

  it('names the file instead of giving the text for a poem streamed to --output', () => {
    const document = JSON.parse(
      jsonOutput([poemResult(0, 'x\n')], 0, new Map([[0, 'out/001.txt']])),
    );
    expect(document.poems).toEqual([
      { index: 1, address: '127.0.0.1:10000', attempts: 1, bytes: 2, file: 'out/001.txt' },
    ]);
  });

  it('is one line', () => {
    const text = jsonOutput([poemResult(0, 'a\nb\n')], 0);
    expect(text.indexOf('\n')).toBe(text.length - 1);
  });
});

describe('summary', () => {
  it('counts poems and bytes and lists each failure with its address in plain words', () => {
    const results = [
      poemResult(0, 'abc\n'),
      failure(
        1,
        new ConnectionRefusedError('connection refused', { address: '127.0.0.1:10003' }),
        10003,
      ),
      poemResult(2, 'de\n'),
    ];
    expect(summary(results, 0.25, { colors: plain })).toBe(
      'Got 2 poems (7 bytes) in 0.250 s.\n1 failed:\n  127.0.0.1:10003: connection refused\n',
    );
  });

  it('says when it was interrupted and calls what was cut off cancelled', () => {
    const results = [
      failure(0, new UserCancelledError('cancelled', { address: '127.0.0.1:10000' })),
    ];
    expect(summary(results, 12, { colors: plain, interrupted: true })).toBe(
      'Got 0 poems (0 bytes) in 12.0 s.\nInterrupted.\n1 failed:\n  127.0.0.1:10000: cancelled\n',
    );
  });

  it('ends with a TLS hint when a plain TCP server sent not a byte, naming the first such one', () => {
    const quiet = (address: string, bytesReceived = 0): PoemResult => ({
      status: 'rejected',
      index: 0,
      address,
      reason: new IdleTimeoutError('no data for 60 s', { address, bytesReceived }),
    });
    const hint = (address: string, tls: string): string =>
      `hint: ${address} sent not a byte; if it is a TLS server (one waits for its client to speak first), fetch ${tls}\n`;
    const text = (results: PoemResult[]): string => summary(results, 1, { colors: plain });

    expect(text([quiet('127.0.0.1:8443'), quiet('localhost:9443')])).toBe(
      'Got 0 poems (0 bytes) in 1.000 s.\n2 failed:\n' +
        '  127.0.0.1:8443: no data for 60 s\n  localhost:9443: no data for 60 s\n' +
        hint('127.0.0.1:8443', 'tls:127.0.0.1:8443'),
    );
    expect(text([quiet('[::1]:8443')])).toContain(hint('[::1]:8443', 'tls:[::1]:8443'));
    // A TCP host called tls is named with its tcp: prefix (formatEndpoint), which the hint drops.
    expect(text([quiet('tcp:tls:8443')])).toContain(hint('tcp:tls:8443', 'tls:tls:8443'));
    const closed: PoemResult = {
      status: 'rejected',
      index: 0,
      address: 'localhost:8443',
      reason: new EmptyPoemError('the server closed the connection without sending a poem'),
    };
    expect(text([closed])).toContain(hint('localhost:8443', 'tls:localhost:8443'));
    // Bytes came, or the fetch was over TLS or a UNIX socket already, or it failed otherwise.
    for (const results of [
      [quiet('127.0.0.1:8443', 1)],
      [quiet('tls:127.0.0.1:8443')],
      [quiet('TLS:127.0.0.1:8443')],
      [quiet('unix:/tmp/poems.sock')],
      [failure(0, new ConnectionRefusedError('connection refused'))],
    ]) {
      expect(text(results)).not.toContain('hint:');
    }
  });

  it('names the output directory', () => {
    expect(summary([poemResult(0, 'a')], 1, { colors: plain, outputDir: 'poems' })).toBe(
      'Got 1 poem (1 bytes) in 1.000 s into poems.\n',
    );
  });
});

describe('poemFileName', () => {
  it('is NNN-HOST-PORT.txt, numbered from 001, wider when there are more than 999', () => {
    expect(poemFileName(1, { host: '127.0.0.1', port: 10000 }, 3)).toBe('001-127.0.0.1-10000.txt');
    expect(poemFileName(42, { host: 'localhost', port: 7 }, 1200)).toBe('0042-localhost-7.txt');
  });

  it('keeps IPv6 literals to characters every file system takes', () => {
    expect(poemFileName(2, { host: '::1', port: 10001 }, 2)).toBe('002-__1-10001.txt');
  });

  it('names a TLS poem as a TCP one, and a UNIX socket poem unix-PATH, made safe', () => {
    expect(poemFileName(3, { transport: 'tls', host: 'localhost', port: 443 }, 3)).toBe(
      '003-localhost-443.txt',
    );
    expect(poemFileName(4, { transport: 'unix', path: '/tmp/poems.sock' }, 9)).toBe(
      '004-unix-_tmp_poems.sock.txt',
    );
  });
});

describe('describeFailure', () => {
  it('drops the address the message starts with', () => {
    expect(
      describeFailure(new ConnectionRefusedError('connection refused', { address: 'h:1' })),
    ).toBe('connection refused');
    expect(describeFailure(new Error('plain'))).toBe('plain');
  });
});

describe('jsonlRecord', () => {
  it('is one line holding what --json gives for the same poem or failure', () => {
    const poem = poemResult(4, 'a poem\n');
    const refused = failure(
      1,
      new ConnectionRefusedError('connection refused', { address: '127.0.0.1:10001' }),
    );
    const document = JSON.parse(jsonOutput([refused, poem], 0.5));
    for (const [result, entry] of [
      [poem, document.poems[0]],
      [refused, document.failures[0]],
    ] as const) {
      const line = jsonlRecord(result);
      expect(line.endsWith('\n')).toBe(true);
      expect(line.indexOf('\n')).toBe(line.length - 1);
      expect(JSON.parse(line)).toEqual(entry);
    }
    expect(JSON.parse(jsonlRecord(poem))).toEqual({
      index: 5,
      address: '127.0.0.1:10004',
      attempts: 1,
      bytes: 7,
      text: 'a poem\n',
    });
    expect(JSON.parse(jsonlRecord(refused))).toEqual({
      index: 2,
      address: '127.0.0.1:10001',
      attempts: 1,
      code: 'ERR_CONNECTION_REFUSED',
      message: 'connection refused',
    });
  });

  it('names the file instead of giving the text for a poem streamed to --output', () => {
    expect(JSON.parse(jsonlRecord(poemResult(0, 'x\n'), 'out/001.txt'))).toEqual({
      index: 1,
      address: '127.0.0.1:10000',
      attempts: 1,
      bytes: 2,
      file: 'out/001.txt',
    });
  });
});

describe('jsonlSummary', () => {
  it('counts poems, failures and bytes, has no index, and says when it was interrupted', () => {
    const tally = new Tally();
    tally.add(poemResult(0, 'abc\n'));
    tally.add(poemResult(1, 'de\n'));
    tally.add(failure(2, new UserCancelledError('cancelled')));
    expect(JSON.parse(jsonlSummary(tally, 1.23456789))).toEqual({
      poems: 2,
      failures: 1,
      bytes: 7,
      elapsedSeconds: 1.234568,
    });
    expect(JSON.parse(jsonlSummary(tally, 1, true))).toMatchObject({ interrupted: true });
    expect(jsonlSummary(tally, 1).split('\n')).toEqual([expect.any(String), '']);
  });
});

describe('Tally', () => {
  it('lists the first failures it may keep and counts the rest, in the summary too', () => {
    const tally = new Tally(2);
    for (let i = 0; i < 5; i++) {
      tally.add(failure(i, new ConnectionRefusedError('connection refused')));
    }
    tally.add(poemResult(5, 'ok\n'));
    expect(tally.listed).toHaveLength(2);
    expect(tallySummary(tally, 1, { colors: plain })).toBe(
      'Got 1 poem (3 bytes) in 1.000 s.\n5 failed:\n' +
        '  127.0.0.1:10000: connection refused\n  127.0.0.1:10001: connection refused\n' +
        '  and 3 more\n',
    );
  });

  it('gives the same summary as the list of results when it lists them all', () => {
    const results = [
      poemResult(0, 'one\n'),
      failure(1, new ConnectionRefusedError('connection refused')),
    ];
    const tally = new Tally();
    for (const result of results) tally.add(result);
    expect(tallySummary(tally, 2, { colors: plain, outputDir: 'dir' })).toBe(
      summary(results, 2, { colors: plain, outputDir: 'dir' }),
    );
  });
});
