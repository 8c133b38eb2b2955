// The client library over real loopback sockets: the real reactor, streaming, cancelling.

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserCancelledError } from '../../src/internet/errors.js';
import { Reactor } from '../../src/internet/reactor.js';
import { PoemIncompleteError } from '../../src/poetry/errors.js';
import { fetchPoem, fetchPoems } from '../../src/poetry/fetch.js';
import { FileSink, type PoemSink, type PoemSinkListener } from '../../src/poetry/sink.js';
import {
  closeAllPeers,
  startBlackholePeer,
  startPoetryPeer,
  startResetPeer,
} from '../helpers/peers.js';
import { eventually } from '../helpers/resources.js';
import { removeScratchDirs, scratchDir } from '../helpers/scratch.js';

const errors: { error: unknown; where: string }[] = [];
const reactor = new Reactor({
  reportError: (error, where) => errors.push({ error, where }),
  // Nothing here may reach a real DNS server.
  lookup: (hostname, _options, callback) =>
    callback(new Error(`unexpected lookup of ${hostname}`) as NodeJS.ErrnoException, '', 4),
});

afterEach(async () => {
  await closeAllPeers();
  await removeScratchDirs();
  expect(errors.splice(0)).toEqual([]);
});

/**
 * A sink slower than the network: it asks for a pause after every MiB and catches up on the
 * next turn of the event loop, as a busy disk would.
 */
class SlowSink implements PoemSink {
  pauses = 0;
  /** Chunks written while this sink had asked for a pause: the fetch did not pause. */
  writesWhilePaused = 0;
  readonly chunks: Buffer[] = [];
  #sinceResume = 0;
  #paused = false;
  #listener: PoemSinkListener | undefined;

  start(listener: PoemSinkListener): void {
    this.#listener = listener;
  }

  write(chunk: Buffer): boolean {
    if (this.#paused) this.writesWhilePaused++;
    this.chunks.push(Buffer.from(chunk));
    this.#sinceResume += chunk.length;
    if (this.#sinceResume < 1024 * 1024) return true;
    this.pauses++;
    this.#sinceResume = 0;
    this.#paused = true;
    setImmediate(() => {
      this.#paused = false;
      this.#listener?.resume();
    });
    return false;
  }

  close(done: (error?: Error) => void): void {
    done();
  }

  abort(): void {}
}

describe('the client library on loopback', () => {
  it('fetches poems over 127.0.0.1 and ::1, and localhost finds a server on either', async () => {
    const v4 = await startPoetryPeer('four\n', { host: '127.0.0.1' });
    const v6 = await startPoetryPeer('six\n', { host: '::1' });
    const results = await fetchPoems(
      [v4.address, v6.address, `localhost:${v4.port}`, `localhost:${v6.port}`],
      { reactor },
    );
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.text : r.reason))).toEqual([
      'four\n',
      'six\n',
      'four\n',
      'six\n',
    ]);
  });

  it('streams a large poem into a slow sink, pausing the socket while it catches up', async () => {
    const big = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = 97 + (i % 26);
    const server = await startPoetryPeer(big);
    const sink = new SlowSink();
    const poem = await fetchPoem(server.address, { reactor, sink });
    expect(poem.byteLength).toBe(big.length);
    expect(poem.bytes.length).toBe(0);
    expect(sink.pauses).toBeGreaterThan(0);
    expect(sink.writesWhilePaused).toBe(0);
    expect(Buffer.concat(sink.chunks).equals(big)).toBe(true);
  });

  it('streams a large poem into a file, byte for byte', async () => {
    const dir = await scratchDir('poetry-stream-');
    const big = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = 97 + (i % 26);
    const server = await startPoetryPeer(big);
    const sink = new FileSink(join(dir, 'big.txt'));
    const poem = await fetchPoem(server.address, { reactor, sink });
    expect(poem.byteLength).toBe(big.length);
    expect(poem.bytes.length).toBe(0);
    expect((await stat(sink.path)).size).toBe(big.length);
    expect((await readFile(sink.path)).equals(big)).toBe(true);
  });

  it('reports a reset mid-poem with the bytes that did arrive', async () => {
    const server = await startResetPeer('Half a po');
    const error = await fetchPoem(server.address, { reactor }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoemIncompleteError);
    expect((error as PoemIncompleteError).partial.toString()).toBe('Half a po');
  });

  it('closes the connection when the signal aborts', async () => {
    const server = await startBlackholePeer();
    const controller = new AbortController();
    const fetching = fetchPoem(server.address, { reactor, signal: controller.signal });
    expect(await eventually(() => server.connections > 0)).toBe(true);
    controller.abort();
    await expect(fetching).rejects.toBeInstanceOf(UserCancelledError);
  });
});
