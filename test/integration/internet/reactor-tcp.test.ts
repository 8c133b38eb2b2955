import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CannotListenError,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  ConnectTimeoutError,
  DNSLookupError,
  ReactorNotRunningError,
  UserCancelledError,
} from '../../../src/internet/errors.js';
import type {
  IConnector,
  IListeningPort,
  IProtocol,
  ITransport,
} from '../../../src/internet/interfaces.js';
import { ClientFactory, Protocol, ServerFactory } from '../../../src/internet/protocol.js';
import { Reactor, type ReactorOptions } from '../../../src/internet/reactor.js';
import type { LookupFunction } from '../../../src/internet/tcp.js';
import { Clock } from '../../../src/testing/clock.js';

/** A client factory whose outcome is a promise: the poem-less core of a poetry client. */
class OutcomeFactory extends ClientFactory {
  readonly chunks: Buffer[] = [];
  readonly outcome: Promise<{ kind: 'failed' | 'lost'; reason: Error }>;
  lostCount = 0;
  #settle!: (value: { kind: 'failed' | 'lost'; reason: Error }) => void;

  constructor() {
    super();
    this.outcome = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  override buildProtocol(): IProtocol {
    const chunks = this.chunks;
    const protocol = new (class extends Protocol {
      override dataReceived(data: Buffer): void {
        chunks.push(data);
      }
    })();
    protocol.factory = this;
    return protocol;
  }

  override clientConnectionFailed(_connector: IConnector, reason: Error): void {
    this.#settle({ kind: 'failed', reason });
  }

  override clientConnectionLost(_connector: IConnector, reason: Error): void {
    this.lostCount++;
    this.#settle({ kind: 'lost', reason });
  }

  text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

/** Serves each reader by calling `serve(transport)` when it connects. */
function serving(serve: (transport: ITransport) => void): ServerFactory {
  const factory = new ServerFactory();
  factory.protocol = class extends Protocol {
    override connectionMade(): void {
      serve(this.transport!);
    }
  };
  return factory;
}

const failingLookup: LookupFunction = (_hostname, _options, callback) => {
  const error = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), {
    code: 'ENOTFOUND',
  });
  (callback as (err: Error) => void)(error);
};

const silentLookup: LookupFunction = () => {
  // Never answers: the connection attempt stays pending until something gives up on it.
};

describe('Reactor over TCP on loopback', () => {
  const ports: IListeningPort[] = [];
  const reported: string[] = [];

  function newReactor(options: ReactorOptions = {}): Reactor {
    return new Reactor({ reportError: (_error, where) => reported.push(where), ...options });
  }

  async function listen(reactor: Reactor, factory: ServerFactory, host = '127.0.0.1') {
    const port = await reactor.listenTCP(0, factory, { interface: host });
    ports.push(port);
    return port.getHost().port;
  }

  afterEach(async () => {
    await Promise.all(ports.splice(0).map((port) => port.stopListening()));
    reported.length = 0;
  });

  it('receives every byte and then ConnectionDone when the server closes cleanly', async () => {
    const reactor = newReactor();
    const port = await listen(
      reactor,
      serving((t) => {
        t.write('Once upon a midnight dreary,\n');
        t.write('while I pondered, weak and weary\n');
        t.loseConnection();
      }),
    );
    const factory = new OutcomeFactory();
    reactor.connectTCP('127.0.0.1', port, factory);
    const { kind, reason } = await factory.outcome;
    expect(kind).toBe('lost');
    expect(reason).toBeInstanceOf(ConnectionDone);
    expect(factory.text()).toBe('Once upon a midnight dreary,\nwhile I pondered, weak and weary\n');
  });

  it('gives every clean close to one address the same frozen ConnectionDone, naming it', async () => {
    const reactor = newReactor();
    const port = await listen(
      reactor,
      serving((t) => {
        t.write('Nevermore\n');
        t.loseConnection();
      }),
    );
    const first = new OutcomeFactory();
    const second = new OutcomeFactory();
    reactor.connectTCP('127.0.0.1', port, first);
    reactor.connectTCP('127.0.0.1', port, second);
    const [a, b] = await Promise.all([first.outcome, second.outcome]);
    expect(a.reason).toBeInstanceOf(ConnectionDone);
    expect(b.reason).toBe(a.reason);
    expect(Object.isFrozen(a.reason)).toBe(true);
    expect(a.reason.message).toBe(`127.0.0.1:${port}: connection closed cleanly`);
  });

  it('reads into a caller’s buffer when given one: views of it, valid until dataReceived returns', async () => {
    const reactor = newReactor();
    const poem = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251));
    const port = await listen(
      reactor,
      serving((t) => {
        t.write(poem);
        t.loseConnection();
      }),
    );
    const readBuffer = Buffer.alloc(4096);
    const factory = new OutcomeFactory();
    const lent: Buffer[] = [];
    factory.buildProtocol = () => {
      const protocol = new (class extends Protocol {
        override dataReceived(data: Buffer): void {
          lent.push(data);
          factory.chunks.push(Buffer.from(data)); // a copy: the view is only lent
        }
      })();
      protocol.factory = factory;
      return protocol;
    };
    reactor.connectTCP('127.0.0.1', port, factory, { readBuffer });
    const { reason } = await factory.outcome;
    expect(reason).toBeInstanceOf(ConnectionDone);
    expect(Buffer.concat(factory.chunks)).toEqual(poem);
    // 300,000 bytes through a 4 KiB buffer: many reads, each a view of the same memory.
    expect(lent.length).toBeGreaterThanOrEqual(300_000 / 4096);
    for (const view of lent) expect(view.buffer).toBe(readBuffer.buffer);
  });

  it('shares one read buffer among many connections without mixing their bytes', async () => {
    const reactor = newReactor();
    const readBuffer = Buffer.alloc(1024);
    const poems = Array.from({ length: 20 }, (_, n) => Buffer.alloc(10_000 + n * 997, 65 + n));
    const factories = await Promise.all(
      poems.map(async (poem) => {
        const port = await listen(
          reactor,
          serving((t) => {
            // In pieces, so reads of the twenty connections take turns in the one buffer.
            for (let at = 0; at < poem.length; at += 3000) t.write(poem.subarray(at, at + 3000));
            t.loseConnection();
          }),
        );
        const factory = new OutcomeFactory();
        factory.buildProtocol = () => {
          const protocol = new (class extends Protocol {
            override dataReceived(data: Buffer): void {
              factory.chunks.push(Buffer.from(data));
            }
          })();
          protocol.factory = factory;
          return protocol;
        };
        reactor.connectTCP('127.0.0.1', port, factory, { readBuffer });
        return factory;
      }),
    );
    await Promise.all(factories.map((factory) => factory.outcome));
    factories.forEach((factory, n) => {
      expect(Buffer.concat(factory.chunks).equals(poems[n]!)).toBe(true);
    });
  });

  it('reports ConnectionRefusedError when nothing listens', async () => {
    const reactor = newReactor();
    const port = await listen(
      reactor,
      serving(() => {}),
    );
    await ports.pop()!.stopListening();
    const factory = new OutcomeFactory();
    reactor.connectTCP('127.0.0.1', port, factory);
    const { kind, reason } = await factory.outcome;
    expect(kind).toBe('failed');
    expect(reason).toBeInstanceOf(ConnectionRefusedError);
    expect((reason as ConnectionRefusedError).address).toBe(`127.0.0.1:${port}`);
  });

  it('reports DNSLookupError when the host name does not resolve', async () => {
    const reactor = newReactor({ lookup: failingLookup });
    const factory = new OutcomeFactory();
    reactor.connectTCP('nowhere.invalid', 10000, factory);
    const { kind, reason } = await factory.outcome;
    expect(kind).toBe('failed');
    expect(reason).toBeInstanceOf(DNSLookupError);
    expect(reason.message).toBe('nowhere.invalid:10000: host name not found');
  });

  it('times out a connection attempt on the reactor clock (default 30 s)', async () => {
    const clock = new Clock();
    const reactor = newReactor({ clock, lookup: silentLookup });
    const factory = new OutcomeFactory();
    const connector = reactor.connectTCP('slow.example', 10000, factory);
    clock.advance(29.9);
    expect(connector.state).toBe('connecting');
    clock.advance(0.1);
    const { kind, reason } = await factory.outcome;
    expect(kind).toBe('failed');
    expect(reason).toBeInstanceOf(ConnectTimeoutError);
    expect(connector.state).toBe('disconnected');
  });

  it('gives up an attempt with UserCancelledError on stopConnecting', async () => {
    const reactor = newReactor({ lookup: silentLookup });
    const factory = new OutcomeFactory();
    const connector = reactor.connectTCP('slow.example', 10000, factory, { timeout: 0 });
    connector.stopConnecting();
    const { reason } = await factory.outcome;
    expect(reason).toBeInstanceOf(UserCancelledError);
  });

  it('reports ConnectionLost, not ConnectionDone, when the server resets mid-stream', async () => {
    const reactor = newReactor();
    const port = await listen(
      reactor,
      serving((t) => {
        t.write('half a poem');
        setTimeout(() => t.abortConnection(), 20);
      }),
    );
    const factory = new OutcomeFactory();
    reactor.connectTCP('127.0.0.1', port, factory);
    const { kind, reason } = await factory.outcome;
    expect(kind).toBe('lost');
    expect(reason).toBeInstanceOf(ConnectionLost);
    expect(reason).not.toBeInstanceOf(ConnectionDone);
    expect(factory.text()).toBe('half a poem');
  });

  it('rejects with CannotListenError when the port is in use', async () => {
    const reactor = newReactor();
    const port = await listen(
      reactor,
      serving(() => {}),
    );
    const attempt = reactor.listenTCP(
      port,
      serving(() => {}),
      { interface: '127.0.0.1' },
    );
    await expect(attempt).rejects.toBeInstanceOf(CannotListenError);
    await expect(attempt).rejects.toThrow(
      `127.0.0.1:${port}: cannot listen: address already in use`,
    );
  });

  it('reaches a server on ::1 or on 127.0.0.1 through "localhost"', async () => {
    const reactor = newReactor();
    for (const host of ['::1', '127.0.0.1']) {
      const port = await listen(
        reactor,
        serving((t) => {
          t.write(host);
          t.loseConnection();
        }),
        host,
      );
      const factory = new OutcomeFactory();
      reactor.connectTCP('localhost', port, factory);
      const { reason } = await factory.outcome;
      expect(reason).toBeInstanceOf(ConnectionDone);
      expect(factory.text()).toBe(host);
    }
  });

  it('reports an exception from dataReceived, aborts that connection once, and carries on', async () => {
    const reactor = newReactor();
    const port = await listen(
      reactor,
      serving((t) => {
        t.write('poem');
        t.loseConnection();
      }),
    );
    class Exploding extends Protocol {
      override dataReceived(): void {
        throw new Error('bad poem handler');
      }
    }
    const broken = new OutcomeFactory();
    broken.buildProtocol = () => new Exploding();
    const healthy = new OutcomeFactory();
    reactor.connectTCP('127.0.0.1', port, broken);
    reactor.connectTCP('127.0.0.1', port, healthy);
    const [brokenOutcome, healthyOutcome] = await Promise.all([broken.outcome, healthy.outcome]);
    expect(brokenOutcome.reason).toBeInstanceOf(ConnectionLost);
    expect(healthyOutcome.reason).toBeInstanceOf(ConnectionDone);
    expect(healthy.text()).toBe('poem');
    expect(reported).toEqual(['Exploding.dataReceived']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(broken.lostCount).toBe(1);
  });

  it('reports an exception from each client hook as Class.hook, and the connection ends once', async () => {
    const reactor = newReactor();
    const port = await listen(
      reactor,
      serving((t) => t.loseConnection()),
    );
    class Sulking extends Protocol {
      override connectionMade(): void {
        throw new Error('will not start');
      }
      override connectionLost(reason: Error): void {
        super.connectionLost(reason);
        throw new Error('will not end');
      }
    }
    class Moody extends OutcomeFactory {
      override startedConnecting(): void {
        throw new Error('will not say');
      }
      override buildProtocol(): IProtocol {
        const protocol = new Sulking();
        protocol.factory = this;
        return protocol;
      }
    }
    const factory = new Moody();
    reactor.connectTCP('127.0.0.1', port, factory);
    const { kind, reason } = await factory.outcome;
    expect(kind).toBe('lost');
    // connectionMade threw, so the connection was aborted rather than closed cleanly.
    expect(reason).toBeInstanceOf(ConnectionLost);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reported).toEqual([
      'Moody.startedConnecting',
      'Sulking.makeConnection',
      'Sulking.connectionLost',
    ]);
    expect(factory.lostCount).toBe(1);
  });

  it('reports an exception from a server factory’s hooks as Class.hook, and keeps serving', async () => {
    const reactor = newReactor();
    class Grumpy extends ServerFactory {
      override startFactory(): void {
        throw new Error('cannot start');
      }
      override buildProtocol(): IProtocol {
        throw new Error('cannot build');
      }
    }
    const port = await listen(reactor, new Grumpy());
    expect(reported).toEqual(['Grumpy.doStart']);
    const factory = new OutcomeFactory();
    reactor.connectTCP('127.0.0.1', port, factory);
    // Refused by the server's abort: lost once connected, or failed if the reset came first.
    const { reason } = await factory.outcome;
    expect(reason).not.toBeInstanceOf(ConnectionDone);
    expect(reported).toEqual(['Grumpy.doStart', 'Grumpy.buildProtocol']);
  });

  it('names a failure with the address the caller gave the connector', async () => {
    const reactor = newReactor({ lookup: failingLookup });
    const factory = new OutcomeFactory();
    reactor.connectTCP('nowhere.invalid', 10000, factory, { address: 'the-named-one:1' });
    const { reason } = await factory.outcome;
    expect(reason).toBeInstanceOf(DNSLookupError);
    expect((reason as DNSLookupError).address).toBe('the-named-one:1');
  });

  it('reports an exception from a callLater function instead of throwing it', async () => {
    const reactor = newReactor();
    const done = new Promise<void>((resolve) => {
      reactor.callLater(0, function explode() {
        resolve();
        throw new Error('late failure');
      });
    });
    await done;
    expect(reported).toEqual(['callLater(explode)']);
  });

  it('throws ReactorNotRunningError when stopping a reactor that is not running', () => {
    expect(() => newReactor().stop()).toThrow(ReactorNotRunningError);
  });

  it('stop() cancels pending calls, closes ports and connections, and resolves run()', async () => {
    const reactor = newReactor();
    const port = await listen(
      reactor,
      serving((t) => t.write('never finished')),
    );
    const factory = new OutcomeFactory();
    const running = reactor.run();
    let laterRan = false;
    reactor.callLater(60, () => {
      laterRan = true;
    });
    reactor.connectTCP('127.0.0.1', port, factory);
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (factory.chunks.length > 0) resolve();
        else setImmediate(check);
      };
      check();
    });
    reactor.stop();
    await running;
    const { reason } = await factory.outcome;
    expect(reason).toBeInstanceOf(ConnectionLost);
    expect(laterRan).toBe(false);
    expect(reactor.running).toBe(false);
  });

  it('leaves no open handle after stop(): the process exits by itself', async () => {
    const script = fileURLToPath(
      new URL('../../fixtures/internet/stop-exits.mjs', import.meta.url),
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    let output = '';
    child.stdout.on('data', (data: Buffer) => {
      output += data.toString();
    });
    const [code, signal] = await once(child, 'exit');
    clearTimeout(killer);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(output).toBe('stopped\n');
  });
});
