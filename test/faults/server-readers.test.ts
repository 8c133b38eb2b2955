// The poetry server against readers that misbehave, in one process: it survives them all and
// gives back every descriptor and handle once they are gone. (That it sets no timer while
// readers hold it off is a unit test, on the fake clock; its CPU time varies with the machine,
// so no test asserts it.)

import { afterEach, describe, expect, it } from 'vitest';
import { Reactor } from '../../src/internet/reactor.js';
import { type PoetryServer, servePoetry } from '../../src/poetry/server.js';
import { BufferPoemSource } from '../../src/poetry/server-source.js';
import {
  destroyHostileReaders,
  type HostileReader,
  READER_KINDS,
  type ReaderKind,
  startReader,
  whenConnected,
} from '../helpers/readers.js';
import { eventually, holdings, leaksSince } from '../helpers/resources.js';
import { binaryPoem } from '../helpers/server-memory.js';

const servers: PoetryServer[] = [];
afterEach(async () => {
  destroyHostileReaders();
  await Promise.all(servers.splice(0).map((s) => s.shutdown(0)));
});

interface Served {
  server: PoetryServer;
  reported: string[];
  host: string;
  port: number;
}

async function serve(
  poem: Buffer,
  options: { delay: number; numBytes?: number; stallTimeout?: number },
): Promise<Served> {
  const reported: string[] = [];
  const reactor = new Reactor({
    reportError: (error, where) => reported.push(`${where}: ${String(error)}`),
  });
  const server = await servePoetry(reactor, new BufferPoemSource(poem), {
    interface: '127.0.0.1',
    stallTimeout: 0,
    ...options,
  });
  servers.push(server);
  const { host, port } = server.getHost();
  return { server, reported, host, port };
}

/** Readers that hold the connection until told: they never finish by themselves. */
const HOLDERS: readonly ReaderKind[] = ['never-read', 'connect-and-idle'];
/**
 * Readers that must get the whole poem, byte-exact, and a clean close. A send-data reader must
 * too, but a server bug cuts it short (see "sends the whole poem to readers that keep sending"),
 * so the other tests hold it only to never getting a wrong byte.
 */
const WHOLE: readonly ReaderKind[] = ['whole', 'half-close-at-once'];

describe('the server against misbehaving readers', () => {
  it.each([
    ['paced', { delay: 0.01, numBytes: 64 }, binaryPoem(2048, 3)],
    ['fast', { delay: 0 }, binaryPoem(1024 * 1024, 4)],
  ] as const)(
    'serves %s: survives every kind of reader and still serves the next one exactly',
    async (_mode, options, poem) => {
      const s = await serve(poem, options);
      const readers: HostileReader[] = [];
      for (let round = 0; round < 4; round++) {
        for (const kind of READER_KINDS) readers.push(startReader(kind, s.host, s.port));
      }
      await Promise.all(readers.map(whenConnected));
      const finishing = readers.filter((r) => !HOLDERS.includes(r.kind));
      const outcomes = await Promise.all(finishing.map((r) => r.done));
      for (const r of readers) if (HOLDERS.includes(r.kind)) r.close();

      for (const outcome of outcomes) {
        if (WHOLE.includes(outcome.kind)) {
          expect(Buffer.compare(outcome.data, poem), outcome.kind).toBe(0);
          expect(outcome.endedByServer, outcome.kind).toBe(true);
          expect(outcome.errorCode, outcome.kind).toBe(undefined);
        } else {
          // It left early (or was cut short): what it got is the start of the poem, nothing else.
          if (outcome.kind !== 'send-data')
            expect(outcome.data.length, outcome.kind).toBeGreaterThan(0);
          expect(Buffer.compare(outcome.data, poem.subarray(0, outcome.data.length))).toBe(0);
        }
      }
      expect(await eventually(() => s.server.factory.readers === 0)).toBe(true);
      const next = await startReader('whole', s.host, s.port).done;
      expect(Buffer.compare(next.data, poem)).toBe(0);
      expect(s.reported).toEqual([]);
    },
  );

  it('sends the whole poem to readers that keep sending data the whole time', async () => {
    const poem = binaryPoem(1024 * 1024, 8);
    const s = await serve(poem, { delay: 0 });
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => startReader('send-data', s.host, s.port).done),
    );
    expect(outcomes.map((o) => [o.data.length, o.errorCode ?? 'clean'])).toEqual(
      outcomes.map(() => [poem.length, 'clean']),
    );
    for (const outcome of outcomes) expect(Buffer.compare(outcome.data, poem)).toBe(0);
    expect(s.reported).toEqual([]);
  });

  it('cuts readers that never read once the stall timeout passes, with nobody else acting', async () => {
    const poem = binaryPoem(8 * 1024 * 1024, 5);
    const s = await serve(poem, { delay: 0, stallTimeout: 0.3 });
    const stuck = [
      startReader('never-read', s.host, s.port),
      startReader('never-read', s.host, s.port),
    ];
    await Promise.all(stuck.map(whenConnected));
    expect(await eventually(() => s.server.factory.readers === 2)).toBe(true);
    // A paused reader never reads, so it cannot see the cut: the server's count tells.
    expect(await eventually(() => s.server.factory.readers === 0)).toBe(true);
    expect(s.server.factory.served).toBe(0);
    for (const r of stuck) r.close();
    expect(s.reported).toEqual([]);
  });

  it('returns to its baseline of descriptors and handles after 10,000 readers come and go', async () => {
    const poem = binaryPoem(3000, 7);
    const s = await serve(poem, { delay: 0 });
    const before = await holdings();
    const WAVE = 250;
    let whole = 0;
    for (let started = 0; started < 10_000; started += WAVE) {
      const wave = Array.from({ length: WAVE }, (_, i) =>
        startReader(READER_KINDS[(started + i) % READER_KINDS.length]!, s.host, s.port),
      );
      await Promise.all(wave.map(whenConnected));
      const finishing = wave.filter((r) => !HOLDERS.includes(r.kind));
      const outcomes = await Promise.all(finishing.map((r) => r.done));
      for (const outcome of outcomes) {
        if (WHOLE.includes(outcome.kind) && Buffer.compare(outcome.data, poem) === 0) whole++;
      }
      for (const r of wave) if (HOLDERS.includes(r.kind)) r.close();
      await Promise.all(wave.map((r) => r.done));
    }
    expect(await eventually(() => s.server.factory.readers === 0)).toBe(true);
    expect(await leaksSince(before)).toEqual({});
    expect(whole).toBe(countKinds(10_000, WHOLE));
    expect(s.server.factory.served).toBeGreaterThanOrEqual(whole);
    expect(s.reported).toEqual([]);
  }, 60_000);
});

/** How many of the first `total` readers, kinds in READER_KINDS order, are of `kinds`. */
function countKinds(total: number, kinds: readonly ReaderKind[]): number {
  let count = 0;
  for (let i = 0; i < total; i++)
    if (kinds.includes(READER_KINDS[i % READER_KINDS.length]!)) count++;
  return count;
}
