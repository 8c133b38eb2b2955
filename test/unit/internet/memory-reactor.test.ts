import { describe, expect, it } from 'vitest';
import {
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
