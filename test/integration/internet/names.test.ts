// A bare PORT (localhost) over real loopback sockets: either loopback address is found, without a
// lookup, and a listen queue that overflows makes no fetch fail before its connect timeout.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Reactor } from '../../../src/internet/reactor.js';
import { IdleTimeoutError } from '../../../src/poetry/errors.js';
import { fetchPoem, fetchPoems } from '../../../src/poetry/fetch.js';
import { closeAllPeers, hasIPv6Loopback, startPoetryPeer } from '../../helpers/peers.js';

const errors: { error: unknown; where: string }[] = [];
const lookups: string[] = [];

/** A reactor whose lookup only records: localhost and IP addresses must never reach it. */
function newReactor(): Reactor {
  return new Reactor({
    reportError: (error, where) => errors.push({ error, where }),
    lookup: (hostname, _options, callback) => {
      lookups.push(hostname);
      callback(new Error(`unexpected lookup of ${hostname}`) as NodeJS.ErrnoException, '', 4);
    },
  });
}

const ipv6 = await hasIPv6Loopback();
const children = new Set<ChildProcess>();

afterEach(async () => {
  await closeAllPeers();
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  expect(errors.splice(0)).toEqual([]);
  expect(lookups.splice(0)).toEqual([]);
});

/** Starts the slow-accept fixture and returns its port. */
async function startSlowAcceptServer(backlog: number, delayMs: number): Promise<number> {
  const script = fileURLToPath(
    new URL('../../fixtures/internet/slow-accept-server.mjs', import.meta.url),
  );
  const child = spawn(process.execPath, [script, String(backlog), String(delayMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  return Number(line);
}

describe('a bare PORT on loopback', () => {
  it('reaches a server listening only on 127.0.0.1', async () => {
    const server = await startPoetryPeer('four\n', { host: '127.0.0.1' });
    const poem = await fetchPoem(String(server.port), { reactor: newReactor() });
    expect(poem.text).toBe('four\n');
  });

  it.skipIf(!ipv6)('reaches a server listening only on ::1', async () => {
    const server = await startPoetryPeer('six\n', { host: '::1' });
    const poem = await fetchPoem(String(server.port), { reactor: newReactor() });
    expect(poem.text).toBe('six\n');
  });

  it('fails with ConnectionRefusedError when nothing listens on either address', async () => {
    const server = await startPoetryPeer('gone\n', { host: '127.0.0.1' });
    const port = server.port;
    await server.close();
    await expect(fetchPoem(String(port), { reactor: newReactor() })).rejects.toMatchObject({
      name: 'ConnectionRefusedError',
      message: `localhost:${port}: connection refused`,
    });
  });

  it('fails no fetch before its connect timeout when the listen queue overflows', async () => {
    // 200 connects at once to a backlog of 32 that is not accepted for 0.7 s: the kernel drops
    // SYNs and the clients send them again a second later, when the server is accepting. The
    // connect timeout (12 s) outlasts all that, so no attempt may fail. Linux also answers part
    // of such a burst with SYN cookies, and then drops the handshake's last ACK as the queue is
    // full: the client has a connection the server never sees, and no byte ever comes. Those
    // fetches end at the idle timeout (short here, to bound the test); they were not failures
    // to connect, and the one thing they may end with.
    const port = await startSlowAcceptServer(32, 700);
    const fetches = 200;
    const results = await fetchPoems(Array(fetches).fill(String(port)), {
      reactor: newReactor(),
      concurrency: fetches,
      timeouts: { connectSeconds: 12, idleSeconds: 2 },
    });
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(failures.filter((e) => !(e instanceof IdleTimeoutError)).map((e) => e.message)).toEqual(
      [],
    );
    const poems = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.text] : []));
    expect(poems.length).toBeGreaterThan(0);
    expect(poems.every((text) => text === 'poem\n')).toBe(true);
  }, 30_000);
});
