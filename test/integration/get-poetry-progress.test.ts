// get-poetry's live progress where people look: on stderr whenever it is a terminal (a real pty,
// through util-linux `script`), with stdout redirected to a file that holds only the poems.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as peers from '../helpers/peers.js';
import { killTerminals, runGetPoetryOnPty, shellQuote } from '../helpers/pty.js';
import { removeScratchDirs, scratchDir } from '../helpers/scratch.js';

afterEach(async () => {
  killTerminals();
  await peers.closeAllPeers();
  await removeScratchDirs();
});

/**
 * Runs get-poetry with stderr on a pseudo-terminal and stdout redirected to a file, as
 * `get-poetry ADDRESS… > poems.txt` in a terminal; returns what the terminal was sent and the file.
 */
async function runRedirected(
  args: string[],
): Promise<{ status: number | null; tty: string; file: Buffer }> {
  const dir = await scratchDir('progress-pty-');
  const file = join(dir, 'poems.txt');
  // A pty made by `script` without a terminal above it has no size; give it a usual one.
  const { status, tty } = await runGetPoetryOnPty(
    args,
    (command) => `stty rows 24 cols 80; ${command} >${shellQuote(file)}`,
  );
  return { status, tty: tty.toString('utf8'), file: await readFile(file) };
}

describe('get-poetry progress with stdout redirected', () => {
  it('draws the progress on the stderr terminal while the file gets only the poems, byte-exact', async () => {
    const first = Buffer.from('Progress goes where people look,\nand poems where they are sent.\n');
    const second = Buffer.from(
      'A second poem, slower,\r\nwith a CR and a \x1b[31mred\x1b[0m byte.\n',
    );
    // Slow enough for the display to be drawn and redrawn while the poems arrive.
    const one = await peers.startPoetryPeer(first, { chunkSize: 4, delayMs: 10 });
    const two = await peers.startPoetryPeer(second, { chunkSize: 3, delayMs: 15 });

    const { status, tty, file } = await runRedirected([one.address, two.address]);

    expect(status).toBe(0);
    // The display: a line per address, erased in place (clearScreenDown) before the summary.
    expect(tty).toContain(one.address);
    expect(tty).toContain(two.address);
    expect(tty).toContain('\x1b[0J');
    expect(tty).toContain('Got 2 poems');
    // Nothing of the poems reaches the terminal.
    expect(tty).not.toContain('Progress goes where');
    expect(tty).not.toContain('A second poem');
    // The file: the poems as sent, under the headers a run of several addresses prints.
    const expected = Buffer.concat([
      Buffer.from(`==> Task 1: ${one.address} <==\n`),
      first,
      Buffer.from(`\n==> Task 2: ${two.address} <==\n`),
      second,
    ]);
    expect(file.equals(expected)).toBe(true);
  });

  it('draws nothing with --no-progress, and the file is the same', async () => {
    const poem = Buffer.from('Quiet, by request.\n');
    const server = await peers.startPoetryPeer(poem, { chunkSize: 4, delayMs: 5 });

    const { status, tty, file } = await runRedirected(['--no-progress', server.address]);

    expect(status).toBe(0);
    expect(tty).not.toContain('\x1b[');
    expect(tty).toContain('Got 1 poem');
    expect(file.equals(poem)).toBe(true);
  });
});
