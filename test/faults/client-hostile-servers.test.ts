// The client against servers that misbehave, in one process: every fetch ends exactly once, a
// broken poem is never a poem, and nothing is left open afterwards.
//
// Each fetch has at most one timeout on: the one that must end it when the server never does.
// With two in play their order would turn on how fast the machine is (the total timeout counts
// from connecting, the idle timeout from the connection); that order is the unit tests' to check,
// on the fake clock.

import { afterEach, describe, expect, it } from 'vitest';
import { PoetryNowError } from '../../src/internet/errors.js';
import { Reactor } from '../../src/internet/reactor.js';
import { getPoetry, type PoemTimeouts, type PoetryClientOptions } from '../../src/poetry/client.js';
import { fetchPoems } from '../../src/poetry/fetch.js';
import type { Poem } from '../../src/poetry/poem.js';
import * as peers from '../helpers/peers.js';
import { holdings, leaksSince } from '../helpers/resources.js';

afterEach(peers.closeAllPeers);

type Peer = peers.Peer;

const HOSTILE = peers.HOSTILE_POEM;
const BIG = Buffer.alloc(300 * 1024, 'Whose woods these are I think I know.\n');
const TRICKLE = 'slow\n';
const MAX_BYTES = 1024 * 1024;

/** Every timeout off: only what the server does can end the fetch. */
const NO_TIMEOUTS: PoemTimeouts = { connectSeconds: 0, idleSeconds: 0, totalSeconds: 0 };

interface Scenario {
  name: string;
  start: () => Promise<Peer>;
  /** The poem's bytes, or the error code the fetch must end with. */
  expect: Buffer | string;
  /** The one timeout on, for a server that would otherwise keep the fetch forever. */
  timeouts?: PoemTimeouts;
}

/** Every misbehaving server of issue 7, with what the client must make of it. */
const SCENARIOS: Scenario[] = [
  {
    name: 'accepts and never sends',
    start: () => peers.startBlackholePeer(),
    expect: 'ERR_IDLE_TIMEOUT',
    timeouts: { ...NO_TIMEOUTS, idleSeconds: 0.5 },
  },
  {
    name: 'never accepts (listen queue full)',
    start: () => peers.startUnacceptingPeer(),
    expect: 'ERR_CONNECT_TIMEOUT',
    timeouts: { ...NO_TIMEOUTS, connectSeconds: 0.5 },
  },
  {
    name: 'sends half the poem then resets',
    start: () => peers.startResetPeer(BIG.subarray(0, BIG.length / 2)),
    expect: 'ERR_POEM_INCOMPLETE',
  },
  {
    name: 'sends the whole poem then resets',
    start: () => peers.startWholeThenResetPeer(BIG),
    expect: 'ERR_POEM_INCOMPLETE',
  },
  { name: 'closes without a byte', start: () => peers.startEmptyPeer(), expect: 'ERR_EMPTY_POEM' },
  {
    name: 'trickles a byte every 0.2 s',
    start: () => peers.startTricklePeer(TRICKLE),
    expect: Buffer.from(TRICKLE),
  },
  { name: 'sends forever', start: () => peers.startFloodPeer(), expect: 'ERR_POEM_TOO_LARGE' },
  { name: 'sends hostile bytes', start: () => peers.startPoetryPeer(HOSTILE), expect: HOSTILE },
  {
    name: 'closes cleanly right after the last byte',
    start: () => peers.startLastByteClosePeer(BIG),
    expect: BIG,
  },
];

/** The options of a scenario's fetch: its one timeout, if any, and the size cap. */
function optionsOf(scenario: Scenario | undefined): PoetryClientOptions {
  return { timeouts: scenario?.timeouts ?? NO_TIMEOUTS, maxBytes: MAX_BYTES };
}

interface Ending {
  poems: Poem[];
  errors: Error[];
}

/**
 * Fetches from each address with getPoetry, with the options of the same index, counting every
 * callback and errback call.
 */
function fetchAll(
  reactor: Reactor,
  targets: Peer[],
  options: readonly PoetryClientOptions[],
): {
  endings: Ending[];
  finished: Promise<void>;
} {
  const endings: Ending[] = targets.map(() => ({ poems: [], errors: [] }));
  let left = targets.length;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  targets.forEach((target, index) => {
    const ending = endings[index]!;
    const done = (): void => {
      if (ending.poems.length + ending.errors.length === 1 && --left === 0) allDone();
    };
    getPoetry(
      target.host,
      target.port,
      (poem) => {
        ending.poems.push(poem);
        done();
      },
      (error) => {
        ending.errors.push(error);
        done();
      },
      { ...options[index], reactor },
    );
  });
  return { endings, finished };
}

/** The same options for every one of `count` fetches. */
const each = (count: number, options: PoetryClientOptions): PoetryClientOptions[] =>
  Array.from({ length: count }, () => options);

function refusedPeer(port: number): Peer {
  return {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    connections: 0,
    close: async () => {},
  };
}

/** The error codes the fetches ended with, one per fetch (undefined for a poem). */
const codes = (endings: Ending[]): (string | undefined)[] =>
  endings.map((e) => (e.errors[0] as PoetryNowError | undefined)?.code);

describe('the client against misbehaving servers', () => {
  it('ends every address with exactly one poem or one error that names the address', async () => {
    const reported: unknown[] = [];
    const reactor = new Reactor({ reportError: (error) => reported.push(error) });
    const before = await holdings();
    const started = await Promise.all(SCENARIOS.map((s) => s.start()));
    const targets = [...started, refusedPeer(await peers.refusedPort())];
    const expected = [...SCENARIOS.map((s) => s.expect), 'ERR_CONNECTION_REFUSED'];

    const { endings, finished } = fetchAll(
      reactor,
      targets,
      targets.map((_, i) => optionsOf(SCENARIOS[i])),
    );
    await finished;
    // Closing the peers provokes whatever a half-dead fetch might still do; once every socket
    // is closed on this side too, nothing more can come: count again.
    await peers.closeAllPeers();
    expect(await leaksSince(before)).toEqual({});

    targets.forEach((target, index) => {
      const ending = endings[index]!;
      const want = expected[index]!;
      const label = `${SCENARIOS[index]?.name ?? 'nothing listens'} (${target.address})`;
      expect(ending.poems.length + ending.errors.length, label).toBe(1);
      if (typeof want === 'string') {
        expect(ending.poems, label).toEqual([]);
        const error = ending.errors[0] as PoetryNowError;
        expect(error, label).toBeInstanceOf(PoetryNowError);
        expect(error.code, label).toBe(want);
        expect(error.address, label).toBe(target.address);
        expect(error.message, label).toMatch(new RegExp(`^${escapeRegExp(target.address)}: \\S`));
      } else {
        expect(ending.errors, label).toEqual([]);
        expect(Buffer.compare(ending.poems[0]!.bytes, want), label).toBe(0);
      }
    });
    expect(reported).toEqual([]);
  });

  it('never reports a reset as a poem, however much of the poem came first', async () => {
    const reactor = new Reactor();
    const sizes = [1, 10, 1000, 64 * 1024, BIG.length - 1, BIG.length];
    const targets = await Promise.all(sizes.map((n) => peers.startResetPeer(BIG.subarray(0, n))));
    const { endings, finished } = fetchAll(
      reactor,
      targets,
      each(sizes.length, optionsOf(undefined)),
    );
    await finished;
    for (const ending of endings) {
      expect(ending.poems).toEqual([]);
      expect(codes([ending])).toEqual(['ERR_POEM_INCOMPLETE']);
    }
  });

  it('never reports a reset as a poem when the bytes and the reset are both waiting to be read', async () => {
    // A busy client (thousands of fetches, a slow disk) often reads a connection only after
    // the server has sent its bytes and reset: block the loop for a moment after connecting
    // to make that happen. The server is in its own process so it is not blocked. Whether the
    // reset is already waiting or not, no timeout is on, so only the reset can end the fetch.
    const reactor = new Reactor();
    const server = await peers.startResetPeerProcess('Half a po', { resetAfterMs: 20 });
    const blockOnConnect = (event: { type: string }): void => {
      if (event.type !== 'connected') return;
      const until = Date.now() + 200;
      while (Date.now() < until) {
        // the client is busy elsewhere
      }
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      const { endings, finished } = fetchAll(
        reactor,
        [server],
        [{ ...optionsOf(undefined), onEvent: blockOnConnect }],
      );
      await finished;
      expect(endings[0]!.poems.map((p) => p.text)).toEqual([]);
      expect(codes(endings)).toEqual(['ERR_POEM_INCOMPLETE']);
    }
  });

  it('holds the size cap against a flood and keeps none of the flood', async () => {
    const reactor = new Reactor();
    const flood = await peers.startFloodPeer();
    const { endings, finished } = fetchAll(
      reactor,
      [flood, flood, flood],
      each(3, { ...optionsOf(undefined), maxBytes: 100_000 }),
    );
    await finished;
    for (const ending of endings) {
      expect(ending.poems).toEqual([]);
      const error = ending.errors[0] as PoetryNowError & { maxBytes: number };
      expect(error.code).toBe('ERR_POEM_TOO_LARGE');
      expect(error.maxBytes).toBe(100_000);
    }
  });

  it('gives up on a trickle at the total timeout and on silence at the idle timeout', async () => {
    const reactor = new Reactor();
    // 100 bytes 0.2 s apart take 20 s: only the total timeout can end this fetch in time.
    const trickle = await peers.startTricklePeer('x'.repeat(100));
    const silent = await peers.startBlackholePeer();
    const { endings, finished } = fetchAll(
      reactor,
      [trickle, silent],
      [
        { timeouts: { ...NO_TIMEOUTS, totalSeconds: 0.3 } },
        { timeouts: { ...NO_TIMEOUTS, idleSeconds: 0.3 } },
      ],
    );
    await finished;
    expect(codes(endings)).toEqual(['ERR_POEM_TIMEOUT', 'ERR_IDLE_TIMEOUT']);
  });

  it('runs a second batch in the same process the same way, leaving no descriptor or handle open', async () => {
    const reactor = new Reactor();
    const scenarios = SCENARIOS.filter((s) => s.name !== 'trickles a byte every 0.2 s');
    const started = await Promise.all(scenarios.map((s) => s.start()));
    const before = await holdings();

    // One fetchPoems batch per set of options: the scenarios without a timeout share one.
    const outcome = async (): Promise<string[]> => {
      const batches = new Map<PoemTimeouts | undefined, number[]>();
      scenarios.forEach((s, i) => {
        batches.set(s.timeouts, [...(batches.get(s.timeouts) ?? []), i]);
      });
      const outcomes: string[] = [];
      await Promise.all(
        [...batches.values()].map(async (indexes) => {
          const results = await fetchPoems(
            indexes.map((i) => ({ host: started[i]!.host, port: started[i]!.port })),
            {
              timeouts: scenarios[indexes[0]!]!.timeouts ?? NO_TIMEOUTS,
              maxBytes: MAX_BYTES,
              reactor,
            },
          );
          results.forEach((r, j) => {
            outcomes[indexes[j]!] =
              r.status === 'fulfilled'
                ? `poem ${r.value.byteLength}`
                : (r.reason as PoetryNowError).code;
          });
        }),
      );
      return outcomes;
    };
    const first = await outcome();
    const leftFirst = await leaksSince(before);
    const second = await outcome();
    const leftSecond = await leaksSince(before);

    expect(second).toEqual(first);
    expect(first).toEqual([
      'ERR_IDLE_TIMEOUT',
      'ERR_CONNECT_TIMEOUT',
      'ERR_POEM_INCOMPLETE',
      'ERR_POEM_INCOMPLETE',
      'ERR_EMPTY_POEM',
      'ERR_POEM_TOO_LARGE',
      `poem ${HOSTILE.length}`,
      `poem ${BIG.length}`,
    ]);
    expect(leftFirst).toEqual({});
    expect(leftSecond).toEqual({});
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
