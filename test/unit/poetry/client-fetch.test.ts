// The Promise API and the concurrency queue, on the fake reactor.

import { describe, expect, it } from 'vitest';
import {
  ConnectError,
  ConnectionDone,
  ConnectionRefusedError,
  UserCancelledError,
} from '../../../src/internet/errors.js';
import type { PoetryProtocol } from '../../../src/poetry/client.js';
import { DEFAULT_CONCURRENCY } from '../../../src/poetry/defaults.js';
import { InvalidAddressError } from '../../../src/poetry/errors.js';
import type { FetchEvent } from '../../../src/poetry/events.js';
import {
  fetchPoem,
  fetchPoems,
  isOutOfFileDescriptors,
  type PoemResult,
  PoetryQueue,
  poemsAsCompleted,
} from '../../../src/poetry/fetch.js';
import { type MemoryConnector, MemoryReactor } from '../../../src/testing/index.js';
import { MemorySink } from '../../helpers/memory-sink.js';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Serves `poem` on a recorded connection attempt and closes cleanly. */
function serve(connector: MemoryConnector, poem = `poem from ${connector.address}\n`): void {
  const protocol = connector.accept() as PoetryProtocol;
  protocol.dataReceived(Buffer.from(poem));
  connector.lose(new ConnectionDone('connection closed cleanly'));
}

function outOfDescriptors(code = 'EMFILE'): ConnectError {
  const cause = Object.assign(new Error(`connect ${code}`), { code });
  return new ConnectError('too many open files', { address: '127.0.0.1:1', cause });
}

describe('fetchPoem', () => {
  it('resolves to the poem', async () => {
    const reactor = new MemoryReactor();
    const promise = fetchPoem('127.0.0.1:10000', { reactor });
    serve(reactor.tcpClients[0]!, 'hello\n');
    const poem = await promise;
    expect(poem.text).toBe('hello\n');
    expect(poem.address).toBe('127.0.0.1:10000');
  });

  it('takes a parsed address too', async () => {
    const reactor = new MemoryReactor();
    const promise = fetchPoem({ host: '::1', port: 10000 }, { reactor });
    serve(reactor.tcpClients[0]!, 'hi\n');
    expect((await promise).address).toBe('[::1]:10000');
  });

  it('rejects with the reason the fetch failed', async () => {
    const reactor = new MemoryReactor();
    const promise = fetchPoem('127.0.0.1:10000', { reactor });
    reactor.tcpClients[0]!.fail(new ConnectionRefusedError('connection refused'));
    await expect(promise).rejects.toBeInstanceOf(ConnectionRefusedError);
  });

  it('rejects a malformed address without connecting', async () => {
    const reactor = new MemoryReactor();
    await expect(fetchPoem('0x2711', { reactor })).rejects.toBeInstanceOf(InvalidAddressError);
    expect(reactor.tcpClients).toEqual([]);
  });

  it('rejects a negative timeout without connecting', async () => {
    const reactor = new MemoryReactor();
    await expect(
      fetchPoem('10000', { reactor, timeouts: { idleSeconds: -1 } }),
    ).rejects.toBeInstanceOf(RangeError);
    expect(reactor.tcpClients).toEqual([]);
  });

  it('cancels and closes the connection when the signal aborts', async () => {
    const reactor = new MemoryReactor();
    const controller = new AbortController();
    const promise = fetchPoem('127.0.0.1:10000', { reactor, signal: controller.signal });
    const connector = reactor.tcpClients[0]!;
    const protocol = connector.accept() as PoetryProtocol;
    protocol.dataReceived(Buffer.from('half a po'));
    controller.abort();
    await expect(promise).rejects.toBeInstanceOf(UserCancelledError);
    expect(connector.transport!.aborted).toBe(true);
  });
});

describe('fetchPoems', () => {
  it('resolves to settled results in argument order, whatever order they finish in', async () => {
    const reactor = new MemoryReactor();
    const promise = fetchPoems(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], { reactor });
    const [first, second, third] = reactor.tcpClients;
    serve(third!);
    second!.fail(new ConnectionRefusedError('connection refused'));
    serve(first!);
    const results = await promise;
    expect(results.map((r) => [r.index, r.address, r.status])).toEqual([
      [0, '127.0.0.1:1', 'fulfilled'],
      [1, '127.0.0.1:2', 'rejected'],
      [2, '127.0.0.1:3', 'fulfilled'],
    ]);
    const fulfilled = results[0] as Extract<PoemResult, { status: 'fulfilled' }>;
    expect(fulfilled.value.text).toBe('poem from 127.0.0.1:1\n');
    const rejected = results[1] as Extract<PoemResult, { status: 'rejected' }>;
    expect(rejected.reason).toBeInstanceOf(ConnectionRefusedError);
  });

  it('resolves to an empty list for no addresses', async () => {
    expect(await fetchPoems([], { reactor: new MemoryReactor() })).toEqual([]);
  });

  it('rejects a malformed address before connecting anywhere', async () => {
    const reactor = new MemoryReactor();
    await expect(fetchPoems(['10000', 'host:'], { reactor })).rejects.toBeInstanceOf(
      InvalidAddressError,
    );
    expect(reactor.tcpClients).toEqual([]);
  });

  it('runs at most `concurrency` fetches at once and queues the rest', async () => {
    const reactor = new MemoryReactor();
    const addresses = [1, 2, 3, 4, 5].map((port) => `127.0.0.1:${port}`);
    const promise = fetchPoems(addresses, { reactor, concurrency: 2 });
    expect(reactor.tcpClients.map((c) => c.address)).toEqual(addresses.slice(0, 2));
    serve(reactor.tcpClients[1]!);
    expect(reactor.tcpClients.map((c) => c.address)).toEqual(addresses.slice(0, 3));
    reactor.tcpClients[0]!.fail(new ConnectionRefusedError('connection refused'));
    expect(reactor.tcpClients).toHaveLength(4);
    serve(reactor.tcpClients[2]!);
    serve(reactor.tcpClients[3]!);
    serve(reactor.tcpClients[4]!);
    const results = await promise;
    expect(results.map((r) => r.status)).toEqual([
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
  });

  it('caps concurrency at 512 by default', async () => {
    const reactor = new MemoryReactor();
    expect(DEFAULT_CONCURRENCY).toBe(512);
    const addresses = Array.from({ length: 600 }, () => '127.0.0.1:10000');
    const promise = fetchPoems(addresses, { reactor });
    expect(reactor.tcpClients).toHaveLength(512);
    for (let i = 0; i < 600; i++) serve(reactor.tcpClients[i]!);
    expect((await promise).every((r) => r.status === 'fulfilled')).toBe(true);
  });

  it('re-queues an address that ran out of file descriptors instead of failing it', async () => {
    const reactor = new MemoryReactor();
    const events: FetchEvent[] = [];
    const promise = fetchPoems(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], {
      reactor,
      concurrency: 2,
      onEvent: (event) => events.push(event),
    });
    reactor.tcpClients[1]!.fail(outOfDescriptors('EMFILE'));
    // Backing off: nothing new starts until the reactor's clock moves on.
    expect(reactor.tcpClients).toHaveLength(2);
    reactor.advance(0.01);
    expect(reactor.tcpClients.map((c) => c.address)).toEqual([
      '127.0.0.1:1',
      '127.0.0.1:2',
      '127.0.0.1:2',
    ]);
    reactor.tcpClients[2]!.fail(outOfDescriptors('ENFILE'));
    reactor.advance(0.01);
    expect(reactor.tcpClients).toHaveLength(3);
    reactor.advance(0.01);
    expect(reactor.tcpClients).toHaveLength(4);
    serve(reactor.tcpClients[0]!);
    serve(reactor.tcpClients[3]!);
    serve(reactor.tcpClients[4]!);
    const results = await promise;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(events.filter((e) => e.type === 'queued' && e.index === 1)).toHaveLength(3);
    expect(events.filter((e) => e.type === 'failed')).toHaveLength(2);
  });

  it('gives up with the EMFILE error when no fetch of its own is left to free descriptors', async () => {
    const reactor = new MemoryReactor();
    const promise = fetchPoems(['127.0.0.1:1'], { reactor });
    // Nothing else of ours runs: after a few tries the failure is the answer, not a hang.
    for (let attempt = 0; attempt < 9; attempt++) {
      reactor.tcpClients.at(-1)!.fail(outOfDescriptors('EMFILE'));
      reactor.advance(1);
    }
    const [result] = await promise;
    expect(result!.status).toBe('rejected');
    expect(isOutOfFileDescriptors(result!.status === 'rejected' && result!.reason)).toBe(true);
    expect(reactor.tcpClients).toHaveLength(9);
  });

  it('gives up retrying after running out of descriptors once the total timeout has passed', async () => {
    const reactor = new MemoryReactor();
    const promise = fetchPoems(['127.0.0.1:1', '127.0.0.1:2'], {
      reactor,
      timeouts: { totalSeconds: 5 },
    });
    reactor.tcpClients[0]!.accept();
    reactor.tcpClients[1]!.fail(outOfDescriptors('EMFILE'));
    reactor.advance(4);
    // The first fetch still runs, so this is worth another try...
    reactor.tcpClients[2]!.fail(outOfDescriptors('EMFILE'));
    reactor.advance(0.5);
    // ...but not once 5 s have passed since the second address's first try.
    reactor.advance(0.5);
    reactor.tcpClients[3]!.fail(outOfDescriptors('EMFILE'));
    const results = await promise;
    expect(reactor.tcpClients).toHaveLength(4);
    const second = results[1]!;
    expect(second.status === 'rejected' && isOutOfFileDescriptors(second.reason)).toBe(true);
  });

  it('makes a new sink for each attempt', async () => {
    const reactor = new MemoryReactor();
    const sinks: MemorySink[] = [];
    const promise = fetchPoems(['127.0.0.1:1'], {
      reactor,
      sink: () => {
        const sink = new MemorySink();
        sinks.push(sink);
        return sink;
      },
    });
    reactor.tcpClients[0]!.fail(outOfDescriptors());
    reactor.advance(0.01);
    serve(reactor.tcpClients[1]!, 'streamed\n');
    const [result] = await promise;
    expect(result!.status).toBe('fulfilled');
    expect(sinks).toHaveLength(2);
    expect(sinks[1]!.value().toString()).toBe('streamed\n');
  });

  it('cancels the running and the queued fetches when the signal aborts', async () => {
    const reactor = new MemoryReactor();
    const controller = new AbortController();
    const promise = fetchPoems(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], {
      reactor,
      concurrency: 1,
      signal: controller.signal,
    });
    serve(reactor.tcpClients[0]!);
    expect(reactor.tcpClients).toHaveLength(2);
    controller.abort();
    const results = await promise;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    for (const result of results.slice(1)) {
      expect((result as Extract<PoemResult, { status: 'rejected' }>).reason).toBeInstanceOf(
        UserCancelledError,
      );
    }
    expect(reactor.tcpClients).toHaveLength(2);
    expect(reactor.tcpClients[1]!.state).toBe('disconnected');
  });

  it('rejects a concurrency below 1', async () => {
    await expect(
      fetchPoems(['1'], { reactor: new MemoryReactor(), concurrency: 0 }),
    ).rejects.toBeInstanceOf(RangeError);
  });
});

describe('poemsAsCompleted', () => {
  it('yields each result as its fetch ends', async () => {
    const reactor = new MemoryReactor();
    const iterator = poemsAsCompleted(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], { reactor });
    const first = iterator.next();
    await flush();
    expect(reactor.tcpClients).toHaveLength(3);
    serve(reactor.tcpClients[2]!);
    expect((await first).value).toMatchObject({ index: 2, status: 'fulfilled' });
    reactor.tcpClients[0]!.fail(new ConnectionRefusedError('connection refused'));
    serve(reactor.tcpClients[1]!);
    const rest: PoemResult[] = [];
    for await (const result of { [Symbol.asyncIterator]: () => iterator }) rest.push(result);
    expect(rest.map((r) => [r.index, r.status])).toEqual([
      [0, 'rejected'],
      [1, 'fulfilled'],
    ]);
  });

  it('cancels the fetches not yet finished when the loop is left early', async () => {
    const reactor = new MemoryReactor();
    const seen: number[] = [];
    const loop = (async () => {
      for await (const result of poemsAsCompleted(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], {
        reactor,
        concurrency: 2,
      })) {
        seen.push(result.index);
        break;
      }
    })();
    await flush();
    serve(reactor.tcpClients[1]!);
    await loop;
    expect(seen).toEqual([1]);
    // The third started when the second finished; leaving the loop stopped both others.
    expect(reactor.tcpClients.map((c) => c.state)).toEqual([
      'disconnected',
      'disconnected',
      'disconnected',
    ]);
    expect(reactor.tcpClients[1]!.protocol).toBeDefined();
    expect(reactor.tcpClients[0]!.protocol).toBeUndefined();
    expect(reactor.tcpClients[2]!.protocol).toBeUndefined();
  });
});

/** Queues a fetch of 127.0.0.1:1; returns the list its errback fills. */
function addRecordingErrors(queue: PoetryQueue): Error[] {
  const errors: Error[] = [];
  queue.add(
    { host: '127.0.0.1', port: 1 },
    0,
    () => {},
    (error) => errors.push(error),
  );
  return errors;
}

describe('PoetryQueue', () => {
  it('never calls back from add, even when already cancelled', async () => {
    const reactor = new MemoryReactor();
    const queue = new PoetryQueue({ reactor, signal: AbortSignal.abort() });
    const errors = addRecordingErrors(queue);
    expect(errors).toEqual([]);
    await Promise.resolve();
    expect(errors[0]).toBeInstanceOf(UserCancelledError);
    expect(reactor.tcpClients).toEqual([]);
  });

  it('still calls the errback of a cancelled add when the reactor stops before it runs', async () => {
    const reactor = new MemoryReactor();
    const running = reactor.run();
    const queue = new PoetryQueue({ reactor, signal: AbortSignal.abort() });
    const errors = addRecordingErrors(queue);
    reactor.stop();
    await running;
    expect(errors[0]).toBeInstanceOf(UserCancelledError);
  });

  it('reports a throwing callback under its own name and goes on with the queue', () => {
    const reactor = new MemoryReactor();
    const queue = new PoetryQueue({ reactor, concurrency: 1 });
    function gotPoem(): void {
      throw new Error('boom');
    }
    const got: number[] = [];
    queue.add({ host: '127.0.0.1', port: 1 }, 0, gotPoem, () => {});
    queue.add(
      { host: '127.0.0.1', port: 2 },
      1,
      () => got.push(1),
      () => {},
    );
    serve(reactor.tcpClients[0]!);
    serve(reactor.tcpClients[1]!);
    expect(got).toEqual([1]);
    expect(reactor.errors.map((e) => e.where)).toEqual(['gotPoem callback']);
    expect(queue.running).toBe(0);
    expect(queue.waiting).toBe(0);
  });

  it.each([
    [{ concurrency: 0 }],
    [{ concurrency: 1.5 }],
    [{ concurrency: Number.POSITIVE_INFINITY }],
    [{ concurrency: Number.NaN }],
    [{ timeouts: { idleSeconds: -1 } }],
    [{ maxBytes: Number.NaN }],
  ])('rejects %j with a RangeError when made, before any fetch', (options) => {
    const reactor = new MemoryReactor();
    expect(() => new PoetryQueue({ reactor, ...options })).toThrow(RangeError);
    expect(reactor.tcpClients).toEqual([]);
  });

  it('builds one result per target, naming it with the string its events and errors carry', () => {
    const reactor = new MemoryReactor();
    const events: FetchEvent[] = [];
    const queue = new PoetryQueue({ reactor, onEvent: (event) => events.push(event) });
    const results: PoemResult[] = [];
    queue.addAll(
      [
        { host: '::1', port: 1 },
        { host: '127.0.0.1', port: 2 },
      ],
      (result) => results.push(result),
    );
    serve(reactor.tcpClients[0]!, 'one\n');
    reactor.tcpClients[1]!.fail(new ConnectionRefusedError('refused', { address: 'elsewhere' }));
    expect(results).toHaveLength(2);
    const [fulfilled, rejected] = results as [
      Extract<PoemResult, { status: 'fulfilled' }>,
      Extract<PoemResult, { status: 'rejected' }>,
    ];
    expect(fulfilled).toMatchObject({ status: 'fulfilled', index: 0, address: '[::1]:1' });
    expect(fulfilled.value.text).toBe('one\n');
    expect(fulfilled.value.address).toBe(fulfilled.address);
    expect(rejected).toMatchObject({ status: 'rejected', index: 1, address: '127.0.0.1:2' });
    expect(rejected.reason).toBeInstanceOf(ConnectionRefusedError);
    const named = new Set(events.map((event) => `${event.index} ${event.address}`));
    expect([...named].sort()).toEqual(['0 [::1]:1', '1 127.0.0.1:2']);
  });

  it('gives each fetch the address the queue named, for its factory to carry', () => {
    const reactor = new MemoryReactor();
    const queue = new PoetryQueue({ reactor });
    queue.add(
      { host: '::1', port: 7 },
      0,
      () => {},
      () => {},
    );
    expect(reactor.tcpClients[0]!.factory).toMatchObject({ address: '[::1]:7' });
  });

  it('reports a throwing errback and listener under their own names', () => {
    const reactor = new MemoryReactor();
    const queue = new PoetryQueue({
      reactor,
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    function poemFailed(): void {
      throw new Error('errback bug');
    }
    queue.cancel();
    queue.add({ host: '127.0.0.1', port: 1 }, 0, () => {}, poemFailed);
    return flush().then(() => {
      expect(reactor.errors.map((e) => e.where)).toEqual([
        'onEvent listener',
        'onEvent listener',
        'poemFailed errback',
      ]);
    });
  });

  it('recognises EMFILE and ENFILE anywhere in the cause chain', () => {
    expect(isOutOfFileDescriptors(outOfDescriptors('EMFILE'))).toBe(true);
    expect(isOutOfFileDescriptors(outOfDescriptors('ENFILE'))).toBe(true);
    expect(isOutOfFileDescriptors(outOfDescriptors('ECONNREFUSED'))).toBe(false);
    expect(isOutOfFileDescriptors('EMFILE')).toBe(false);
  });
});

/** A sync source of `count` addresses that counts how many were taken, and whether it closed. */
function countingSource(count: number) {
  const state = { taken: 0, closed: false };
  function* addresses(): Generator<string> {
    try {
      for (let i = 1; i <= count; i++) {
        state.taken++;
        yield `127.0.0.1:${i}`;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, addresses: addresses() };
}

/** An async source whose addresses come only when `send` gives them; `end()` finishes it. */
function pushedSource() {
  const queued: (string | undefined)[] = [];
  let wake: (() => void) | undefined;
  const state = { asked: 0, inFlight: 0, maxInFlight: 0 };
  const iterator: AsyncIterableIterator<string> = {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      state.asked++;
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      while (queued.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      state.inFlight--;
      const value = queued.shift();
      return value === undefined ? { done: true, value: undefined } : { done: false, value };
    },
  };
  const push = (value: string | undefined): void => {
    queued.push(value);
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  return { state, iterator, send: push, end: () => push(undefined) };
}

describe('PoetryQueue.addFrom', () => {
  it('takes addresses from an iterable only as slots free up, never more than concurrency ahead', async () => {
    const reactor = new MemoryReactor();
    const { state, addresses } = countingSource(1_000_000);
    const queue = new PoetryQueue({ reactor, concurrency: 3 });
    const results: PoemResult[] = [];
    const done = queue.addFrom(addresses, (result) => results.push(result));
    expect(state.taken).toBe(3);
    expect(queue.running).toBe(3);
    expect(queue.waiting).toBe(0);
    serve(reactor.tcpClients[1]!);
    expect(state.taken).toBe(4);
    expect(reactor.tcpClients.map((c) => c.address)).toEqual([
      '127.0.0.1:1',
      '127.0.0.1:2',
      '127.0.0.1:3',
      '127.0.0.1:4',
    ]);
    queue.cancel();
    expect(await done).toBe(4);
    expect(state.closed).toBe(true);
    expect(results.map((r) => [r.index, r.status])).toEqual([
      [1, 'fulfilled'],
      [0, 'rejected'],
      [2, 'rejected'],
      [3, 'rejected'],
    ]);
    queue.close();
  });

  it('asks an async iterable for one address at a time, and only while a slot is free', async () => {
    const reactor = new MemoryReactor();
    const source = pushedSource();
    const queue = new PoetryQueue({ reactor, concurrency: 2 });
    const results: PoemResult[] = [];
    const done = queue.addFrom(source.iterator, (result) => results.push(result), 10);
    for (const port of [1, 2, 3]) source.send(`127.0.0.1:${port}`);
    await flush();
    expect(reactor.tcpClients.map((c) => c.address)).toEqual(['127.0.0.1:1', '127.0.0.1:2']);
    expect(source.state.asked).toBe(2);
    serve(reactor.tcpClients[0]!);
    await flush();
    expect(reactor.tcpClients).toHaveLength(3);
    serve(reactor.tcpClients[1]!);
    serve(reactor.tcpClients[2]!);
    await flush();
    source.end();
    expect(await done).toBe(3);
    expect(source.state.maxInFlight).toBe(1);
    expect(results.map((r) => r.index)).toEqual([10, 11, 12]);
    queue.close();
  });

  it('fails on a malformed address from the source: cancels what runs, then rejects with it', async () => {
    const reactor = new MemoryReactor();
    const source = pushedSource();
    const queue = new PoetryQueue({ reactor });
    const results: PoemResult[] = [];
    const done = queue.addFrom(source.iterator, (result) => results.push(result));
    source.send('127.0.0.1:1');
    await flush();
    const running = reactor.tcpClients[0]!;
    source.send('127.0.0.1:');
    await expect(done).rejects.toBeInstanceOf(InvalidAddressError);
    expect(results).toHaveLength(1);
    expect(results[0]!.status === 'rejected' && results[0]!.reason).toBeInstanceOf(
      UserCancelledError,
    );
    expect(running.state).toBe('disconnected');
    queue.close();
  });

  it('rejects with what the source throws, after cancelling what runs', async () => {
    const reactor = new MemoryReactor();
    function* failing(): Generator<string> {
      yield '127.0.0.1:1';
      throw new Error('the source broke');
    }
    const queue = new PoetryQueue({ reactor, concurrency: 1 });
    const done = queue.addFrom(failing(), () => {});
    serve(reactor.tcpClients[0]!);
    await expect(done).rejects.toThrow('the source broke');
    expect(reactor.tcpClients).toHaveLength(1);
    queue.close();
  });
});

describe('fetchPoems and poemsAsCompleted with iterables', () => {
  it('fetchPoems reads a generator lazily and resolves to results in input order', async () => {
    const reactor = new MemoryReactor();
    const { state, addresses } = countingSource(5);
    const promise = fetchPoems(addresses, { reactor, concurrency: 2 });
    expect(state.taken).toBe(2);
    for (let i = 0; i < 5; i++) serve(reactor.tcpClients[i]!);
    const results = await promise;
    expect(results.map((r) => [r.index, r.address, r.status])).toEqual(
      [1, 2, 3, 4, 5].map((port, index) => [index, `127.0.0.1:${port}`, 'fulfilled']),
    );
  });

  it('fetchPoems rejects with InvalidAddressError for a malformed address met in an iterable', async () => {
    const reactor = new MemoryReactor();
    const promise = fetchPoems(new Set(['127.0.0.1:1', 'nonsense']), { reactor });
    await expect(promise).rejects.toBeInstanceOf(InvalidAddressError);
    expect(reactor.tcpClients[0]!.state).toBe('disconnected');
  });

  it('poemsAsCompleted yields the results of the addresses before a malformed one, then throws', async () => {
    const reactor = new MemoryReactor();
    function* source(): Generator<string> {
      yield '127.0.0.1:1';
      yield '127.0.0.1:2';
      yield 'nonsense';
    }
    const seen: string[] = [];
    let thrown: unknown;
    try {
      for await (const result of poemsAsCompleted(source(), { reactor, concurrency: 4 })) {
        seen.push(`${result.index} ${result.status}`);
      }
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidAddressError);
    // The two fetches running when the source failed were cancelled, and their results kept.
    expect(seen).toEqual(['0 rejected', '1 rejected']);
  });

  it('poemsAsCompleted reads an async iterable as results are consumed, fastest first', async () => {
    const reactor = new MemoryReactor();
    const source = pushedSource();
    for (const port of [1, 2, 3, 4, 5, 6]) source.send(`127.0.0.1:${port}`);
    source.end();
    const iterator = poemsAsCompleted(source.iterator, { reactor, concurrency: 2 });
    const first = iterator.next();
    await flush();
    expect(reactor.tcpClients).toHaveLength(2);
    serve(reactor.tcpClients[1]!);
    expect((await first).value).toMatchObject({ index: 1, status: 'fulfilled' });
    await flush();
    serve(reactor.tcpClients[0]!);
    await flush();
    serve(reactor.tcpClients[2]!);
    await flush();
    // Two results wait to be consumed, as many as `concurrency`: the reading stops there.
    const before = reactor.tcpClients.length;
    await flush();
    expect(reactor.tcpClients).toHaveLength(before);
    expect((await iterator.next()).value).toMatchObject({ index: 0 });
    await flush();
    expect(reactor.tcpClients).toHaveLength(before + 1);
    const rest: number[] = [];
    const consume = (async () => {
      for await (const result of { [Symbol.asyncIterator]: () => iterator })
        rest.push(result.index);
    })();
    for (let served = 3; served < 6; served++) {
      await flush();
      serve(reactor.tcpClients[served]!);
    }
    await consume;
    expect(rest).toEqual([2, 3, 4, 5]);
  });
});
