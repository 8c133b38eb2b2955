// get-poetry, spawned as a user runs it, against misbehaving servers: what reaches a terminal, what
// reaches a pipe, the exit status, and running out of file descriptors.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as peers from '../helpers/peers.js';
import { killTerminals, runGetPoetryOnPty, shellQuote } from '../helpers/pty.js';
import { killRunningClis, runCli } from '../helpers/run-cli.js';
import { skipUnder } from '../helpers/runtime.js';
import { removeScratchDirs, scratchDir } from '../helpers/scratch.js';

const HOSTILE = peers.HOSTILE_POEM;

afterEach(async () => {
  killRunningClis();
  killTerminals();
  await peers.closeAllPeers();
  await removeScratchDirs();
});

/**
 * Runs get-poetry with its stdout on a pseudo-terminal and returns what the terminal was sent.
 * stderr goes to a file, so only the poems are on the tty.
 */
async function runOnTerminal(args: string[]): Promise<{ status: number | null; tty: Buffer }> {
  const dir = await scratchDir('faults-cli-');
  return runGetPoetryOnPty(args, (command) => `${command} 2>${shellQuote(join(dir, 'stderr'))}`);
}

/** The bytes of every code point a server could use to take over or mislead a terminal. */
function terminalControls(output: Buffer): string[] {
  const found: string[] = [];
  for (const byte of output) {
    // C0 controls except tab, LF and the CR the terminal adds to LF; DEL; C1 as raw bytes.
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f) {
      found.push(`0x${byte.toString(16).padStart(2, '0')}`);
    }
  }
  for (const character of output.toString('utf8')) {
    const code = character.codePointAt(0)!;
    if (code >= 0x80 && code <= 0x9f) found.push(`U+${code.toString(16).padStart(4, '0')}`);
  }
  return found;
}

const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/u;

describe('get-poetry and hostile bytes', () => {
  it('escapes escape sequences, NUL, BEL and C1 controls on a terminal', async () => {
    const server = await peers.startPoetryPeer(HOSTILE, { chunkSize: 7, delayMs: 1 });
    const { status, tty } = await runOnTerminal(['--no-progress', server.address]);
    expect(status).toBe(0);
    expect(terminalControls(tty)).toEqual([]);
    const text = tty.toString('utf8');
    expect(text).toContain('title^[]0;owned^G^[[2J^[[31mred^@nul\\u009b31m');
  });

  it('escapes bidirectional overrides on a terminal, so a server cannot reorder what is shown', async () => {
    const server = await peers.startPoetryPeer(HOSTILE);
    const { status, tty } = await runOnTerminal(['--no-progress', server.address]);
    expect(status).toBe(0);
    const text = tty.toString('utf8');
    expect(text).toContain('evil');
    expect(text).not.toMatch(BIDI);
  });

  it('passes every hostile byte through unchanged when stdout is a pipe', async () => {
    const server = await peers.startPoetryPeer(HOSTILE, { chunkSize: 5, delayMs: 1 });
    const result = await runCli('get-poetry', [server.address]);
    expect(result.status).toBe(0);
    expect(Buffer.compare(result.stdout, HOSTILE)).toBe(0);
  });
});

describe('get-poetry against every misbehaving server at once', () => {
  it('prints the good poems, fails each bad address once with its reason, and exits 1', async () => {
    // The timeouts end only the two servers that would never end a fetch; every other ends
    // its fetch at once, by itself, so 2 s leaves room for a machine that is slow to answer.
    const poem = 'A poem that arrives whole.\n';
    const good = await peers.startLastByteClosePeer(poem);
    const byteByByte = await peers.startPoetryPeer('drip\n', { chunkSize: 1 });
    const bad: [peers.Peer | string, string][] = [
      [await peers.startBlackholePeer(), 'no data for 2 s'],
      [await peers.startUnacceptingPeer(), 'no connection after 2 s'],
      [await peers.startResetPeer('Half a po'), 'after 9 bytes; the poem is incomplete'],
      [await peers.startEmptyPeer(), 'the server closed the connection without sending a poem'],
      [await peers.startFloodPeer(), 'the poem is larger than the 100 kB cap'],
      [`127.0.0.1:${await peers.refusedPort()}`, 'connection refused'],
    ];
    const badAddresses = bad.map(([p]) => (typeof p === 'string' ? p : p.address));
    const result = await runCli('get-poetry', [
      '--idle-timeout',
      '2',
      '--connect-timeout',
      '2',
      '--max-bytes',
      '100000',
      good.address,
      ...badAddresses,
      byteByByte.address,
    ]);
    expect(result.status).toBe(1);
    expect(result.stdout.toString()).toBe(
      `==> Task 1: ${good.address} <==\n${poem}\n==> Task 8: ${byteByByte.address} <==\ndrip\n`,
    );
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Got 2 poems \(32 bytes\) in [\d.]+ s\.$/);
    expect(lines[1]).toBe('6 failed:');
    expect(lines.slice(2, 8)).toHaveLength(6);
    // The first server that sent not a byte over plain TCP gets the TLS hint (the blackhole).
    expect(lines.slice(8)).toEqual([
      expect.stringMatching(`^hint: ${badAddresses[0]} sent not a byte`),
    ]);
    bad.forEach(([, reason], i) => {
      const address = badAddresses[i]!;
      expect(lines.filter((line) => line.startsWith(`  ${address}: `))).toEqual([
        expect.stringContaining(reason),
      ]);
    });
    expect(result.stderr).not.toMatch(/^\s+at |Error:/m);
  });
});

const BUN_EMFILE =
  'Bun 1 reports a connect that fails for want of a descriptor (EMFILE) as ECONNREFUSED, so the command cannot tell it from a refusal';
const DENO_EMFILE =
  'Deno 2 panics (in its signal handling, unwrapping EMFILE) or stalls once the process is out of descriptors';

describe('get-poetry out of file descriptors', () => {
  it('ends every address as its server deserves under ulimit -n 48, losing none to the limit', async (context) => {
    skipUnder(context, ['bun'], BUN_EMFILE);
    const poem = Buffer.alloc(20_000, 'The descriptors ran out; the poems did not.\n');
    const good = await peers.startLastByteClosePeer(poem);
    const flood = await peers.startFloodPeer();
    const empty = await peers.startEmptyPeer();
    const refused = `127.0.0.1:${await peers.refusedPort()}`;
    const kinds = [good.address, flood.address, empty.address, refused];
    const addresses = Array.from({ length: 240 }, (_, i) => kinds[i % kinds.length]!);
    const result = await runCli(
      'get-poetry',
      ['--json', '--concurrency', '1000', '--max-bytes', '100000', ...addresses],
      { maxOpenFiles: 48, timeoutMs: 25_000 },
    );
    expect(result.signal).toBe(null);
    expect(result.status).toBe(1);
    const document = JSON.parse(result.stdout.toString()) as {
      poems: { index: number; text: string }[];
      failures: { index: number; code: string }[];
    };
    expect(document.poems).toHaveLength(60);
    for (const p of document.poems) {
      expect((p.index - 1) % 4).toBe(0);
      expect(p.text).toBe(poem.toString());
    }
    const codes = ['ERR_POEM_TOO_LARGE', 'ERR_EMPTY_POEM', 'ERR_CONNECTION_REFUSED'];
    expect(document.failures).toHaveLength(180);
    for (const f of document.failures) expect(f.code).toBe(codes[((f.index - 1) % 4) - 1]);
    expect(result.stderr).not.toContain('too many open files');
  }, 30_000);

  it('streams every poem into --output files under ulimit -n 48 without stalling', async (context) => {
    skipUnder(context, ['bun'], BUN_EMFILE);
    skipUnder(context, ['deno'], DENO_EMFILE);
    const poem = Buffer.alloc(200_000, 'Each poem needs a socket and a file.\n');
    const server = await peers.startPoetryPeer(poem);
    const dir = join(await scratchDir('faults-cli-'), 'out');
    const addresses = Array.from({ length: 300 }, () => server.address);
    // Well-behaved, this takes a second or two; a fetch loop that starves itself of
    // descriptors takes minutes and is killed at the time limit.
    const result = await runCli(
      'get-poetry',
      ['--quiet', '--concurrency', '1000', '--output', dir, ...addresses],
      { maxOpenFiles: 48, timeoutMs: 20_000 },
    );
    expect(result.signal).toBe(null);
    expect(result.status).toBe(0);
    const files = await readdir(dir);
    expect(files).toHaveLength(300);
    expect(files.filter((f) => f.endsWith('.part'))).toEqual([]);
    expect(Buffer.compare(await readFile(join(dir, files[0]!)), poem)).toBe(0);
  }, 30_000);
});
