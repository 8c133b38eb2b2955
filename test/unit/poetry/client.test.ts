// The callback client (PoetryProtocol, PoetryClientFactory, getPoetry) on the fake reactor.

import { describe, expect, it } from 'vitest';
import {
  ConnectError,
  ConnectionAborted,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  ConnectTimeoutError,
  UserCancelledError,
} from '../../../src/internet/errors.js';
import {
  checkClientOptions,
  getPoetry,
  PoetryClientFactory,
  type PoetryClientOptions,
  type PoetryProtocol,
} from '../../../src/poetry/client.js';
import {
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  DEFAULT_MAX_BYTES,
  READ_BUFFER_BYTES,
} from '../../../src/poetry/defaults.js';
import {
  EmptyPoemError,
  IdleTimeoutError,
  PoemIncompleteError,
  PoemSinkError,
  PoemTimeoutError,
  PoemTooLargeError,
  reasonOf,
} from '../../../src/poetry/errors.js';
import type { FetchEvent } from '../../../src/poetry/events.js';
import { FileSink } from '../../../src/poetry/sink.js';
import {
  type MemoryConnector,
  MemoryReactor,
  type MemoryTransport,
} from '../../../src/testing/index.js';
import { startFetch } from '../../helpers/memory-fetch.js';
import { MemorySink } from '../../helpers/memory-sink.js';

const POEM = Buffer.from(
  'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe;\n',
  'utf8',
);
const ADDRESS = '127.0.0.1:10000';

/** Accepts the connection; returns the protocol and its transport. */
function accept(connector: MemoryConnector): {
  protocol: PoetryProtocol;
  transport: MemoryTransport;
} {
  const protocol = connector.accept() as PoetryProtocol;
  return { protocol, transport: connector.transport! };
}

function feed(protocol: PoetryProtocol, bytes: Buffer, chunkSize: number): void {
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    protocol.dataReceived(bytes.subarray(offset, offset + chunkSize));
  }
}

const cleanClose = (): ConnectionDone => new ConnectionDone('connection closed cleanly');
const reset = (): ConnectionLost =>
  new ConnectionLost('connection reset by peer', { address: ADDRESS });

describe('getPoetry', () => {
  it.each([1, 2, 3, 7, 64, 4096])(
    'calls the callback once with the exact bytes after a clean close (chunks of %i bytes)',
    (chunkSize) => {
      const { poems, errors, connector } = startFetch();
      const { protocol } = accept(connector);
      feed(protocol, POEM, chunkSize);
      expect(poems).toEqual([]);
      connector.lose(cleanClose());
      expect(errors).toEqual([]);
      expect(poems).toHaveLength(1);
      const poem = poems[0]!;
      expect(poem.bytes.equals(POEM)).toBe(true);
      expect(poem.byteLength).toBe(POEM.length);
      expect(poem.chunkCount).toBe(Math.ceil(POEM.length / chunkSize));
      expect(poem.address).toBe(ADDRESS);
      expect(poem.host).toBe('127.0.0.1');
      expect(poem.port).toBe(10000);
      expect(poem.text).toBe(POEM.toString('utf8'));
    },
  );

  it('connects to the host and port it is given, with the default 30 s connect timeout', () => {
    const { connector } = startFetch();
    expect(connector.getDestination()).toEqual({ host: '127.0.0.1', port: 10000 });
    expect(connector.timeoutSeconds).toBe(30);
  });

  it('decodes a character split across one-byte chunks whole', () => {
    const text = 'Ça va — 世界 🌍 ok\n';
    const { poems, connector } = startFetch();
    const { protocol } = accept(connector);
    feed(protocol, Buffer.from(text, 'utf8'), 1);
    connector.lose(cleanClose());
    expect(poems[0]!.text).toBe(text);
    expect(poems[0]!.validUtf8).toBe(true);
  });

  it('replaces invalid UTF-8 with U+FFFD in text and says so, keeping the bytes exact', () => {
    const bytes = Buffer.from([0x68, 0x69, 0xff, 0xfe, 0x0a, 0xe2, 0x82]);
    const { poems, connector } = startFetch();
    const { protocol } = accept(connector);
    feed(protocol, bytes, 3);
    connector.lose(cleanClose());
    const poem = poems[0]!;
    expect(poem.bytes.equals(bytes)).toBe(true);
    expect(poem.validUtf8).toBe(false);
    expect(poem.text.startsWith('hi\uFFFD')).toBe(true);
    expect(poem.text).toContain('\n');
  });

  it('reports PoemIncompleteError with the partial bytes when the connection is reset mid-poem', () => {
    const { poems, errors, connector } = startFetch();
    const { protocol } = accept(connector);
    feed(protocol, POEM.subarray(0, 20), 7);
    const reason = reset();
    connector.lose(reason);
    expect(poems).toEqual([]);
    expect(errors).toHaveLength(1);
    const error = errors[0] as PoemIncompleteError;
    expect(error).toBeInstanceOf(PoemIncompleteError);
    expect(error.code).toBe('ERR_POEM_INCOMPLETE');
    expect(error.address).toBe(ADDRESS);
    expect(error.partial.equals(POEM.subarray(0, 20))).toBe(true);
    expect(error.bytesReceived).toBe(20);
    expect(error.cause).toBe(reason);
    expect(reasonOf(error)).toBe('connection reset by peer after 20 bytes; the poem is incomplete');
  });

  it('treats a connection lost before any byte as incomplete, not as a poem', () => {
    const { poems, errors, connector } = startFetch();
    accept(connector);
    connector.lose(reset());
    expect(poems).toEqual([]);
    expect(errors[0]).toBeInstanceOf(PoemIncompleteError);
  });

  it('reports EmptyPoemError when the server closes cleanly without a byte', () => {
    const { poems, errors, connector } = startFetch();
    accept(connector);
    connector.lose(cleanClose());
    expect(poems).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(EmptyPoemError);
    expect((errors[0] as EmptyPoemError).code).toBe('ERR_EMPTY_POEM');
    expect((errors[0] as EmptyPoemError).address).toBe(ADDRESS);
  });

  it('passes a failed connection attempt to the errback (clientConnectionFailed)', () => {
    const { poems, errors, connector } = startFetch();
    const refused = new ConnectionRefusedError('connection refused', { address: ADDRESS });
    connector.fail(refused);
    expect(poems).toEqual([]);
    expect(errors).toEqual([refused]);
  });

  it('never stops the reactor, whatever happens to the poem', async () => {
    const { reactor, connector } = startFetch();
    const running = reactor.run();
    const { protocol } = accept(connector);
    feed(protocol, POEM, 5);
    connector.lose(cleanClose());
    expect(reactor.running).toBe(true);
    const second = startFetch({ reactor });
    second.connector.fail(new ConnectionRefusedError('refused'));
    expect(reactor.running).toBe(true);
    reactor.stop();
    await running;
  });

  it('records timings on the reactor clock and the chunk count', () => {
    const { reactor, poems, connector } = startFetch();
    reactor.advance(1.5);
    const { protocol } = accept(connector);
    reactor.advance(0.25);
    protocol.dataReceived(POEM.subarray(0, 10));
    reactor.advance(2);
    protocol.dataReceived(POEM.subarray(10));
    reactor.advance(0.5);
    connector.lose(cleanClose());
    const poem = poems[0]!;
    expect(poem.timings).toEqual({
      startedSeconds: 0,
      connectedSeconds: 1.5,
      firstByteSeconds: 1.75,
      doneSeconds: 4.25,
    });
    expect(poem.elapsedSeconds).toBe(4.25);
    expect(poem.chunkCount).toBe(2);
  });
});

describe('timeouts', () => {
  it('fails with ConnectTimeoutError when the connection is not made in time', () => {
    const { reactor, errors, connector } = startFetch({ timeouts: { connectSeconds: 5 } });
    reactor.advance(4.9);
    expect(errors).toEqual([]);
    reactor.advance(0.1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ConnectTimeoutError);
    expect((errors[0] as ConnectTimeoutError).address).toBe(ADDRESS);
    expect(connector.state).toBe('disconnected');
  });

  it('waits forever to connect when the connect timeout is 0', () => {
    const { reactor, errors, connector } = startFetch({ timeouts: { connectSeconds: 0 } });
    expect(connector.timeoutSeconds).toBe(0);
    reactor.advance(100_000);
    expect(errors).toEqual([]);
    expect(connector.state).toBe('connecting');
  });

  it('fails with IdleTimeoutError and aborts the connection after 60 s without a byte', () => {
    const { reactor, errors, connector } = startFetch();
    const { protocol, transport } = accept(connector);
    expect(DEFAULT_IDLE_TIMEOUT_SECONDS).toBe(60);
    reactor.advance(59.9);
    expect(errors).toEqual([]);
    reactor.advance(0.1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(IdleTimeoutError);
    expect((errors[0] as IdleTimeoutError).code).toBe('ERR_IDLE_TIMEOUT');
    expect((errors[0] as IdleTimeoutError).address).toBe(ADDRESS);
    expect((errors[0] as IdleTimeoutError).bytesReceived).toBe(0);
    expect(transport.aborted).toBe(true);
    expect(protocol.byteLength).toBe(0);
  });

  it('counts idle time from the last byte, not from the connection', () => {
    const { reactor, poems, errors, connector } = startFetch({ timeouts: { idleSeconds: 10 } });
    const { protocol, transport } = accept(connector);
    for (let i = 0; i < 5; i++) {
      reactor.advance(9);
      protocol.dataReceived(POEM.subarray(i, i + 1));
    }
    expect(errors).toEqual([]);
    reactor.advance(9.9);
    expect(errors).toEqual([]);
    reactor.advance(0.1);
    expect(errors[0]).toBeInstanceOf(IdleTimeoutError);
    expect((errors[0] as IdleTimeoutError).bytesReceived).toBe(5);
    expect(transport.aborted).toBe(true);
    expect(poems).toEqual([]);
  });

  it('never times out for idleness when the idle timeout is 0', () => {
    const { reactor, errors, connector } = startFetch({ timeouts: { idleSeconds: 0 } });
    accept(connector);
    reactor.advance(1_000_000);
    expect(errors).toEqual([]);
    expect(reactor.getDelayedCalls()).toEqual([]);
  });

  it('fails with PoemTimeoutError when the whole poem takes longer than the total timeout', () => {
    const { reactor, errors, poems, connector } = startFetch({
      timeouts: { totalSeconds: 10, idleSeconds: 0 },
    });
    reactor.advance(4);
    const { protocol, transport } = accept(connector);
    for (let i = 0; i < 5; i++) {
      protocol.dataReceived(POEM.subarray(i, i + 1));
      reactor.advance(1);
    }
    expect(errors).toEqual([]);
    reactor.advance(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(PoemTimeoutError);
    expect((errors[0] as PoemTimeoutError).code).toBe('ERR_POEM_TIMEOUT');
    expect(transport.aborted).toBe(true);
    connector.lose(new ConnectionAborted('connection aborted'));
    expect(errors).toHaveLength(1);
    expect(poems).toEqual([]);
  });

  it('counts the total timeout from the start of connecting and stops the attempt', () => {
    const { reactor, errors, connector } = startFetch({
      timeouts: { totalSeconds: 3, connectSeconds: 0 },
    });
    reactor.advance(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(PoemTimeoutError);
    expect(connector.state).toBe('disconnected');
  });

  it('has no total timeout by default', () => {
    const { factory } = startFetch();
    expect(factory.totalTimeoutSeconds).toBe(0);
  });

  it('leaves no timer behind once the poem is done', () => {
    const { reactor, connector } = startFetch({ timeouts: { totalSeconds: 100 } });
    const { protocol } = accept(connector);
    protocol.dataReceived(POEM);
    connector.lose(cleanClose());
    expect(reactor.getDelayedCalls()).toEqual([]);
  });

  it.each([
    [{ timeouts: { connectSeconds: -1 } }],
    [{ timeouts: { idleSeconds: Number.NaN } }],
    [{ timeouts: { totalSeconds: -0.5 } }],
    [{ timeouts: { totalSeconds: '5' } }],
    [{ maxBytes: -1 }],
    [{ maxBytes: Number.NaN }],
    [{ maxBytes: '1024' }],
  ])('rejects %j with a RangeError before connecting', (options) => {
    const reactor = new MemoryReactor();
    expect(() =>
      getPoetry(
        '127.0.0.1',
        10000,
        () => {},
        () => {},
        { reactor, ...options } as PoetryClientOptions,
      ),
    ).toThrow(RangeError);
    expect(reactor.tcpClients).toEqual([]);
  });
});

describe('checkClientOptions', () => {
  it('fills in the defaults', () => {
    expect(checkClientOptions({})).toEqual({
      connectTimeoutSeconds: 30,
      idleTimeoutSeconds: DEFAULT_IDLE_TIMEOUT_SECONDS,
      totalTimeoutSeconds: 0,
      maxBytes: DEFAULT_MAX_BYTES,
      retry: expect.objectContaining({ maxRetries: 0 }),
    });
  });

  it('reads 0 and Infinity alike for every limit: timeouts as 0, the cap as Infinity', () => {
    for (const off of [0, Number.POSITIVE_INFINITY]) {
      expect(
        checkClientOptions({
          timeouts: { connectSeconds: off, idleSeconds: off, totalSeconds: off },
          maxBytes: off,
        }),
      ).toEqual({
        connectTimeoutSeconds: 0,
        idleTimeoutSeconds: 0,
        totalTimeoutSeconds: 0,
        maxBytes: Number.POSITIVE_INFINITY,
        retry: expect.objectContaining({ maxRetries: 0 }),
      });
    }
  });

  it.each([
    ['timeouts.connectSeconds', { timeouts: { connectSeconds: -1 } }],
    ['timeouts.idleSeconds', { timeouts: { idleSeconds: Number.NEGATIVE_INFINITY } }],
    ['timeouts.totalSeconds', { timeouts: { totalSeconds: Number.NaN } }],
    ['maxBytes', { maxBytes: false }],
  ])('names %s in the RangeError for a bad value', (name, options) => {
    expect(() => checkClientOptions(options as PoetryClientOptions)).toThrow(
      new RegExp(`^${name.replace('.', '\\.')} must be`),
    );
  });

  it('sets no timer for timeouts of Infinity', () => {
    const off = Number.POSITIVE_INFINITY;
    const { reactor, connector } = startFetch({
      timeouts: { connectSeconds: off, idleSeconds: off, totalSeconds: off },
    });
    expect(connector.timeoutSeconds).toBe(0);
    accept(connector);
    expect(reactor.getDelayedCalls()).toEqual([]);
  });
});

describe('size cap', () => {
  it('caps poems at 64 MiB by default', () => {
    expect(DEFAULT_MAX_BYTES).toBe(64 * 1024 * 1024);
    expect(startFetch().factory.maxBytes).toBe(DEFAULT_MAX_BYTES);
  });

  it('accepts a poem of exactly maxBytes', () => {
    const { poems, errors, connector } = startFetch({ maxBytes: POEM.length });
    const { protocol } = accept(connector);
    feed(protocol, POEM, 3);
    connector.lose(cleanClose());
    expect(errors).toEqual([]);
    expect(poems[0]!.bytes.equals(POEM)).toBe(true);
  });

  it('aborts with PoemTooLargeError at the first byte past maxBytes', () => {
    const { poems, errors, connector } = startFetch({ maxBytes: 10 });
    const { protocol, transport } = accept(connector);
    feed(protocol, POEM.subarray(0, 11), 1);
    expect(errors).toHaveLength(1);
    const error = errors[0] as PoemTooLargeError;
    expect(error).toBeInstanceOf(PoemTooLargeError);
    expect(error.code).toBe('ERR_POEM_TOO_LARGE');
    expect(error.maxBytes).toBe(10);
    expect(error.address).toBe(ADDRESS);
    expect(transport.aborted).toBe(true);
    protocol.dataReceived(POEM);
    connector.lose(new ConnectionAborted('connection aborted'));
    expect(errors).toHaveLength(1);
    expect(poems).toEqual([]);
  });

  it('has no cap when maxBytes is 0', () => {
    const { factory } = startFetch({ maxBytes: 0 });
    expect(factory.maxBytes).toBe(Number.POSITIVE_INFINITY);
  });

  it('has no cap when maxBytes is Infinity', () => {
    const { factory } = startFetch({ maxBytes: Number.POSITIVE_INFINITY });
    expect(factory.maxBytes).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('exceptions in user code', () => {
  it('reports an exception thrown by the callback and never calls the errback', () => {
    const reactor = new MemoryReactor();
    const failures: Error[] = [];
    function gotPoem(): void {
      throw new Error('bug in gotPoem');
    }
    getPoetry('127.0.0.1', 10000, gotPoem, (error) => failures.push(error), {
      reactor,
      timeouts: { totalSeconds: 5 },
    });
    const connector = reactor.tcpClients[0]!;
    const protocol = connector.accept() as PoetryProtocol;
    protocol.dataReceived(POEM);
    expect(() => connector.lose(cleanClose())).not.toThrow();
    reactor.advance(100);
    expect(failures).toEqual([]);
    expect(reactor.errors).toHaveLength(1);
    expect(reactor.errors[0]!.where).toBe('gotPoem callback');
    expect((reactor.errors[0]!.error as Error).message).toBe('bug in gotPoem');
  });

  it('reports an exception thrown by the errback once', () => {
    const reactor = new MemoryReactor();
    function poemFailed(): void {
      throw new Error('bug in poemFailed');
    }
    getPoetry('127.0.0.1', 10000, () => {}, poemFailed, { reactor });
    const connector = reactor.tcpClients[0]!;
    expect(() => connector.fail(new ConnectionRefusedError('refused'))).not.toThrow();
    reactor.advance(100);
    expect(reactor.errors.map((e) => e.where)).toEqual(['poemFailed errback']);
  });

  it('lets the other fetches finish when one callback throws', () => {
    const reactor = new MemoryReactor();
    const got: string[] = [];
    for (const port of [10001, 10002, 10003]) {
      getPoetry(
        '127.0.0.1',
        port,
        (poem) => {
          got.push(poem.address);
          if (port === 10001) throw new Error('boom');
        },
        () => {},
        { reactor },
      );
    }
    for (const connector of reactor.tcpClients) {
      (connector.accept() as PoetryProtocol).dataReceived(POEM);
      connector.lose(cleanClose());
    }
    expect(got).toEqual(['127.0.0.1:10001', '127.0.0.1:10002', '127.0.0.1:10003']);
    expect(reactor.errors).toHaveLength(1);
  });

  it('reports an exception thrown by the event listener and still delivers the poem', () => {
    const { reactor, poems, connector } = startFetch({
      onEvent: function timeline() {
        throw new Error('bad listener');
      },
    });
    const { protocol } = accept(connector);
    protocol.dataReceived(POEM);
    connector.lose(cleanClose());
    expect(poems).toHaveLength(1);
    expect(reactor.errors.length).toBeGreaterThan(0);
    expect(reactor.errors.every((e) => e.where === 'timeline listener')).toBe(true);
  });
});

describe('exactly once', () => {
  it('ignores the connectionLost that follows a timeout', () => {
    const { reactor, poems, errors, connector } = startFetch({ timeouts: { idleSeconds: 1 } });
    const { protocol } = accept(connector);
    protocol.dataReceived(POEM.subarray(0, 4));
    reactor.advance(1);
    connector.lose(cleanClose());
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(IdleTimeoutError);
    expect(poems).toEqual([]);
  });

  it('ignores a cancel after the poem was delivered', () => {
    const { poems, errors, factory, connector } = startFetch();
    const { protocol } = accept(connector);
    protocol.dataReceived(POEM);
    connector.lose(cleanClose());
    factory.cancel();
    expect(factory.pending).toBe(false);
    expect(poems).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('fails a connection whose protocol was never built (clientConnectionLost)', () => {
    const reactor = new MemoryReactor();
    const errors: Error[] = [];
    const factory = new PoetryClientFactory(
      () => {},
      (e) => errors.push(e),
      { reactor },
    );
    const lost = new ConnectionAborted('connection aborted');
    factory.clientConnectionLost(reactor.connectTCP('127.0.0.1', 1, factory), lost);
    factory.clientConnectionLost(reactor.tcpClients[0]!, lost);
    expect(errors).toEqual([lost]);
  });
});

describe('cancelling', () => {
  it('cancels a connection attempt when the signal aborts', () => {
    const controller = new AbortController();
    const { errors, connector } = startFetch({ signal: controller.signal });
    controller.abort(new Error('user pressed Ctrl-C'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(UserCancelledError);
    expect((errors[0] as UserCancelledError).code).toBe('ERR_CANCELLED');
    expect((errors[0] as UserCancelledError).address).toBe(ADDRESS);
    expect(((errors[0] as UserCancelledError).cause as Error).message).toBe('user pressed Ctrl-C');
    expect(connector.state).toBe('disconnected');
  });

  it('aborts the connection when the signal aborts mid-poem', () => {
    const controller = new AbortController();
    const { poems, errors, connector } = startFetch({ signal: controller.signal });
    const { protocol, transport } = accept(connector);
    protocol.dataReceived(POEM.subarray(0, 5));
    controller.abort();
    expect(transport.aborted).toBe(true);
    connector.lose(new ConnectionAborted('connection aborted'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(UserCancelledError);
    expect(poems).toEqual([]);
  });

  it('does not connect for an already aborted signal, and errbacks later, not during the call', () => {
    const reactor = new MemoryReactor();
    const errors: Error[] = [];
    getPoetry(
      '127.0.0.1',
      10000,
      () => {},
      (e) => errors.push(e),
      {
        reactor,
        signal: AbortSignal.abort(),
      },
    );
    expect(errors).toEqual([]);
    reactor.advance(0);
    expect(errors[0]).toBeInstanceOf(UserCancelledError);
    expect(reactor.tcpClients).toEqual([]);
  });
});

describe('events', () => {
  it('emits connecting, connected, firstByte, chunks and done with reactor timestamps', () => {
    const events: FetchEvent[] = [];
    const { reactor, connector } = startFetch({ onEvent: (e) => events.push(e), index: 7 });
    reactor.advance(1);
    const { protocol } = accept(connector);
    reactor.advance(1);
    protocol.dataReceived(POEM.subarray(0, 10));
    reactor.advance(1);
    protocol.dataReceived(POEM.subarray(10, 25));
    connector.lose(cleanClose());
    expect(events).toEqual([
      { type: 'connecting', index: 7, address: ADDRESS, seconds: 0 },
      { type: 'connected', index: 7, address: ADDRESS, seconds: 1 },
      { type: 'firstByte', index: 7, address: ADDRESS, seconds: 2 },
      { type: 'chunk', index: 7, address: ADDRESS, seconds: 2, bytes: 10, totalBytes: 10 },
      { type: 'chunk', index: 7, address: ADDRESS, seconds: 3, bytes: 15, totalBytes: 25 },
      { type: 'done', index: 7, address: ADDRESS, seconds: 3, bytes: 25 },
    ]);
  });

  it('ends a failed fetch with one failed event carrying the error', () => {
    const events: FetchEvent[] = [];
    const { errors, connector } = startFetch({ onEvent: (e) => events.push(e) });
    connector.fail(new ConnectionRefusedError('connection refused', { address: ADDRESS }));
    expect(events.map((e) => e.type)).toEqual(['connecting', 'failed']);
    expect(events[1]).toMatchObject({ type: 'failed', error: errors[0] });
  });
});

describe('streaming to a sink', () => {
  it('streams every chunk to the sink and completes once the sink has closed', () => {
    const sink = new MemorySink();
    sink.holdClose = true;
    const { poems, connector } = startFetch({ sink });
    const { protocol } = accept(connector);
    expect(sink.state).toBe('open');
    feed(protocol, POEM, 4);
    connector.lose(cleanClose());
    expect(poems).toEqual([]);
    sink.finishClose();
    expect(sink.state).toBe('closed');
    expect(sink.value().equals(POEM)).toBe(true);
    const poem = poems[0]!;
    expect(poem.byteLength).toBe(POEM.length);
    expect(poem.bytes.length).toBe(0);
    expect(poem.sink).toBe(sink);
  });

  it('reads into the shared buffer only when nothing read is kept as it is', () => {
    const inMemory = startFetch({}).connector;
    const file = startFetch({ sink: new FileSink('/nonexistent/never-written.txt') }).connector;
    const keeping = startFetch({ sink: new MemorySink() }).connector; // may keep what it is given
    expect(inMemory.readBuffer).toBeInstanceOf(Uint8Array);
    expect(inMemory.readBuffer!.length).toBe(READ_BUFFER_BYTES);
    expect(file.readBuffer).toBe(inMemory.readBuffer);
    expect(keeping.readBuffer).toBeUndefined();
  });

  it('pauses the transport while the sink is full and resumes when it drains', () => {
    const sink = new MemorySink();
    const { reactor, errors, connector } = startFetch({ sink, timeouts: { idleSeconds: 5 } });
    const { protocol, transport } = accept(connector);
    sink.hasRoom = false;
    protocol.dataReceived(POEM.subarray(0, 10));
    expect(transport.producerState).toBe('paused');
    reactor.advance(30);
    expect(errors).toEqual([]);
    sink.hasRoom = true;
    sink.listener!.resume();
    expect(transport.producerState).toBe('producing');
    reactor.advance(4.9);
    expect(errors).toEqual([]);
    reactor.advance(0.1);
    expect(errors[0]).toBeInstanceOf(IdleTimeoutError);
  });

  it('aborts the sink when the fetch fails', () => {
    const sink = new MemorySink();
    const { errors, connector } = startFetch({ sink });
    const { protocol } = accept(connector);
    protocol.dataReceived(POEM.subarray(0, 10));
    connector.lose(reset());
    expect(sink.state).toBe('aborted');
    expect(sink.abortReason).toBe(errors[0]);
    expect(errors[0]).toBeInstanceOf(PoemIncompleteError);
    expect((errors[0] as PoemIncompleteError).bytesReceived).toBe(10);
  });

  it('fails with PoemSinkError and aborts the connection when the sink breaks', () => {
    const sink = new MemorySink();
    const { errors, connector } = startFetch({ sink });
    const { protocol, transport } = accept(connector);
    protocol.dataReceived(POEM.subarray(0, 10));
    const diskFull = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    sink.listener!.fail(diskFull);
    expect(errors[0]).toBeInstanceOf(PoemSinkError);
    expect((errors[0] as PoemSinkError).cause).toBe(diskFull);
    expect(transport.aborted).toBe(true);
  });

  it('fails with PoemSinkError when the sink cannot close', () => {
    const sink = new MemorySink();
    sink.closeError = new Error('rename failed');
    const { poems, errors, connector } = startFetch({ sink });
    const { protocol } = accept(connector);
    protocol.dataReceived(POEM);
    connector.lose(cleanClose());
    expect(poems).toEqual([]);
    expect(errors[0]).toBeInstanceOf(PoemSinkError);
  });

  it('fails, and aborts the sink, when the total timeout fires while the sink closes', () => {
    const sink = new MemorySink();
    sink.holdClose = true;
    const { reactor, poems, errors, connector } = startFetch({
      sink,
      timeouts: { totalSeconds: 2 },
    });
    const { protocol } = accept(connector);
    protocol.dataReceived(POEM);
    connector.lose(cleanClose());
    reactor.advance(2);
    expect(errors[0]).toBeInstanceOf(PoemTimeoutError);
    expect(sink.state).toBe('aborted');
    sink.finishClose();
    expect(poems).toEqual([]);
    expect(errors).toHaveLength(1);
  });

  it('applies the size cap to streamed poems too', () => {
    const sink = new MemorySink();
    const { errors, connector } = startFetch({ sink, maxBytes: 8 });
    const { protocol } = accept(connector);
    feed(protocol, POEM.subarray(0, 16), 3);
    expect(errors[0]).toBeInstanceOf(PoemTooLargeError);
    expect(sink.value().length).toBeLessThanOrEqual(8);
    expect(sink.state).toBe('aborted');
  });
});

describe('errors', () => {
  it('keeps the poem failures in the foundation tree with stable codes', () => {
    expect(new IdleTimeoutError('x')).toBeInstanceOf(ConnectError);
    expect(new PoemTimeoutError('x').code).toBe('ERR_POEM_TIMEOUT');
    expect(new EmptyPoemError('x', { address: ADDRESS }).message).toBe(`${ADDRESS}: x`);
    expect(new PoemIncompleteError('x').name).toBe('PoemIncompleteError');
  });
});
