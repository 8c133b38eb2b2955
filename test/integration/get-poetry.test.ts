// get-poetry as a user runs it: the built command against real servers on loopback.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  hasIPv6Loopback,
  type Peer,
  refusedPort,
  startBlackholePeer,
  startEmptyPeer,
  startFloodPeer,
  startPoetryPeer,
  startResetPeer,
} from '../helpers/peers.js';
import { killRunningClis, runCli, startCli } from '../helpers/run-cli.js';

const peers: Peer[] = [];
const dirs: string[] = [];

async function peer(started: Promise<Peer>): Promise<Peer> {
  const p = await started;
  peers.push(p);
  return p;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'get-poetry-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  killRunningClis();
  await Promise.all(peers.splice(0).map((p) => p.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

let ipv6 = false;
beforeAll(async () => {
  ipv6 = await hasIPv6Loopback();
});

const SONNET =
  'Shall I compare thee to a summer’s day?\nThou art more lovely and more temperate:\n';
// Escape sequences, a lone CR, invalid UTF-8: piped output must keep every byte.
const HOSTILE = Buffer.concat([
  Buffer.from('plain\n\x1b]0;owned\x07\x1b[2J\r\ttab\n'),
  Buffer.from([0xff, 0xfe, 0xc3]),
  Buffer.from('\nend'),
]);

describe('get-poetry', () => {
  it('prints exactly the poem’s bytes when given one address and stdout is a pipe', async () => {
    const server = await peer(startPoetryPeer(HOSTILE, { chunkSize: 3, delayMs: 1 }));
    const result = await runCli('get-poetry', [server.address]);
    expect(result.status).toBe(0);
    expect(result.stdout.equals(HOSTILE)).toBe(true);
    expect(result.stderr).toMatch(/^Got 1 poem \(\d+ bytes\) in [\d.]+ s\.\n$/);
  });

  it('prints poems from several servers in argument order, each after a header', async () => {
    const slow = await peer(startPoetryPeer('slow poem\n', { chunkSize: 2, delayMs: 10 }));
    const fast = await peer(startPoetryPeer(SONNET));
    const third = await peer(startPoetryPeer('no newline at the end'));
    const result = await runCli('get-poetry', [slow.address, fast.address, third.address]);
    expect(result.status).toBe(0);
    expect(result.stdout.toString()).toBe(
      `==> Task 1: ${slow.address} <==\nslow poem\n\n` +
        `==> Task 2: ${fast.address} <==\n${SONNET}\n` +
        `==> Task 3: ${third.address} <==\nno newline at the end\n`,
    );
    expect(result.stderr).toContain('Got 3 poems');
  });

  it('reports a refused port in plain words, exits 1, and still prints the other poems', async () => {
    const good = await peer(startPoetryPeer(SONNET));
    const port = await refusedPort();
    const result = await runCli('get-poetry', [good.address, `127.0.0.1:${port}`]);
    expect(result.status).toBe(1);
    expect(result.stdout.toString()).toBe(`==> Task 1: ${good.address} <==\n${SONNET}`);
    expect(result.stderr).toContain(`1 failed:\n  127.0.0.1:${port}: connection refused\n`);
  });

  it('fails a poem cut off by a reset instead of printing half of it', async () => {
    const server = await peer(startResetPeer('Half a po'));
    const result = await runCli('get-poetry', [server.address]);
    expect(result.status).toBe(1);
    expect(result.stdout.length).toBe(0);
    expect(result.stderr).toMatch(
      new RegExp(
        `${server.address}: connection reset by peer after 9 bytes; the poem is incomplete`,
      ),
    );
  });

  it('fails a server that closes without sending anything', async () => {
    const server = await peer(startEmptyPeer());
    const result = await runCli('get-poetry', [server.address]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `${server.address}: the server closed the connection without sending a poem`,
    );
  });

  it('aborts a server that sends forever once the poem passes --max-bytes', async () => {
    const server = await peer(startFloodPeer());
    const result = await runCli('get-poetry', ['--max-bytes', '200000', server.address]);
    expect(result.status).toBe(1);
    expect(result.stdout.length).toBe(0);
    expect(result.stderr).toContain(
      `${server.address}: the poem is larger than the 200000-byte cap`,
    );
  });

  it('gives up on a silent server after --idle-timeout', async () => {
    const server = await peer(startBlackholePeer());
    const result = await runCli('get-poetry', ['--idle-timeout', '0.2', server.address]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${server.address}: no data for 0.2 s`);
  });

  it('gives up on a poem that takes longer than --timeout in all', async () => {
    const server = await peer(startPoetryPeer(SONNET, { chunkSize: 1, delayMs: 20 }));
    const result = await runCli('get-poetry', ['--timeout', '0.2', server.address]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${server.address}: no complete poem after 0.2 s`);
  });

  it('fetches from [::1] and finds localhost on either loopback address', async () => {
    expect(ipv6).toBe(true);
    const v6 = await peer(startPoetryPeer('over IPv6\n', { host: '::1' }));
    const v4 = await peer(startPoetryPeer('over IPv4\n', { host: '127.0.0.1' }));
    const result = await runCli('get-poetry', [
      '--json',
      `[::1]:${v6.port}`,
      `localhost:${v6.port}`,
      String(v4.port),
    ]);
    expect(result.status).toBe(0);
    const document = JSON.parse(result.stdout.toString());
    expect(document.poems.map((p: { text: string }) => p.text)).toEqual([
      'over IPv6\n',
      'over IPv6\n',
      'over IPv4\n',
    ]);
    expect(document.poems[0].address).toBe(`[::1]:${v6.port}`);
    expect(document.poems[2].address).toBe(`localhost:${v4.port}`);
  });

  it('prints one JSON document of poems and failures in argument order with --json', async () => {
    const good = await peer(startPoetryPeer(SONNET));
    const empty = await peer(startEmptyPeer());
    const port = await refusedPort();
    const result = await runCli('get-poetry', [
      '--json',
      empty.address,
      good.address,
      `127.0.0.1:${port}`,
    ]);
    expect(result.status).toBe(1);
    const document = JSON.parse(result.stdout.toString());
    expect(Object.keys(document).sort()).toEqual(['elapsedSeconds', 'failures', 'poems']);
    expect(document.poems).toEqual([
      { index: 2, address: good.address, bytes: Buffer.byteLength(SONNET), text: SONNET },
    ]);
    expect(document.failures).toEqual([
      {
        index: 1,
        address: empty.address,
        code: 'ERR_EMPTY_POEM',
        message: 'the server closed the connection without sending a poem',
      },
      {
        index: 3,
        address: `127.0.0.1:${port}`,
        code: 'ERR_CONNECTION_REFUSED',
        message: 'connection refused',
      },
    ]);
    expect(typeof document.elapsedSeconds).toBe('number');
  });

  it('streams poems into --output files and leaves no complete-looking file for a failure', async () => {
    const dir = join(await tempDir(), 'made', 'for', 'poems');
    const big = Buffer.alloc(3 * 1024 * 1024, 'Big poem line.\n');
    const good = await peer(startPoetryPeer(big, { chunkSize: 256 * 1024 }));
    const broken = await peer(startResetPeer('Half a po'));
    const result = await runCli('get-poetry', [
      '--output',
      dir,
      '--json',
      good.address,
      broken.address,
    ]);
    expect(result.status).toBe(1);
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([`001-127.0.0.1-${good.port}.txt`]);
    expect((await readFile(join(dir, files[0]!))).equals(big)).toBe(true);
    const document = JSON.parse(result.stdout.toString());
    expect(document.poems).toEqual([
      { index: 1, address: good.address, bytes: big.length, file: join(dir, files[0]!) },
    ]);
    expect(document.failures[0]).toMatchObject({ index: 2, code: 'ERR_POEM_INCOMPLETE' });
  });

  it('prints nothing on stdout with --quiet', async () => {
    const server = await peer(startPoetryPeer(SONNET));
    const result = await runCli('get-poetry', ['--quiet', server.address]);
    expect(result.status).toBe(0);
    expect(result.stdout.length).toBe(0);
    expect(result.stderr).toContain('Got 1 poem');
  });

  it('prints a line per chunk with --verbose, as the tutorial’s client 2.0 did', async () => {
    const server = await peer(
      startPoetryPeer('0123456789abcdefghij', { chunkSize: 10, delayMs: 30 }),
    );
    const result = await runCli('get-poetry', ['--verbose', server.address]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`Task 1: got 10 bytes of poetry from ${server.address}\n`);
    expect(result.stderr).toContain('Task 1 finished (20 bytes)\n');
  });

  it('fetches every address even when it runs out of file descriptors', async () => {
    const server = await peer(startPoetryPeer('A short poem.\n'));
    const addresses = Array.from({ length: 300 }, () => server.address);
    const result = await runCli('get-poetry', ['--json', '--concurrency', '1000', ...addresses], {
      maxOpenFiles: 64,
    });
    expect(result.stderr).not.toContain('failed');
    expect(result.status).toBe(0);
    const document = JSON.parse(result.stdout.toString());
    expect(document.poems).toHaveLength(300);
    expect(document.failures).toEqual([]);
  });

  it('stops quietly when the reader of stdout goes away (get-poetry … | head)', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 'A long, long poem.\n');
    const server = await peer(startPoetryPeer(big));
    const run = startCli('get-poetry', [server.address, server.address]);
    run.child.stdout!.once('data', () => run.child.stdout!.destroy());
    const result = await run.done;
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('Got 2 poems');
    expect(result.stderr).not.toContain('EPIPE');
  });

  it('exits 130 on Ctrl-C, printing what finished and reporting the rest as cancelled', async () => {
    const good = await peer(startPoetryPeer(SONNET));
    const silent = await peer(startBlackholePeer());
    const run = startCli('get-poetry', ['--verbose', good.address, silent.address]);
    await run.stderrIncludes('Task 1 finished');
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.status).toBe(130);
    expect(result.stdout.toString()).toBe(`==> Task 1: ${good.address} <==\n${SONNET}`);
    expect(result.stderr).toContain(`Interrupted.\n1 failed:\n  ${silent.address}: cancelled\n`);
  });
});

describe('get-poetry usage errors', () => {
  it.each([
    '',
    '0x2711',
    '1e4',
    ' 1',
    '0',
    '65536',
    'localhost:',
    ':1',
    '::1:10000',
    '[::1]',
    'host:port',
  ])('exits 2 naming the bad address %j, without a stack trace', async (argument) => {
    const result = await runCli('get-poetry', ['10000', argument]);
    expect(result.status).toBe(2);
    expect(result.stdout.length).toBe(0);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(`get-poetry: invalid address ${JSON.stringify(argument)}`);
    expect(lines[1]).toBe("(see 'get-poetry --help')");
  });

  it('exits 2 when given no address at all', async () => {
    const result = await runCli('get-poetry', []);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("missing required argument 'address'");
    expect(result.stderr).toContain("(see 'get-poetry --help')");
  });

  it.each([
    ['--timeout', '-1'],
    ['--idle-timeout', 'NaN'],
    ['--concurrency', '0'],
    ['--max-bytes', '1e6'],
  ])('exits 2 for %s %s', async (option, value) => {
    const result = await runCli('get-poetry', [option, value, '10000']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(option);
    expect(result.stderr).not.toContain('    at ');
  });

  it('prints help and exits 0 with --help', async () => {
    const result = await runCli('get-poetry', ['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout.toString()).toContain('Usage: get-poetry [options] <address...>');
  });
});
