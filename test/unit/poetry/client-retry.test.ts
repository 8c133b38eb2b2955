// Retries with backoff (PoetryClientFactory's `retries`), driven by the fake clock.

import { describe, expect, it } from 'vitest';
import {
  ConnectError,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  ConnectTimeoutError,
  DNSLookupError,
  UserCancelledError,
} from '../../../src/internet/errors.js';
import {
  checkClientOptions,
  type PoetryClientOptions,
  type PoetryProtocol,
} from '../../../src/poetry/client.js';
import {
  EmptyPoemError,
  IdleTimeoutError,
  PoemIncompleteError,
  PoemSinkError,
  PoemTimeoutError,
  PoemTooLargeError,
} from '../../../src/poetry/errors.js';
import type { FetchEvent, RetryingEvent } from '../../../src/poetry/events.js';
import { fetchPoems } from '../../../src/poetry/fetch.js';
import {
  checkRetryOptions,
  isRetryable,
  type RetryOptions,
  retryDelaySeconds,
} from '../../../src/poetry/retry.js';
import { MemoryReactor } from '../../../src/testing/index.js';
import { startFetch as startMemoryReactorFetch } from '../../helpers/memory-fetch.js';
import { MemorySink } from '../../helpers/memory-sink.js';

const POEM = Buffer.from('Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe;\n');
const ADDRESS = '127.0.0.1:10000';

/** No jitter and round numbers, so each wait is exact. */
const EXACT: RetryOptions = {
  maxRetries: 3,
  initialDelaySeconds: 1,
  factor: 2,
  jitter: 0,
  maxDelaySeconds: 10,
};

/** A fetch (not yet accepted) that also records its events, and picks out the retries. */
function startFetch(options: Omit<PoetryClientOptions, 'reactor'> = {}) {
  const events: FetchEvent[] = [];
  const fetch = startMemoryReactorFetch({ onEvent: (event) => events.push(event), ...options });
  const retrying = (): RetryingEvent[] =>
    events.filter((event): event is RetryingEvent => event.type === 'retrying');
  return { ...fetch, events, retrying };
}

const refused = (): ConnectionRefusedError =>
  new ConnectionRefusedError('connection refused', { address: ADDRESS });
const reset = (): ConnectionLost =>
  new ConnectionLost('connection reset by peer', { address: ADDRESS });
const systemError = (code: string): Error => Object.assign(new Error(code), { code });

describe('retryDelaySeconds', () => {
  it('starts at the initial delay, grows by the factor, and stops at the maximum', () => {
    const settings = checkRetryOptions({ ...EXACT, maxDelaySeconds: 5 });
    expect([1, 2, 3, 4, 5].map((n) => retryDelaySeconds(settings, n))).toEqual([1, 2, 4, 5, 5]);
  });

  it('moves each wait by at most the jitter fraction, both ways, from the injected random source', () => {
    const at = (r: number) => checkRetryOptions({ ...EXACT, jitter: 0.25, random: () => r });
    expect(retryDelaySeconds(at(0), 2)).toBe(1.5);
    expect(retryDelaySeconds(at(0.5), 2)).toBe(2);
    expect(retryDelaySeconds(at(0.999999), 2)).toBeCloseTo(2.5, 5);
    for (let i = 0; i <= 100; i++) {
      const wait = retryDelaySeconds(at(i / 101), 3);
      expect(wait).toBeGreaterThanOrEqual(3);
      expect(wait).toBeLessThanOrEqual(5);
    }
  });

  it('never waits longer than the maximum, jitter included', () => {
    const settings = checkRetryOptions({ ...EXACT, jitter: 0.5, random: () => 0.999 });
    expect(retryDelaySeconds(settings, 10)).toBe(10);
  });

  it('uses 0.5 s doubling up to 10 s with 10 % jitter when given a number', () => {
    const settings = checkRetryOptions(4);
    expect(settings).toMatchObject({
      maxRetries: 4,
      initialDelaySeconds: 0.5,
      factor: 2,
      jitter: 0.1,
      maxDelaySeconds: 10,
    });
    expect(checkRetryOptions(undefined).maxRetries).toBe(0);
    expect(checkRetryOptions({}).maxRetries).toBe(3);
  });
});

describe('the retries option', () => {
  it.each([
    [-1, /retries must be a whole number >= 0/],
    [1.5, /retries must be a whole number >= 0/],
    [Number.NaN, /retries must be a whole number >= 0/],
    [{ maxRetries: -2 }, /retries\.maxRetries must be a whole number >= 0/],
    [{ initialDelaySeconds: -1 }, /retries\.initialDelaySeconds must be a finite number/],
    [{ maxDelaySeconds: Number.POSITIVE_INFINITY }, /retries\.maxDelaySeconds must be a finite/],
    [{ factor: 0.5 }, /retries\.factor must be a finite number >= 1/],
    [{ jitter: 2 }, /retries\.jitter must be a number from 0 to 1/],
  ])('rejects %o with a RangeError naming it', (retries, message) => {
    expect(() => checkClientOptions({ retries: retries as number })).toThrow(RangeError);
    expect(() => checkClientOptions({ retries: retries as number })).toThrow(message);
  });

  it('is checked by fetchPoems before connecting anywhere', async () => {
    const reactor = new MemoryReactor();
    await expect(fetchPoems(['10000'], { reactor, retries: -1 })).rejects.toThrow(RangeError);
    expect(reactor.tcpClients).toHaveLength(0);
  });
});

describe('isRetryable', () => {
  const incomplete = (cause: Error) =>
    new PoemIncompleteError('cut short', { address: ADDRESS, cause });
  it.each<[string, Error]>([
    ['a refused connection', refused()],
    ['a connect timeout', new ConnectTimeoutError('no connection after 1 s')],
    ['an idle timeout', new IdleTimeoutError('no data for 1 s')],
    ['a poem cut short by a reset', incomplete(reset())],
    ['a connection lost before any protocol', reset()],
    ['a lookup that says try again', new DNSLookupError('x', { cause: systemError('EAI_AGAIN') })],
    ['a reset while connecting', new ConnectError('x', { cause: systemError('ECONNRESET') })],
  ])('retries %s', (_what, error) => {
    expect(isRetryable(error)).toBe(true);
  });

  it.each<[string, Error]>([
    ['a poem too large', new PoemTooLargeError('too large', { maxBytes: 1 })],
    ['an empty poem (clean close, no bytes)', new EmptyPoemError('empty')],
    ['a sink failure', new PoemSinkError('disk full')],
    ['the total timeout', new PoemTimeoutError('no poem after 1 s')],
    ['a cancel', new UserCancelledError('cancelled')],
    ['a name not found', new DNSLookupError('x', { cause: systemError('ENOTFOUND') })],
    ['a lookup that failed for good', new DNSLookupError('x', { cause: systemError('EAI_FAIL') })],
    ['running out of file descriptors', new ConnectError('x', { cause: systemError('EMFILE') })],
    ['a usage error', new RangeError('concurrency must be a whole number >= 1')],
    [
      'a code it does not know (a certificate refused)',
      Object.assign(new Error('x'), { code: 'ERR_TLS_CERT' }),
    ],
    ['a poem cut short by this side', incomplete(new Error('aborted'))],
  ])('does not retry %s', (_what, error) => {
    expect(isRetryable(error)).toBe(false);
  });
});

describe('getPoetry with retries', () => {
  it('connects again after each wait, growing by the factor, and gets the poem', () => {
    const { reactor, poems, errors, connector, factory, retrying } = startFetch({
      retries: EXACT,
    });
    connector.fail(refused());
    expect(connector.state).toBe('disconnected');
    reactor.advance(0.999);
    expect(connector.state).toBe('disconnected');
    reactor.advance(0.001);
    expect(connector.state).toBe('connecting');
    connector.fail(refused());
    reactor.advance(1.999);
    expect(connector.state).toBe('disconnected');
    reactor.advance(0.001);
    expect(connector.state).toBe('connecting');
    const protocol = connector.accept() as PoetryProtocol;
    protocol.dataReceived(POEM);
    connector.lose(new ConnectionDone('closed'));
    expect(errors).toEqual([]);
    expect(poems).toHaveLength(1);
    expect(poems[0]!.text).toBe(POEM.toString());
    expect(factory.attempts).toBe(3);
    expect(retrying().map((e) => [e.attempt, e.maxAttempts, e.delaySeconds, e.seconds])).toEqual([
      [2, 4, 1, 0],
      [3, 4, 2, 1],
    ]);
    expect(retrying()[0]!.error).toBeInstanceOf(ConnectionRefusedError);
  });

  it('emits connecting again for each try and ends with one done', () => {
    const { reactor, connector, events } = startFetch({ retries: EXACT });
    connector.fail(refused());
    reactor.advance(1);
    const protocol = connector.accept() as PoetryProtocol;
    protocol.dataReceived(POEM);
    connector.lose(new ConnectionDone('closed'));
    expect(events.map((e) => e.type)).toEqual([
      'connecting',
      'retrying',
      'connecting',
      'connected',
      'firstByte',
      'chunk',
      'done',
    ]);
  });

  it('refetches a poem cut short whole, dropping the bytes of the failed try', () => {
    const { reactor, poems, connector } = startFetch({ retries: EXACT });
    let protocol = connector.accept() as PoetryProtocol;
    protocol.dataReceived(POEM.subarray(0, 10));
    connector.lose(reset());
    reactor.advance(1);
    protocol = connector.accept() as PoetryProtocol;
    protocol.dataReceived(POEM);
    connector.lose(new ConnectionDone('closed'));
    expect(poems[0]!.bytes.equals(POEM)).toBe(true);
  });

  it('starts a sink afresh for each try', () => {
    const sink = new MemorySink();
    const { reactor, poems, connector } = startFetch({ retries: EXACT, sink });
    let protocol = connector.accept() as PoetryProtocol;
    protocol.dataReceived(POEM.subarray(0, 10));
    connector.lose(reset());
    expect(sink.state).toBe('aborted');
    reactor.advance(1);
    sink.chunks.length = 0; // what a restarted sink does: the test sink only records
    protocol = connector.accept() as PoetryProtocol;
    expect(sink.state).toBe('open');
    protocol.dataReceived(POEM);
    connector.lose(new ConnectionDone('closed'));
    expect(poems).toHaveLength(1);
    expect(sink.value().equals(POEM)).toBe(true);
  });

  it('retries an idle timeout once the aborted connection is gone', () => {
    const { reactor, errors, connector, retrying } = startFetch({
      retries: EXACT,
      timeouts: { idleSeconds: 5 },
    });
    connector.accept();
    reactor.advance(5);
    expect(retrying()).toHaveLength(0);
    connector.lose(new ConnectionLost('aborted'));
    expect(retrying()).toHaveLength(1);
    expect(retrying()[0]!.error).toBeInstanceOf(IdleTimeoutError);
    expect(errors).toEqual([]);
  });

  it('gives the last failure once the retries run out', () => {
    const { reactor, errors, connector, factory } = startFetch({ retries: EXACT });
    for (const wait of [1, 2, 4]) {
      connector.fail(refused());
      reactor.advance(wait);
    }
    expect(errors).toEqual([]);
    const last = refused();
    connector.fail(last);
    expect(errors).toEqual([last]);
    expect(factory.attempts).toBe(4);
    expect(reactor.getDelayedCalls()).toHaveLength(0);
  });

  it.each<[string, () => Error]>([
    ['a poem too large', () => new PoemTooLargeError('too large', { maxBytes: 1 })],
    ['a cancel', () => new UserCancelledError('cancelled')],
    ['a name not found', () => new DNSLookupError('x', { cause: systemError('ENOTFOUND') })],
  ])('does not retry %s', (_what, make) => {
    const { errors, connector, retrying } = startFetch({ retries: EXACT });
    const error = make();
    connector.fail(error);
    expect(errors).toEqual([error]);
    expect(retrying()).toHaveLength(0);
  });

  it('does not retry a poem too large, even mid-stream', () => {
    const { errors, connector, retrying } = startFetch({ retries: EXACT, maxBytes: 10 });
    const protocol = connector.accept() as PoetryProtocol;
    protocol.dataReceived(POEM);
    connector.lose(new ConnectionLost('aborted'));
    expect(errors[0]).toBeInstanceOf(PoemTooLargeError);
    expect(retrying()).toHaveLength(0);
  });

  it('does not retry an empty poem from a clean close', () => {
    const { errors, connector, retrying } = startFetch({ retries: EXACT });
    connector.accept();
    connector.lose(new ConnectionDone('closed'));
    expect(errors[0]).toBeInstanceOf(EmptyPoemError);
    expect(retrying()).toHaveLength(0);
  });

  it('does not retry without the option (the default is no retry)', () => {
    const { errors, connector, retrying } = startFetch();
    const error = refused();
    connector.fail(error);
    expect(errors).toEqual([error]);
    expect(retrying()).toHaveLength(0);
  });

  it('stopTrying() while waiting ends the fetch at once with the last failure', () => {
    const { reactor, errors, connector, factory } = startFetch({ retries: EXACT });
    const error = refused();
    connector.fail(error);
    factory.stopTrying();
    expect(errors).toEqual([error]);
    reactor.advance(100);
    expect(connector.state).toBe('disconnected');
    expect(reactor.tcpClients).toHaveLength(1);
  });

  it('stopTrying() during a try makes its failure final', () => {
    const { reactor, errors, connector, factory } = startFetch({ retries: EXACT });
    connector.fail(refused());
    reactor.advance(1);
    factory.stopTrying();
    expect(errors).toEqual([]);
    const error = refused();
    connector.fail(error);
    expect(errors).toEqual([error]);
    expect(reactor.getDelayedCalls()).toHaveLength(0);
  });

  it('a cancel during the wait ends it at once with UserCancelledError', () => {
    const controller = new AbortController();
    const { reactor, errors, connector, events } = startFetch({
      retries: EXACT,
      signal: controller.signal,
    });
    connector.fail(refused());
    reactor.advance(0.5);
    controller.abort(new Error('enough'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(UserCancelledError);
    expect(events.at(-1)!.type).toBe('failed');
    expect(reactor.getDelayedCalls()).toHaveLength(0);
    reactor.advance(100);
    expect(connector.state).toBe('disconnected');
  });

  it('factory.cancel() during the wait ends it at once', () => {
    const { errors, connector, factory } = startFetch({ retries: EXACT });
    connector.fail(refused());
    factory.cancel();
    expect(errors[0]).toBeInstanceOf(UserCancelledError);
  });

  it('the total timeout bounds all tries together, the waits included', () => {
    const { reactor, errors, connector } = startFetch({
      retries: { ...EXACT, maxRetries: 10 },
      timeouts: { totalSeconds: 6 },
    });
    connector.fail(refused()); // waits 1 s
    reactor.advance(1);
    connector.fail(refused()); // waits 2 s
    reactor.advance(2);
    reactor.advance(2.5); // the third try hangs connecting
    expect(errors).toEqual([]);
    reactor.advance(0.5);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(PoemTimeoutError);
    expect(reactor.seconds()).toBe(6);
    expect(reactor.getDelayedCalls()).toHaveLength(0);
  });

  it('the total timeout ends a fetch waiting to retry', () => {
    const { reactor, errors, connector } = startFetch({
      retries: { ...EXACT, initialDelaySeconds: 5 },
      timeouts: { totalSeconds: 2 },
    });
    connector.fail(refused());
    reactor.advance(2);
    expect(errors[0]).toBeInstanceOf(PoemTimeoutError);
    reactor.advance(10);
    expect(connector.state).toBe('disconnected');
  });

  it('retries a connect timeout', () => {
    const { reactor, connector, retrying } = startFetch({
      retries: EXACT,
      timeouts: { connectSeconds: 3 },
    });
    reactor.advance(3);
    expect(retrying()).toHaveLength(1);
    expect(retrying()[0]!.error).toBeInstanceOf(ConnectTimeoutError);
    reactor.advance(1);
    expect(connector.state).toBe('connecting');
  });
});

describe('fetchPoems with retries', () => {
  it('retries through the queue and gives the poem', async () => {
    const reactor = new MemoryReactor();
    const events: FetchEvent[] = [];
    const done = fetchPoems(['127.0.0.1:10000'], {
      reactor,
      retries: EXACT,
      onEvent: (event) => events.push(event),
    });
    const connector = reactor.tcpClients[0]!;
    connector.fail(refused());
    reactor.advance(1);
    const protocol = connector.accept() as PoetryProtocol;
    protocol.dataReceived(POEM);
    connector.lose(new ConnectionDone('closed'));
    const [result] = await done;
    expect(result!.status).toBe('fulfilled');
    expect(events.filter((e) => e.type === 'retrying')).toHaveLength(1);
  });
});
