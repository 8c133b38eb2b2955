// The TCP connector with host names, on fakes: one lookup per name, addresses tried in turn, and
// one connect timeout shared by them all, on a fake clock with fake sockets (no socket is opened).

import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONNECT_TIMEOUT_SECONDS } from '../../../src/internet/defaults.js';
import {
  ConnectError,
  ConnectionRefusedError,
  ConnectTimeoutError,
  DNSLookupError,
  UserCancelledError,
} from '../../../src/internet/errors.js';
import type { Address, IConnector } from '../../../src/internet/interfaces.js';
import { ClientFactory, Protocol } from '../../../src/internet/protocol.js';
import { Reactor } from '../../../src/internet/reactor.js';
import { HostResolver, type LookupFunction } from '../../../src/internet/resolver.js';
import { TCPConnector, type TCPOwner } from '../../../src/internet/tcp.js';
import { fetchPoems } from '../../../src/poetry/fetch.js';
import { Clock } from '../../../src/testing/clock.js';

type Answer = (error: unknown, addresses?: unknown) => void;

/** A connecting socket that never touches the network: the test says how its attempt ends. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  readonly writable = true;
  readonly writableLength = 0;

  constructor(
    readonly options: net.TcpNetConnectOpts,
    readonly openedSeconds: number,
  ) {
    super();
  }

  get host(): string {
    return this.options.host!;
  }

  /** As a connected socket would tell (asked only of an attempt other than the newest). */
  get remoteAddress(): string {
    return this.host;
  }

  get remotePort(): number {
    return this.options.port;
  }

  destroy(): this {
    this.destroyed = true;
    return this;
  }

  resetAndDestroy(): this {
    return this.destroy();
  }

  /** The attempt fails as node:net reports it: destroyed first, then 'error'. */
  failWith(code: string): void {
    this.destroyed = true;
    this.emit('error', Object.assign(new Error(`connect ${code} ${this.host}`), { code }));
  }

  connected(): void {
    this.emit('connect');
  }
}

/** A client factory that records how its attempt ended. */
class OutcomeFactory extends ClientFactory {
  failed: Error | undefined = undefined;
  failedSeconds: number | undefined = undefined;
  peer: Address | undefined = undefined;

  constructor(readonly clock: Clock) {
    super();
    this.protocol = Protocol;
  }

  override buildProtocol(addr: Address): Protocol {
    this.peer = addr;
    return super.buildProtocol(addr) as Protocol;
  }

  override clientConnectionFailed(_connector: IConnector, reason: Error): void {
    this.failed = reason;
    this.failedSeconds = this.clock.seconds();
  }
}

/** The reactor's part the connector sees, on a fake clock, with fake sockets and lookup. */
function fakeOwner(addresses: Record<string, string[]>) {
  const clock = new Clock();
  const sockets: FakeSocket[] = [];
  const asked: string[] = [];
  const reported: unknown[] = [];
  const lookup: LookupFunction = (host, _options, callback) => {
    asked.push(host);
    const found = addresses[host];
    queueMicrotask(() => {
      if (found === undefined) {
        (callback as Answer)(Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
      } else {
        (callback as Answer)(
          null,
          found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
        );
      }
    });
  };
  const owner: TCPOwner = {
    seconds: () => clock.seconds(),
    callLater: (seconds, fn, ...args) => clock.callLater(seconds, fn, ...args),
    reportError: (error) => reported.push(error),
    resolver: new HostResolver(lookup, clock),
    openSocket: (options) => {
      const socket = new FakeSocket(options, clock.seconds());
      sockets.push(socket);
      return socket as unknown as net.Socket;
    },
    track: () => {},
    untrack: () => {},
  };
  function connect(host: string, timeoutSeconds = 10) {
    const factory = new OutcomeFactory(clock);
    const connector = new TCPConnector(owner, host, 10000, factory, timeoutSeconds);
    connector.connect();
    return { factory, connector };
  }
  return { clock, sockets, asked, reported, connect };
}

/** Lets the fake lookup answer (it answers on a microtask). */
const lookupsAnswered = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TCPConnector with host names (fakes)', () => {
  it('looks a name up once for many concurrent connections, and connects each to the answer', async () => {
    const fake = fakeOwner({ 'poems.example': ['192.0.2.1'] });
    const attempts = Array.from({ length: 50 }, () => fake.connect('poems.example'));
    await lookupsAnswered();
    fake.connect('poems.example'); // after the answer: reused, not looked up
    expect(fake.asked).toEqual(['poems.example']);
    expect(fake.sockets).toHaveLength(51);
    expect(fake.sockets.every((s) => s.host === '192.0.2.1')).toBe(true);
    for (const socket of fake.sockets) socket.connected();
    expect(attempts.every(({ connector }) => connector.state === 'connected')).toBe(true);
    expect(attempts[0]!.factory.peer).toEqual({ host: '192.0.2.1', port: 10000 });
  });

  it('gives node:net an IP literal with its family and no happy-eyeballs race', async () => {
    const fake = fakeOwner({ 'poems.example': ['2001:db8::1'] });
    fake.connect('poems.example');
    await lookupsAnswered();
    expect(fake.sockets[0]!.options).toMatchObject({
      host: '2001:db8::1',
      port: 10000,
      family: 6,
      autoSelectFamily: false,
    });
    expect(fake.sockets[0]!.options.lookup).toBeUndefined();
  });

  it('never looks up an IP literal or localhost; localhost tries 127.0.0.1 first', () => {
    const fake = fakeOwner({});
    fake.connect('192.0.2.9');
    fake.connect('::1');
    fake.connect('localhost');
    expect(fake.asked).toEqual([]);
    expect(fake.sockets.map((s) => s.host)).toEqual(['192.0.2.9', '::1', '127.0.0.1']);
  });

  it('fails every connection to a name whose lookup failed with DNSLookupError naming it', async () => {
    const fake = fakeOwner({});
    const attempts = Array.from({ length: 20 }, () => fake.connect('nowhere.invalid'));
    await lookupsAnswered();
    const late = fake.connect('nowhere.invalid');
    await lookupsAnswered();
    expect(fake.asked).toEqual(['nowhere.invalid']);
    expect(fake.sockets).toHaveLength(0);
    for (const { factory, connector } of [...attempts, late]) {
      expect(factory.failed).toBeInstanceOf(DNSLookupError);
      expect(factory.failed!.message).toBe('nowhere.invalid:10000: host name not found');
      expect(connector.state).toBe('disconnected');
    }
  });

  it('moves to the next address at once when one refuses, and fails only when all have', async () => {
    const fake = fakeOwner({ 'two.example': ['192.0.2.1', '192.0.2.2'] });
    const { factory } = fake.connect('two.example');
    await lookupsAnswered();
    fake.clock.advance(1);
    fake.sockets[0]!.failWith('ECONNREFUSED');
    expect(fake.sockets.map((s) => [s.host, s.openedSeconds])).toEqual([
      ['192.0.2.1', 0],
      ['192.0.2.2', 1],
    ]);
    expect(factory.failed).toBeUndefined();
    fake.sockets[1]!.failWith('EHOSTUNREACH');
    expect(factory.failed).toBeInstanceOf(ConnectionRefusedError); // the first failure
    expect(factory.failed!.message).toBe('two.example:10000: connection refused');
  });

  it('gives each address but the last an even share of the time left, the last all of the rest', async () => {
    const fake = fakeOwner({ 'three.example': ['192.0.2.1', '192.0.2.2', '192.0.2.3'] });
    const { factory, connector } = fake.connect('three.example', 9);
    await lookupsAnswered();
    fake.clock.advance(2.999);
    expect(fake.sockets).toHaveLength(1);
    fake.clock.advance(0.001); // 9 s / 3
    expect(fake.sockets).toHaveLength(2);
    fake.clock.advance(3); // (9 - 3) s / 2
    expect(fake.sockets.map((s) => s.openedSeconds)).toEqual([0, 3, 6]);
    // Addresses whose share is up keep trying: nothing is given up before the timeout.
    expect(fake.sockets.some((s) => s.destroyed)).toBe(false);
    fake.clock.advance(2.999);
    expect(connector.state).toBe('connecting');
    fake.clock.advance(0.001);
    expect(factory.failed).toBeInstanceOf(ConnectTimeoutError);
    expect(factory.failed!.message).toBe('three.example:10000: no connection after 9 s');
    expect(factory.failedSeconds).toBe(9);
    expect(fake.sockets.every((s) => s.destroyed)).toBe(true);
  });

  it('splits what is left after an early refusal between the addresses still to try', async () => {
    const fake = fakeOwner({ 'three.example': ['192.0.2.1', '192.0.2.2', '192.0.2.3'] });
    fake.connect('three.example', 9);
    await lookupsAnswered();
    fake.clock.advance(1);
    fake.sockets[0]!.failWith('ECONNREFUSED'); // 8 s left for two addresses
    fake.clock.advance(3.999);
    expect(fake.sockets).toHaveLength(2);
    fake.clock.advance(0.001);
    expect(fake.sockets.map((s) => s.openedSeconds)).toEqual([0, 1, 5]);
  });

  it('does not fail before the timeout when a slow first address outlives a refusing last one', async () => {
    // A listen queue that overflows: 127.0.0.1 drops the SYN; ::1 has no server and refuses.
    const fake = fakeOwner({});
    const { factory, connector } = fake.connect('localhost', 30);
    fake.clock.advance(15);
    expect(fake.sockets.map((s) => s.host)).toEqual(['127.0.0.1', '::1']);
    fake.sockets[1]!.failWith('ECONNREFUSED');
    expect(factory.failed).toBeUndefined();
    fake.clock.advance(5);
    fake.sockets[0]!.connected(); // the server got round to it, 20 s in
    expect(connector.state).toBe('connected');
    expect(factory.peer).toEqual({ host: '127.0.0.1', port: 10000 });
  });

  it('makes the first address to connect the connection, and drops the others', async () => {
    const fake = fakeOwner({ 'two.example': ['192.0.2.1', '192.0.2.2'] });
    const { connector, factory } = fake.connect('two.example', 10);
    await lookupsAnswered();
    fake.clock.advance(5);
    fake.sockets[1]!.connected();
    expect(connector.state).toBe('connected');
    expect(fake.sockets[0]!.destroyed).toBe(true);
    expect(fake.sockets[0]!.listenerCount('connect')).toBe(1);
    fake.sockets[0]!.connected(); // an abandoned attempt that completes anyway changes nothing
    expect(factory.peer).toEqual({ host: '192.0.2.2', port: 10000 });
    expect(fake.reported).toEqual([]);
  });

  it('counts the lookup against the connect timeout', async () => {
    const fake = fakeOwner({});
    const factory = new OutcomeFactory(fake.clock);
    const owner = {
      seconds: () => fake.clock.seconds(),
      callLater: fake.clock.callLater.bind(fake.clock),
      reportError: () => {},
      resolver: new HostResolver(() => {}, fake.clock), // never answers
      track: () => {},
      untrack: () => {},
    } as TCPOwner;
    new TCPConnector(owner, 'silent.example', 10000, factory, 5).connect();
    fake.clock.advance(4.999);
    expect(factory.failed).toBeUndefined();
    fake.clock.advance(0.001);
    expect(factory.failed).toBeInstanceOf(ConnectTimeoutError);
  });

  it('with no timeout, gives each address but the last the default timeout before the next', async () => {
    const fake = fakeOwner({ 'two.example': ['192.0.2.1', '192.0.2.2'] });
    const { connector } = fake.connect('two.example', 0);
    await lookupsAnswered();
    fake.clock.advance(DEFAULT_CONNECT_TIMEOUT_SECONDS);
    expect(fake.sockets.map((s) => s.openedSeconds)).toEqual([0, DEFAULT_CONNECT_TIMEOUT_SECONDS]);
    fake.clock.advance(3600);
    expect(connector.state).toBe('connecting');
    expect(fake.clock.getDelayedCalls()).toEqual([]);
  });

  it('fails at once, trying no other address, when out of file descriptors', async () => {
    const fake = fakeOwner({ 'two.example': ['192.0.2.1', '192.0.2.2'] });
    const { factory } = fake.connect('two.example');
    await lookupsAnswered();
    fake.sockets[0]!.failWith('EMFILE');
    expect(fake.sockets).toHaveLength(1);
    expect(factory.failed).toBeInstanceOf(ConnectError);
    expect((factory.failed!.cause as { code?: string }).code).toBe('EMFILE');
  });

  it('gives up every attempt on stopConnecting, and ignores a lookup answering afterwards', async () => {
    const fake = fakeOwner({ 'two.example': ['192.0.2.1', '192.0.2.2'] });
    const { factory, connector } = fake.connect('two.example');
    connector.stopConnecting();
    expect(factory.failed).toBeInstanceOf(UserCancelledError);
    await lookupsAnswered();
    expect(fake.sockets).toHaveLength(0);
    const again = fake.connect('two.example');
    fake.clock.advance(5);
    expect(fake.sockets).toHaveLength(2);
    again.connector.stopConnecting();
    expect(fake.sockets.every((s) => s.destroyed)).toBe(true);
  });
});

describe('Reactor with a failing lookup (fakes)', () => {
  it('fails every fetch of a name with DNSLookupError after one lookup', async () => {
    const answers: Answer[] = [];
    const reactor = new Reactor({
      clock: new Clock(),
      lookup: (_host, _options, callback) => {
        answers.push(callback as Answer);
      },
    });
    const fetching = fetchPoems(Array(30).fill('nowhere.invalid:10000'), { reactor });
    await Promise.resolve();
    expect(answers).toHaveLength(1);
    answers[0]!(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
    const results = await fetching;
    expect(answers).toHaveLength(1);
    expect(results).toHaveLength(30);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const reason = (result as { reason: Error }).reason;
      expect(reason).toBeInstanceOf(DNSLookupError);
      expect(reason.message).toContain('nowhere.invalid');
    }
  });
});
