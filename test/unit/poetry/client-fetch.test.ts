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
