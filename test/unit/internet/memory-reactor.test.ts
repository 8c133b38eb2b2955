import { describe, expect, it } from 'vitest';
import {
  CannotListenError,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  ConnectTimeoutError,
  ReactorNotRunningError,
  UserCancelledError,
} from '../../../src/internet/errors.js';
import type { IConnector } from '../../../src/internet/interfaces.js';
import { ClientFactory, Protocol, ServerFactory } from '../../../src/internet/protocol.js';
import { MemoryReactor } from '../../../src/testing/memory-reactor.js';
import { MemoryTransport } from '../../../src/testing/memory-transport.js';

class RecordingFactory extends ClientFactory {
  readonly hooks: string[] = [];
  reason: Error | undefined;
  override protocol = Protocol;
  override startedConnecting(): void {
    this.hooks.push('startedConnecting');
  }
  override clientConnectionFailed(_c: IConnector, reason: Error): void {
    this.hooks.push('clientConnectionFailed');
    this.reason = reason;
  }
  override clientConnectionLost(_c: IConnector, reason: Error): void {
    this.hooks.push('clientConnectionLost');
    this.reason = reason;
  }
}

describe('MemoryReactor', () => {
  it('records connectTCP and calls startedConnecting', () => {
    const reactor = new MemoryReactor();
    const factory = new RecordingFactory();
    reactor.connectTCP('example.org', 10000, factory, { timeout: 5 });
    expect(reactor.tcpClients).toHaveLength(1);
    expect(reactor.tcpClients[0]!.getDestination()).toEqual({ host: 'example.org', port: 10000 });
    expect(reactor.tcpClients[0]!.timeoutSeconds).toBe(5);
    expect(factory.hooks).toEqual(['startedConnecting']);
  });

  it('fails an attempt with ConnectTimeoutError when its clock passes the timeout', () => {
    const reactor = new MemoryReactor();
    const factory = new RecordingFactory();
    reactor.connectTCP('example.org', 10000, factory);
    reactor.advance(29);
    expect(factory.hooks).toEqual(['startedConnecting']);
    reactor.advance(1);
    expect(factory.hooks).toEqual(['startedConnecting', 'clientConnectionFailed']);
    expect(factory.reason).toBeInstanceOf(ConnectTimeoutError);
  });

  it('lets a test accept, then lose, a connection in lifecycle order', () => {
    const reactor = new MemoryReactor();
    const factory = new RecordingFactory();
    reactor.connectTCP('example.org', 10000, factory);
    const connector = reactor.tcpClients[0]!;
    const transport = new MemoryTransport();
    const protocol = connector.accept(transport) as Protocol;
    expect(protocol.transport).toBe(transport);
    expect(protocol.factory).toBe(factory);
    reactor.advance(60);
    expect(factory.hooks).toEqual(['startedConnecting']);
    connector.lose();
    expect(factory.hooks).toEqual(['startedConnecting', 'clientConnectionLost']);
    expect(factory.reason).toBeInstanceOf(ConnectionDone);
  });

  it('lets a test refuse a connection; stopConnecting cancels with UserCancelledError', () => {
    const reactor = new MemoryReactor();
    const refused = new RecordingFactory();
    reactor.connectTCP('a', 1, refused);
    reactor.tcpClients[0]!.fail(new ConnectionRefusedError('connection refused'));
    expect(refused.reason).toBeInstanceOf(ConnectionRefusedError);
    const cancelled = new RecordingFactory();
    reactor.connectTCP('b', 2, cancelled).stopConnecting();
    expect(cancelled.reason).toBeInstanceOf(UserCancelledError);
  });

  it('records listenTCP with a made-up port for port 0 and accepts readers by hand', async () => {
    const reactor = new MemoryReactor();
    const factory = new ServerFactory();
    factory.protocol = class extends Protocol {
      override connectionMade(): void {
        this.transport!.write('hi');
      }
    };
    const port = await reactor.listenTCP(0, factory);
    expect(port.getHost().port).toBeGreaterThan(0);
    const { transport } = reactor.tcpServers[0]!.accept();
    expect(transport.value().toString()).toBe('hi');
  });

  it('runs until stopped and refuses to stop when not running', async () => {
    const reactor = new MemoryReactor();
    expect(() => reactor.stop()).toThrow(ReactorNotRunningError);
    const running = reactor.run();
    reactor.stop();
    await expect(running).resolves.toBeUndefined();
  });
});

describe('MemoryReactor matches the TCP reactor', () => {
  it('starts the factory before connecting and stops it when the connector is done', () => {
    const reactor = new MemoryReactor();
    const factory = new RecordingFactory();
    const calls: string[] = [];
    factory.startFactory = () => calls.push('startFactory');
    factory.stopFactory = () => calls.push('stopFactory');
    reactor.connectTCP('a', 1, factory);
    expect(calls).toEqual(['startFactory']);
    reactor.tcpClients[0]!.accept();
    reactor.tcpClients[0]!.lose();
    expect(calls).toEqual(['startFactory', 'stopFactory']);
  });

  it('rejects a negative or NaN connect timeout', () => {
    const reactor = new MemoryReactor();
    expect(() => reactor.connectTCP('a', 1, new RecordingFactory(), { timeout: -1 })).toThrow(
      RangeError,
    );
    expect(() =>
      reactor.connectTCP('a', 1, new RecordingFactory(), { timeout: Number.NaN }),
    ).toThrow(RangeError);
  });
});

describe('MemoryReactor.stop, as Reactor.stop', () => {
  it('cancels pending calls, gives up attempts and aborts connections', async () => {
    const reactor = new MemoryReactor();
    const running = reactor.run();
    let ran = false;
    reactor.callLater(5, () => {
      ran = true;
    });
    const attempt = new RecordingFactory();
    reactor.connectTCP('a', 1, attempt);
    const connected = new RecordingFactory();
    reactor.connectTCP('b', 2, connected);
    reactor.tcpClients[1]!.accept();
    reactor.stop();
    await running;
    reactor.advance(10);
    expect(ran).toBe(false);
    expect(attempt.reason).toBeInstanceOf(UserCancelledError);
    expect(connected.hooks.at(-1)).toBe('clientConnectionLost');
    expect(connected.reason).toBeInstanceOf(ConnectionLost);
    expect(reactor.tcpClients[1]!.transport!.aborted).toBe(true);
  });
});

describe('MemoryReactor as an in-memory network', () => {
  function recordingServer(): { factory: ServerFactory; made: Protocol[] } {
    const made: Protocol[] = [];
    const factory = new ServerFactory();
    factory.buildProtocol = () => {
      const protocol = new (class extends Protocol {
        override connectionMade(): void {
          this.transport!.write('hello from the port');
          this.transport!.loseConnection();
        }
      })();
      made.push(protocol);
      return protocol;
    };
    return { factory, made };
  }

  it('connects an attempt to its own listening port only when flushed, through a LoopbackPair', async () => {
    const reactor = new MemoryReactor({ chunkSize: 2 });
    const { factory: server, made } = recordingServer();
    const port = await reactor.listenTCP(0, server);
    const received: Buffer[] = [];
    const client = new RecordingFactory();
    client.protocol = class extends Protocol {
      override dataReceived(data: Buffer): void {
        received.push(Buffer.from(data));
      }
    };
    const connector = reactor.connectTCP('127.0.0.1', port.getHost().port, client);
    expect(made).toHaveLength(0);
    expect(reactor.flush()).toBe(true);
    expect(made).toHaveLength(1);
    expect(Buffer.concat(received).toString()).toBe('hello from the port');
    expect(received.every((chunk) => chunk.length <= 2)).toBe(true);
    expect(client.hooks).toEqual(['startedConnecting', 'clientConnectionLost']);
    expect(client.reason).toBeInstanceOf(ConnectionDone);
    expect(connector.state).toBe('disconnected');
    expect(reactor.flush()).toBe(false);
  });

  it('refuses an attempt to a loopback address where nothing listens, when flushed', () => {
    const reactor = new MemoryReactor();
    const factory = new RecordingFactory();
    reactor.connectTCP('127.0.0.1', 10000, factory);
    expect(factory.hooks).toEqual(['startedConnecting']);
    reactor.flush();
    expect(factory.hooks).toEqual(['startedConnecting', 'clientConnectionFailed']);
    expect(factory.reason).toBeInstanceOf(ConnectionRefusedError);
  });

  it('leaves an attempt to a host it does not know pending, for the test or the timeout to end', () => {
    const reactor = new MemoryReactor();
    const factory = new RecordingFactory();
    const connector = reactor.connectTCP('poetry.example', 10000, factory);
    expect(reactor.flush()).toBe(false);
    expect(connector.state).toBe('connecting');
    reactor.tcpClients[0]!.accept();
    expect(connector.state).toBe('connected');
  });

  it('starts and stops a port’s factory, and rejects a second listener on the same port', async () => {
    const reactor = new MemoryReactor();
    const calls: string[] = [];
    const factory = new ServerFactory();
    factory.startFactory = () => calls.push('startFactory');
    factory.stopFactory = () => calls.push('stopFactory');
    const port = await reactor.listenTCP(10000, factory);
    await expect(reactor.listenTCP(10000, new ServerFactory())).rejects.toBeInstanceOf(
      CannotListenError,
    );
    await port.stopListening();
    await port.stopListening();
    expect(calls).toEqual(['startFactory', 'stopFactory']);
    await expect(reactor.listenTCP(10000, new ServerFactory())).resolves.toBeDefined();
  });

  it('reports an exception from a delayed call instead of raising it out of advance', () => {
    const reactor = new MemoryReactor();
    reactor.callLater(1, function explode() {
      throw new Error('late');
    });
    expect(() => reactor.advance(1)).not.toThrow();
    expect(reactor.errors.map((e) => e.where)).toEqual(['callLater(explode)']);
  });
});
