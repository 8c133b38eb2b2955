// Every failure the client hands out is a PoetryNowError with a code and an address, whatever threw.

import { describe, expect, it } from 'vitest';
import {
  asPoetryError,
  ConnectError,
  ConnectionDone,
  ConnectionRefusedError,
  connectErrorFrom,
  PoetryNowError,
} from '../../../src/internet/errors.js';
import { getPoetry } from '../../../src/poetry/client.js';
import { PoemSinkError } from '../../../src/poetry/errors.js';
import type { FetchEvent } from '../../../src/poetry/events.js';
import { type PoemResult, PoetryQueue } from '../../../src/poetry/fetch.js';
import { MemoryReactor } from '../../../src/testing/memory-reactor.js';
import { startMemoryFetch } from '../../helpers/memory-fetch.js';
import { MemorySink } from '../../helpers/memory-sink.js';

const ADDRESS = '127.0.0.1:10000';

/** A system error as node:net makes one. */
function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code} ${ADDRESS}`), { code });
}

/** Lets queued microtasks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('asPoetryError', () => {
  it('returns a PoetryNowError as it is', () => {
    const error = new ConnectionRefusedError('connection refused', { address: ADDRESS });
    expect(asPoetryError(error, 'elsewhere:1')).toBe(error);
    expect(asPoetryError(error, ADDRESS, connectErrorFrom)).toBe(error);
  });

  it('wraps anything else, keeping it as the cause, with the address', () => {
    const thrown = new TypeError('not a function');
    const error = asPoetryError(thrown, ADDRESS);
    expect(error).toBeInstanceOf(PoetryNowError);
    expect(error).toMatchObject({ code: 'ERR_POETRY_NOW', address: ADDRESS, cause: thrown });
    expect(error.message).toBe(`${ADDRESS}: not a function`);
    expect(asPoetryError('a string', undefined)).toMatchObject({
      address: undefined,
      message: 'a string',
      cause: 'a string',
    });
  });

  it('wraps with the function it is given, so the code says what failed', () => {
    const error = asPoetryError(systemError('ECONNREFUSED'), ADDRESS, connectErrorFrom);
    expect(error).toBeInstanceOf(ConnectionRefusedError);
    expect(error.code).toBe('ERR_CONNECTION_REFUSED');
  });
});

describe('getPoetry with a reactor that fails connections with foreign errors', () => {
  function fetchFailingWith(reason: Error) {
    const reactor = new MemoryReactor();
    const errors: PoetryNowError[] = [];
    const events: FetchEvent[] = [];
    getPoetry(
      '127.0.0.1',
      10000,
      () => {},
      (error) => errors.push(error),
      {
        reactor,
        onEvent: (event) => events.push(event),
      },
    );
    reactor.tcpClients[0]!.fail(reason);
    return { errors, events };
  }

  it('reports a refused connection as ConnectionRefusedError, the raw error as its cause', () => {
    const raw = systemError('ECONNREFUSED');
    const { errors, events } = fetchFailingWith(raw);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ConnectionRefusedError);
    expect(errors[0]).toMatchObject({
      code: 'ERR_CONNECTION_REFUSED',
      address: ADDRESS,
      cause: raw,
    });
    // The failed event carries the same error the errback got.
    expect(events.at(-1)).toMatchObject({ type: 'failed', error: errors[0] });
  });

  it('reports an error without a code as ConnectError', () => {
    const raw = new Error('the fake network is down');
    const { errors } = fetchFailingWith(raw);
    expect(errors[0]).toBeInstanceOf(ConnectError);
    expect(errors[0]).toMatchObject({ code: 'ERR_CONNECT', address: ADDRESS, cause: raw });
  });
});

describe('a sink that throws', () => {
  it('fails the fetch with PoemSinkError when write throws, and tells no chunk after failed', () => {
    const thrown = new Error('disk on fire');
    const sink = new MemorySink();
    sink.write = () => {
      throw thrown;
    };
    const events: FetchEvent[] = [];
    const { errors, protocol } = startMemoryFetch({
      sink,
      onEvent: (event) => events.push(event),
    });
    protocol.dataReceived(Buffer.from('half a po'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(PoemSinkError);
    expect(errors[0]).toMatchObject({ code: 'ERR_POEM_SINK', address: ADDRESS, cause: thrown });
    expect(events.at(-1)?.type).toBe('failed');
    expect(sink.state).toBe('aborted');
  });

  it('fails the fetch with PoemSinkError when start throws', () => {
    const thrown = new Error('cannot open');
    const sink = new MemorySink();
    sink.start = () => {
      throw thrown;
    };
    const { errors } = startMemoryFetch({ sink });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_POEM_SINK', cause: thrown });
  });

  it('fails the fetch with PoemSinkError, rather than waiting for ever, when close throws', () => {
    const thrown = new Error('cannot rename');
    const sink = new MemorySink();
    sink.close = () => {
      throw thrown;
    };
    const { errors, poems, protocol, connector } = startMemoryFetch({ sink });
    protocol.dataReceived(Buffer.from('a whole poem\n'));
    connector.lose(new ConnectionDone('connection closed cleanly'));
    expect(poems).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_POEM_SINK', address: ADDRESS, cause: thrown });
  });
});

describe('PoetryQueue and what throws around a fetch', () => {
  const targets = [
    { host: '127.0.0.1', port: 10000 },
    { host: '127.0.0.1', port: 10001 },
  ];

  it('fails only the task whose sink cannot be made, with PoemSinkError, and fetches the rest', async () => {
    const reactor = new MemoryReactor();
    const thrown = new Error('no room for a file');
    const queue = new PoetryQueue({
      reactor,
      sink: (_address, index) => {
        if (index === 0) throw thrown;
        return new MemorySink();
      },
    });
    const results: PoemResult[] = [];
    queue.addAll(targets, (result) => results.push(result));
    await settle();
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 'rejected', index: 0, address: ADDRESS });
    const reason = results[0]!.status === 'rejected' ? results[0]!.reason : undefined;
    expect(reason).toBeInstanceOf(PoemSinkError);
    expect(reason).toMatchObject({ code: 'ERR_POEM_SINK', address: ADDRESS, cause: thrown });
    // The other task started in the slot.
    expect(reactor.tcpClients).toHaveLength(1);
    queue.cancel();
    queue.close();
  });

  it('frees the slot of a task whose sink cannot be made: with concurrency 1 the next starts', async () => {
    const reactor = new MemoryReactor();
    const queue = new PoetryQueue({
      reactor,
      concurrency: 1,
      sink: (_address, index) => {
        if (index === 0) throw new Error('disk full');
        return new MemorySink();
      },
    });
    const results: PoemResult[] = [];
    queue.addAll(targets, (result) => results.push(result));
    await settle();
    expect(results.map((result) => result.status)).toEqual(['rejected']);
    expect(reactor.tcpClients).toHaveLength(1);
    expect(reactor.tcpClients[0]!.getDestination()).toMatchObject(targets[1]!);
    queue.cancel();
    queue.close();
  });

  it('fails a task with ConnectError when the reactor throws from connectTCP', async () => {
    const reactor = new MemoryReactor();
    const thrown = new Error('no sockets in this reactor');
    reactor.connectTCP = () => {
      throw thrown;
    };
    const events: FetchEvent[] = [];
    const queue = new PoetryQueue({ reactor, onEvent: (event) => events.push(event) });
    const results: PoemResult[] = [];
    queue.addAll(targets.slice(0, 1), (result) => results.push(result));
    await settle();
    queue.close();
    expect(results).toHaveLength(1);
    const result = results[0]!;
    if (result.status !== 'rejected') throw new Error('expected a failure');
    expect(result.reason).toBeInstanceOf(ConnectError);
    expect(result.reason.code).toBe('ERR_CONNECT');
    expect(result.reason.address).toBe(ADDRESS);
    expect(result.reason.cause).toBe(thrown);
    // Ended as every fetch ends, so a progress display does not wait for it for ever.
    expect(events.map((event) => event.type)).toEqual(['queued', 'failed']);
    expect(events.at(-1)).toMatchObject({ error: result.reason });
  });
});
