// The memory reactor's TLS and UNIX methods: what they record, which ports they reach in
// memory, and the failures they stand in for.

import { describe, expect, it } from 'vitest';
import { UNIX_PATH_MAX_BYTES } from '../../../src/internet/address.js';
import {
  AddressInUseError,
  CannotListenError,
  ConnectError,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  ConnectTimeoutError,
} from '../../../src/internet/errors.js';
import type { IConnector, ITransport } from '../../../src/internet/interfaces.js';
import { ClientFactory, Protocol, ServerFactory } from '../../../src/internet/protocol.js';
import { LOOPBACK_HIGH_WATER_MARK } from '../../../src/testing/loopback.js';
import { MemoryReactor } from '../../../src/testing/memory-reactor.js';

const IDENTITY = { cert: 'a certificate', key: 'a key' };

class Reader extends ClientFactory {
  text = '';
  reason: Error | undefined;
  made: ITransport | undefined;
  /** Pause reading as soon as connected. */
  pauseOnMade = false;
  override buildProtocol(): Protocol {
    const factory = this;
    return new (class extends Protocol {
      override connectionMade(): void {
        factory.made = this.transport;
        if (factory.pauseOnMade) this.transport!.pauseProducing();
      }
      override dataReceived(data: Buffer): void {
        factory.text += data.toString();
      }
    })();
  }
  override clientConnectionFailed(_c: IConnector, reason: Error): void {
    this.reason = reason;
  }
  override clientConnectionLost(_c: IConnector, reason: Error): void {
    this.reason = reason;
  }
}

/** A server that writes `text` and aborts its connection at once. */
function cutter(text: string): ServerFactory {
  const factory = new ServerFactory();
  factory.protocol = class extends Protocol {
    override connectionMade(): void {
      this.transport!.write(text);
      this.transport!.abortConnection();
    }
  };
  return factory;
}

function greeter(text: string): ServerFactory {
  const factory = new ServerFactory();
  factory.protocol = class extends Protocol {
    override connectionMade(): void {
      // One byte at a time, so the reader's side is fed in pieces.
      for (const ch of text) this.transport!.write(ch);
      this.transport!.loseConnection();
    }
  };
  return factory;
}

describe('MemoryReactor over TLS', () => {
  it('records connectTLS with its options, and listenTLS with its certificate and key', async () => {
    const reactor = new MemoryReactor();
    const port = await reactor.listenTLS(0, greeter('poem'), { interface: '::1', ...IDENTITY });
    reactor.connectTLS('localhost', 10000, new Reader(), {
      ca: 'a CA',
      insecure: true,
      timeout: 3,
    });
    expect(reactor.tlsServers).toEqual([port]);
    expect(reactor.tlsServers[0]!.kind).toBe('tls');
    expect(reactor.tlsServers[0]!.options).toMatchObject(IDENTITY);
    expect(reactor.tlsClients).toHaveLength(1);
    expect(reactor.tlsClients[0]!.kind).toBe('tls');
    expect(reactor.tlsClients[0]!.options).toMatchObject({ ca: 'a CA', insecure: true });
    expect(reactor.tlsClients[0]!.timeoutSeconds).toBe(3);
    expect(reactor.tcpClients).toEqual([]);
    expect(reactor.tcpServers).toEqual([]);
  });

  it('connects a TLS client to its TLS port when flushed, and never to a TCP port', async () => {
    const reactor = new MemoryReactor({ chunkSize: 1 });
    const tls = await reactor.listenTLS(0, greeter('over TLS'), {
      interface: '127.0.0.1',
      ...IDENTITY,
    });
    const tcp = await reactor.listenTCP(0, greeter('over TCP'), { interface: '127.0.0.1' });
    const good = new Reader();
    const wrong = new Reader();
    reactor.connectTLS('127.0.0.1', tls.getHost().port, good);
    reactor.connectTLS('127.0.0.1', tcp.getHost().port, wrong);
    reactor.flush();
    expect(good.text).toBe('over TLS');
    expect(good.reason).toBeInstanceOf(ConnectionDone);
    expect(wrong.reason).toBeInstanceOf(ConnectionRefusedError);
  });

  it('shares port numbers between TCP and TLS: one in use for either is in use for both', async () => {
    const reactor = new MemoryReactor();
    const tcp = await reactor.listenTCP(0, greeter(''), { interface: '127.0.0.1' });
    const attempt = reactor.listenTLS(tcp.getHost().port, greeter(''), {
      interface: '127.0.0.1',
      ...IDENTITY,
    });
    await expect(attempt).rejects.toBeInstanceOf(AddressInUseError);
  });

  it('fails a TLS attempt nothing answers with ConnectTimeoutError on its clock', () => {
    const reactor = new MemoryReactor();
    const reader = new Reader();
    reactor.connectTLS('nowhere.invalid', 443, reader, { timeout: 2 });
    reactor.flush();
    reactor.advance(2);
    expect(reader.reason).toBeInstanceOf(ConnectTimeoutError);
    expect(reader.reason).toMatchObject({ address: 'nowhere.invalid:443' });
  });
});

describe('MemoryReactor over UNIX sockets', () => {
  it('connects to the port listening on the same path, with path addresses', async () => {
    const reactor = new MemoryReactor({ chunkSize: 2 });
    const port = await reactor.listenUNIX('/run/poems.sock', greeter('a unix poem'));
    expect(port.getHost()).toEqual({ host: '/run/poems.sock', port: 0 });
    const reader = new Reader();
    const connector = reactor.connectUNIX('/run/poems.sock', reader);
    expect(connector.getDestination()).toEqual({ host: '/run/poems.sock', port: 0 });
    expect(reactor.unixClients).toEqual([connector]);
    reactor.flush();
    expect(reader.text).toBe('a unix poem');
    expect(reader.made!.getPeer()).toEqual({ host: '/run/poems.sock', port: 0 });
    expect(reader.made!.getHost()).toEqual({ host: '', port: 0 });
    expect(reader.reason).toBeInstanceOf(ConnectionDone);
  });

  it('gives the peer of an abort what was written and the end of the stream, as a UNIX socket cannot reset (TCP: ConnectionLost, nothing)', async () => {
    const reactor = new MemoryReactor();
    await reactor.listenUNIX('/run/poems.sock', cutter('half a po'));
    const tcp = await reactor.listenTCP(0, cutter('half a po'));
    const overUnix = new Reader();
    const overTcp = new Reader();
    reactor.connectUNIX('/run/poems.sock', overUnix);
    reactor.connectTCP('127.0.0.1', tcp.getHost().port, overTcp);
    reactor.flush();
    expect(overUnix.reason).toBeInstanceOf(ConnectionDone);
    expect(overUnix.text).toBe('half a po');
    expect(overTcp.reason).toBeInstanceOf(ConnectionLost);
    expect(overTcp.reason).not.toBeInstanceOf(ConnectionDone);
    expect(overTcp.text).toBe('');
  });

  it('holds what an abort left, and its end, for a UNIX reader that paused until it resumes', async () => {
    const reactor = new MemoryReactor();
    await reactor.listenUNIX('/run/poems.sock', cutter('half a po'));
    const reader = new Reader();
    reader.pauseOnMade = true;
    reactor.connectUNIX('/run/poems.sock', reader);
    reactor.flush();
    expect([reader.text, reader.reason]).toEqual(['', undefined]);
    reader.made!.resumeProducing();
    reactor.flush();
    expect(reader.text).toBe('half a po');
    expect(reader.reason).toBeInstanceOf(ConnectionDone);
  });

  it('drops past a socket buffer of what an abort left unsent over UNIX', async () => {
    const reactor = new MemoryReactor();
    const much = 'x'.repeat(LOOPBACK_HIGH_WATER_MARK * 4);
    await reactor.listenUNIX('/run/poems.sock', cutter(much));
    const reader = new Reader();
    reactor.connectUNIX('/run/poems.sock', reader);
    reactor.flush();
    expect(reader.text.length).toBe(LOOPBACK_HIGH_WATER_MARK);
    expect(reader.reason).toBeInstanceOf(ConnectionDone);
  });

  it('refuses at once, naming the path, where nothing listens: a UNIX attempt never waits', async () => {
    const reactor = new MemoryReactor();
    const reader = new Reader();
    reactor.connectUNIX('/run/nobody.sock', reader);
    reactor.flush();
    expect(reader.reason).toBeInstanceOf(ConnectionRefusedError);
    expect(reader.reason).toMatchObject({ address: '/run/nobody.sock' });
  });

  it('rejects a second listenUNIX on a path in use with AddressInUseError, and allows it once stopped', async () => {
    const reactor = new MemoryReactor();
    const first = await reactor.listenUNIX('/run/poems.sock', greeter(''));
    const attempt = reactor.listenUNIX('/run/poems.sock', greeter(''));
    await expect(attempt).rejects.toBeInstanceOf(AddressInUseError);
    await expect(attempt).rejects.toMatchObject({
      code: 'ERR_ADDRESS_IN_USE',
      address: '/run/poems.sock',
    });
    await first.stopListening();
    await expect(reactor.listenUNIX('/run/poems.sock', greeter(''))).resolves.toBeDefined();
  });

  it('refuses a path too long for a socket address, as the real reactor does: listen and connect both fail, naming it', async () => {
    const reactor = new MemoryReactor();
    const path = `/run/${'p'.repeat(UNIX_PATH_MAX_BYTES)}.sock`;
    const attempt = reactor.listenUNIX(path, greeter('never'));
    await expect(attempt).rejects.toBeInstanceOf(CannotListenError);
    await expect(attempt).rejects.toMatchObject({
      address: path,
      message: expect.stringMatching(/path too long/),
    });
    const reader = new Reader();
    reactor.connectUNIX(path, reader);
    reactor.flush();
    expect(reader.reason).toBeInstanceOf(ConnectError);
    expect(reader.reason).not.toBeInstanceOf(ConnectionRefusedError);
    expect(reader.reason).toMatchObject({ code: 'ERR_CONNECT', address: path });
    expect(reader.reason!.message).toMatch(/path too long/);
  });

  it('gives up UNIX and TLS attempts and stops their ports on stop()', async () => {
    const reactor = new MemoryReactor();
    void reactor.run();
    await reactor.listenUNIX('/run/poems.sock', greeter(''));
    await reactor.listenTLS(0, greeter(''), IDENTITY);
    const pending = reactor.connectTLS('nowhere.invalid', 443, new Reader());
    reactor.stop();
    expect(pending.state).toBe('disconnected');
    const ports = [...reactor.unixServers, ...reactor.tlsServers];
    expect(ports.map((port) => port.listening)).toEqual([false, false]);
  });
});
