// The poetry server protocol and factory on the fake reactor: schedule, fast mode, readers
// leaving, half-close, flow control, the connection cap, the watchdog and shutdown.

import { describe, expect, it, vi } from 'vitest';
import { ConnectionDone, ConnectionLost } from '../../../src/internet/errors.js';
import { Protocol } from '../../../src/internet/protocol.js';
import {
  DEFAULT_BACKLOG,
  HIGH_WATER_BYTES,
  PoetryServerFactory,
  servePoetry,
} from '../../../src/poetry/server.js';
import { BufferPoemSource } from '../../../src/poetry/server-source.js';
import { connectInMemory } from '../../../src/testing/loopback.js';
import type { MemoryPort } from '../../../src/testing/memory-reactor.js';
import { MemoryReactor } from '../../../src/testing/memory-reactor.js';
import {
  binaryPoem,
  MemoryPoetryServer,
  RecordingLogger,
  serveFromDisk,
  settle,
  writeSizes,
} from '../../helpers/server-memory.js';

const POEM_25 = 'abcdefghijklmnopqrstuvwxy';

describe('PoetryServerProtocol: the schedule', () => {
  it('sends numBytes at once, then numBytes every delay seconds, then closes cleanly', () => {
    const server = new MemoryPoetryServer(POEM_25, { delay: 0.5, numBytes: 10 });
    const { transport } = server.connect();

    expect(transport.value().toString()).toBe('abcdefghij');
    server.reactor.advance(0.499);
    expect(writeSizes(transport)).toEqual([10]);
    server.reactor.advance(0.001);
    expect(transport.value().toString()).toBe('abcdefghijklmnopqrst');
    expect(transport.disconnecting).toBe(false);
    server.reactor.advance(0.5);
    expect(writeSizes(transport)).toEqual([10, 10, 5]);
    expect(transport.value().toString()).toBe(POEM_25);
    expect(transport.disconnecting).toBe(true);
    expect(transport.aborted).toBe(false);
    expect(transport.producer).toBeUndefined();
    expect(server.reactor.getDelayedCalls()).toEqual([]);
  });

  it('schedules chunk n at start + n × delay however late each tick runs', () => {
    const server = new MemoryPoetryServer(binaryPoem(40), { delay: 0.1, numBytes: 1 });
    server.reactor.advance(3.3); // the reader connects at a time that is not a multiple of 0.1
    const { transport } = server.connect();
    const lateness = [0.03, 0.0, 0.07, 0.01, 0.098, 0.05];
    for (let n = 1; n < 40; n++) {
      const [call] = server.reactor.getDelayedCalls();
      expect(call!.getTime()).toBeCloseTo(3.3 + n * 0.1, 5);
      // Every wake-up runs late, as a busy event loop makes it, by up to almost a whole delay
      // (short of the millisecond in which the next chunk counts as due): no drift.
      call!.delay(lateness[n % 6]!);
      server.reactor.advance(call!.getTime() - server.reactor.seconds());
      expect(transport.value().length).toBe(n + 1);
    }
    expect(transport.value()).toEqual(binaryPoem(40));
    expect(transport.disconnecting).toBe(true);
  });

  it('sends every chunk that came due in one write when a tick runs more than a delay late', () => {
    const server = new MemoryPoetryServer(binaryPoem(100), { delay: 0.5, numBytes: 10 });
    const { transport } = server.connect();

    // A busy event loop runs the tick due at 0.5 s at 1.6 s, when chunks 1, 2 and 3 are due.
    server.reactor.getDelayedCalls()[0]!.delay(1.1);
    server.reactor.advance(1.6);
    expect(writeSizes(transport)).toEqual([10, 30]);
    const [call] = server.reactor.getDelayedCalls();
    expect(call!.getTime()).toBeCloseTo(2.0, 5);
    server.reactor.advance(0.4);
    expect(writeSizes(transport)).toEqual([10, 30, 10]);
  });

  it('keeps each of a thousand readers connected at odd times on its own schedule, at most 1 ms early', () => {
    const poem = binaryPoem(300);
    const server = new MemoryPoetryServer(poem, { delay: 0.1, numBytes: 10 });
    const readers = [];
    for (let i = 0; i < 1000; i++) {
      readers.push({ at: server.reactor.seconds(), ...server.connect() });
      server.reactor.advance(0.0007);
    }
    for (let step = 0; step < 40; step++) {
      server.reactor.advance(0.1);
      const now = server.reactor.seconds();
      for (const reader of readers) {
        const sent = reader.transport.value().length;
        const due = Math.floor((now - reader.at + 1e-9) / 0.1) + 1;
        const dueWithin1ms = Math.floor((now + 0.001 - reader.at + 1e-9) / 0.1) + 1;
        expect(sent).toBeGreaterThanOrEqual(Math.min(300, due * 10));
        expect(sent).toBeLessThanOrEqual(Math.min(300, dueWithin1ms * 10));
      }
    }
    for (const reader of readers) {
      expect(reader.transport.value()).toEqual(poem);
      expect(reader.transport.disconnecting).toBe(true);
    }
  });
});

describe('PoetryServerProtocol: fast mode and edge cases', () => {
  it('sends the whole poem in one write and closes when the delay is 0', () => {
    const poem = binaryPoem(3000);
    const server = new MemoryPoetryServer(poem, { delay: 0, numBytes: 10 });
    const { transport } = server.connect();

    expect(writeSizes(transport)).toEqual([3000]);
    expect(transport.value()).toEqual(poem);
    expect(transport.disconnecting).toBe(true);
    expect(server.reactor.getDelayedCalls()).toEqual([]);
  });

  it('shares one poem Buffer between readers in fast mode rather than copying it', () => {
    const source = new BufferPoemSource(binaryPoem(3000));
    const server = new MemoryPoetryServer(source, { delay: 0 });
    const first = server.connect().transport;
    const second = server.connect().transport;
    // MemoryTransport copies what it records, so compare what the protocol handed it instead.
    expect(first.value()).toEqual(second.value());
    expect(source.openCursor(0).take(3000).buffer).toBe(source.poem.buffer);
  });

  it.each([
    ['paced', 0.7],
    ['fast', 0],
  ])('closes at once without writing when the poem is empty (%s)', (_mode, delay) => {
    const server = new MemoryPoetryServer('', { delay });
    const { transport } = server.connect();

    expect(transport.written).toEqual([]);
    expect(transport.disconnecting).toBe(true);
    expect(transport.aborted).toBe(false);
    expect(server.reactor.getDelayedCalls()).toEqual([]);
  });

  it('sends a last short chunk when numBytes does not divide the poem', () => {
    const server = new MemoryPoetryServer('12345678', { delay: 1, numBytes: 3 });
    const { transport } = server.connect();
    server.reactor.pump([1, 1]);
    expect(writeSizes(transport)).toEqual([3, 3, 2]);
    expect(transport.disconnecting).toBe(true);
  });

  it('sends one chunk of the whole poem when numBytes exceeds it', () => {
    const server = new MemoryPoetryServer(POEM_25, { delay: 1, numBytes: 1000 });
    const { transport } = server.connect();
    expect(writeSizes(transport)).toEqual([25]);
    expect(transport.disconnecting).toBe(true);
  });

  it('rejects a bad delay, chunk size or limit with RangeError', () => {
    const reactor = new MemoryReactor();
    const source = new BufferPoemSource('x');
    for (const options of [
      { delay: -1 },
      { delay: Number.NaN },
      { delay: Number.POSITIVE_INFINITY },
      { numBytes: 0 },
      { numBytes: 1.5 },
      { maxConnections: 0 },
      { maxConnections: Number.POSITIVE_INFINITY },
      { numBytes: Number.POSITIVE_INFINITY },
      { stallTimeout: -0.1 },
      { stallTimeout: Number.NaN },
      { delay: '1' as unknown as number },
    ]) {
      expect(() => new PoetryServerFactory(reactor, source, options)).toThrow(RangeError);
    }
  });

  it('reads a stall timeout of 0 or Infinity alike: no reader is ever cut', () => {
    const reactor = new MemoryReactor();
    const source = new BufferPoemSource('x');
    for (const stallTimeout of [0, Number.POSITIVE_INFINITY]) {
      expect(new PoetryServerFactory(reactor, source, { stallTimeout }).stallTimeout).toBe(0);
    }
  });

  it('rejects a backlog below 1 and a grace period of Infinity with RangeError', async () => {
    const reactor = new MemoryReactor();
    const source = new BufferPoemSource('x');
    await expect(servePoetry(reactor, source, { backlog: 0 })).rejects.toBeInstanceOf(RangeError);
    const server = await servePoetry(reactor, source);
    expect(() => server.shutdown(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => server.shutdown(-1)).toThrow(RangeError);
    await server.shutdown(0);
  });
});

describe('PoetryServerProtocol: readers that leave or half-close', () => {
  it('cancels its pending call and writes nothing more when the reader leaves mid-poem', () => {
    const server = new MemoryPoetryServer(POEM_25, { delay: 0.5, numBytes: 10 });
    const { protocol, transport } = server.connect({ host: '127.0.0.1', port: 4242 });
    server.reactor.advance(0.5);
    expect(server.reactor.getDelayedCalls()).toHaveLength(1);

    protocol.connectionLost(
      new ConnectionLost('connection reset by peer', { address: '127.0.0.1:4242' }),
    );
    expect(server.reactor.getDelayedCalls()).toEqual([]);
    server.reactor.advance(10);
    expect(writeSizes(transport)).toEqual([10, 10]);
    expect(server.factory.readers).toBe(0);
    expect(server.factory.served).toBe(0);
    expect(server.logger.readerLines).toEqual([
      'reader 127.0.0.1:4242 connected',
      'reader 127.0.0.1:4242 lost after 20 of 25 bytes: connection reset by peer',
    ]);
  });

  it('writes nothing more once the transport stops it as a producer', () => {
    const server = new MemoryPoetryServer(POEM_25, { delay: 0.5, numBytes: 10 });
    const { protocol, transport } = server.connect();
    protocol.stopProducing();
    server.reactor.advance(5);
    protocol.resumeProducing();
    protocol.finishNow();
    expect(writeSizes(transport)).toEqual([10]);
    expect(server.reactor.getDelayedCalls()).toEqual([]);
  });

  it('ignores a second connectionLost', () => {
    const server = new MemoryPoetryServer(POEM_25, { delay: 0 });
    const { protocol } = server.connect();
    protocol.connectionLost(new ConnectionDone('closed'));
    protocol.connectionLost(new ConnectionDone('closed'));
    expect(server.factory.served).toBe(1);
    expect(server.logger.readerLines).toHaveLength(2);
  });

  it('goes on sending the whole poem to a reader that half-closes right after connecting', () => {
    const server = new MemoryPoetryServer(POEM_25, { delay: 0.5, numBytes: 10 });
    const { protocol, transport } = server.connect();
    protocol.readConnectionLost();
    expect(transport.disconnecting).toBe(false);
    server.reactor.pump([0.5, 0.5]);
    expect(transport.value().toString()).toBe(POEM_25);
    expect(transport.disconnecting).toBe(true);
  });

  it('logs a reader that got the whole poem and a clean close as done', () => {
    const server = new MemoryPoetryServer(POEM_25, { delay: 0.5, numBytes: 10 });
    const { protocol } = server.connect({ host: '::1', port: 5000 });
    server.reactor.pump([0.5, 0.5]);
    protocol.connectionLost(new ConnectionDone('connection closed cleanly'));
    expect(server.factory.served).toBe(1);
    expect(server.logger.readerLines).toEqual([
      'reader [::1]:5000 connected',
      'reader [::1]:5000 done: 25 bytes in 1.00 s',
    ]);
  });

  it.each([1, 2, 7, 64])(
    'discards what the reader sends, %i byte(s) at a time, and serves the poem unchanged',
    (chunkSize) => {
      const reactor = new MemoryReactor();
      const factory = new PoetryServerFactory(reactor, new BufferPoemSource(POEM_25), {
        delay: 0.25,
        numBytes: 4,
        stallTimeout: 0,
      });
      const received: Buffer[] = [];
      let lost: Error | undefined;
      class ChattyReader extends Protocol {
        override connectionMade(): void {
          this.transport!.write('please remember all of this: '.repeat(50));
        }
        override dataReceived(data: Buffer): void {
          received.push(data);
        }
        override connectionLost(reason: Error): void {
          lost = reason;
        }
      }
      const pair = connectInMemory(
        factory.buildProtocol({ host: '127.0.0.1', port: 1 })!,
        new ChattyReader(),
        {
          chunkSize,
        },
      );
      for (let i = 0; i < 10; i++) {
        pair.pump();
        reactor.advance(0.25);
      }
      pair.pump();
      expect(Buffer.concat(received).toString()).toBe(POEM_25);
      expect(lost).toBeInstanceOf(ConnectionDone);
      expect(pair.serverTransport.written.map(String).join('')).toBe(POEM_25);
    },
  );
});

describe('PoetryServerProtocol: a reader that does not read', () => {
  it('registers itself as the transport producer and holds due chunks while paused', () => {
    const server = new MemoryPoetryServer(binaryPoem(100), { delay: 1, numBytes: 10 });
    const { protocol, transport } = server.connect();
    expect(transport.producer).toBe(protocol);

    protocol.pauseProducing(); // as the TCP transport does when its buffer is full
    server.reactor.advance(5.5);
    expect(writeSizes(transport)).toEqual([10]);
    expect(server.reactor.getDelayedCalls()).toEqual([]);

    protocol.resumeProducing();
    // The chunk held up goes at once; the schedule moves on by the length of the stall.
    expect(writeSizes(transport)).toEqual([10, 10]);
    const [call] = server.reactor.getDelayedCalls();
    expect(call!.getTime()).toBeCloseTo(6.5, 5);
    server.reactor.advance(1);
    expect(writeSizes(transport)).toEqual([10, 10, 10]);
  });

  it('carries on without a stall when resumed before the next chunk is due', () => {
    const server = new MemoryPoetryServer(binaryPoem(100), { delay: 1, numBytes: 10 });
    const { protocol, transport } = server.connect();
    protocol.pauseProducing();
    server.reactor.advance(0.5);
    protocol.resumeProducing();
    server.reactor.advance(0.5);
    expect(writeSizes(transport)).toEqual([10, 10]);
    expect(server.reactor.getDelayedCalls()[0]!.getTime()).toBeCloseTo(2, 5);
  });

  it('holds off while the transport buffers too much even if it never pauses the sender', () => {
    const server = new MemoryPoetryServer(binaryPoem(100), { delay: 0.5, numBytes: 10 });
    const { transport } = server.connect();
    transport.bufferedBytes = HIGH_WATER_BYTES;
    server.reactor.pump([0.5, 0.5, 0.5, 0.5]);
    expect(writeSizes(transport)).toEqual([10]);

    transport.bufferedBytes = 0;
    server.reactor.advance(0.1);
    expect(writeSizes(transport)).toEqual([10, 10]);
    server.reactor.advance(0.5);
    expect(writeSizes(transport)).toEqual([10, 10, 10]);
  });

  it('sets no timer and reads nothing more while readers that do not read hold it off, however long', async () => {
    // As the TCP transport does when a reader's socket buffer is full: pause the producer.
    const paced = new MemoryPoetryServer(binaryPoem(4096), { delay: 0.01, numBytes: 64 });
    const poem = binaryPoem(256 * 1024);
    const { server: fast, disk } = serveFromDisk(poem, { delay: 0 });
    const readers = [];
    for (let i = 0; i < 40; i++) {
      for (const server of [paced, fast]) {
        const reader = server.connect();
        reader.protocol.pauseProducing();
        readers.push(reader);
      }
    }
    await disk.completeAll(); // each fast reader's first block waits: none is written
    paced.reactor.advance(0.01); // each paced reader's second chunk comes due, and waits
    const pacedCalls = vi.spyOn(paced.reactor, 'callLater');
    const fastCalls = vi.spyOn(fast.reactor, 'callLater');
    const readsBefore = disk.reads.length;

    for (let second = 0; second < 1000; second++) {
      paced.reactor.advance(1);
      fast.reactor.advance(1);
    }
    expect(pacedCalls).not.toHaveBeenCalled();
    expect(fastCalls).not.toHaveBeenCalled();
    expect(paced.reactor.getDelayedCalls()).toEqual([]);
    expect(fast.reactor.getDelayedCalls()).toEqual([]);
    expect(disk.reads).toHaveLength(readsBefore);
    expect(disk.pending).toEqual([]);
    for (const { transport } of readers) {
      expect(transport.value().length).toBeLessThanOrEqual(64);
      expect(transport.disconnecting).toBe(false);
    }
  });

  it('cuts a reader that takes nothing for the stall timeout', async () => {
    const server = new MemoryPoetryServer(binaryPoem(100), {
      delay: 1,
      numBytes: 10,
      stallTimeout: 5,
    });
    const { protocol, transport } = server.connect({ host: '127.0.0.1', port: 7 });
    protocol.pauseProducing();
    transport.bufferedBytes = 10;
    server.reactor.advance(5);
    expect(transport.aborted).toBe(false);
    server.reactor.advance(5);
    expect(transport.aborted).toBe(true);
    protocol.connectionLost(new ConnectionLost('aborted'));
    expect(server.logger.readerLines.at(-1)).toBe(
      'reader 127.0.0.1:7 cut after 10 of 100 bytes: took nothing for 5 s',
    );
    expect(server.reactor.getDelayedCalls()).toEqual([]);
  });

  it('does not cut a slow reader that keeps taking bytes, nor an idle one between chunks', () => {
    const server = new MemoryPoetryServer(binaryPoem(100), {
      delay: 20,
      numBytes: 10,
      stallTimeout: 5,
    });
    const slow = server.connect();
    const idle = server.connect();
    slow.transport.bufferedBytes = 10;
    for (let i = 0; i < 8; i++) {
      server.reactor.advance(5);
      slow.transport.bufferedBytes -= 1; // it takes a byte now and then
    }
    expect(slow.transport.aborted).toBe(false);
    expect(idle.transport.aborted).toBe(false);
    expect(idle.transport.value().length).toBe(30);
  });
});

describe('PoetryServerFactory: the connection cap', () => {
  it('listens with the cap and backlog and counts and logs connections dropped over it', async () => {
    const reactor = new MemoryReactor();
    const logger = new RecordingLogger();
    const server = await servePoetry(reactor, new BufferPoemSource(POEM_25), {
      maxConnections: 2,
      logger,
      name: 'poems/ode.txt',
    });
    const port = reactor.tcpServers[0] as MemoryPort;
    expect(port.options).toMatchObject({
      interface: 'localhost',
      backlog: DEFAULT_BACKLOG,
      maxConnections: 2,
    });
    expect(logger.all).toEqual(['Serving poems/ode.txt on localhost:40000']);

    for (let i = 0; i < 5; i++) port.options.onDrop!({ host: '10.0.0.9', port: 1000 + i });
    expect(server.factory.dropped).toBe(5);
    expect(logger.infoLines.slice(1)).toEqual([
      'dropped 10.0.0.9:1000: 2 readers already connected',
    ]);
    reactor.advance(1);
    expect(logger.infoLines.slice(2)).toEqual([
      'dropped 4 more connections over the limit of 2 (5 in all)',
    ]);
    reactor.pump([1, 1]);
    expect(logger.infoLines).toHaveLength(3);
    expect(reactor.getDelayedCalls()).toEqual([]);
  });

  it('logs the real host and port listened on, with brackets for IPv6', async () => {
    const reactor = new MemoryReactor();
    const logger = new RecordingLogger();
    const server = await servePoetry(reactor, new BufferPoemSource('x'), {
      interface: '::1',
      port: 10000,
      logger,
      name: 'x.txt',
    });
    expect(server.getHost()).toEqual({ host: '::1', port: 10000 });
    expect(logger.all).toEqual(['Serving x.txt on [::1]:10000']);
  });
});

describe('PoetryServer.shutdown', () => {
  it('stops listening, sends readers in flight the rest at once, and resolves when they leave', async () => {
    const reactor = new MemoryReactor();
    const logger = new RecordingLogger();
    const server = await servePoetry(reactor, new BufferPoemSource(binaryPoem(100)), {
      delay: 1,
      numBytes: 10,
      logger,
      stallTimeout: 0,
    });
    const port = reactor.tcpServers[0] as MemoryPort;
    const a = port.accept({ host: '127.0.0.1', port: 1 });
    const b = port.accept({ host: '127.0.0.1', port: 2 });
    let stopped = false;
    const stopping = server.shutdown(2).then(() => {
      stopped = true;
    });
    await settle();
    expect(port.listening).toBe(false);
    expect(a.transport.value()).toEqual(binaryPoem(100));
    expect(b.transport.disconnecting).toBe(true);
    expect(stopped).toBe(false);

    a.protocol.connectionLost(new ConnectionDone('closed'));
    b.protocol.connectionLost(new ConnectionDone('closed'));
    await stopping;
    expect(server.factory.served).toBe(2);
    expect(logger.infoLines.slice(1)).toEqual([
      'stopping: 2 readers in flight get 2 s to finish',
      'stopped',
    ]);
    expect(reactor.getDelayedCalls()).toEqual([]);
  });

  it('counts as in flight only readers with bytes still to take, and waits for the closing ones too', async () => {
    const reactor = new MemoryReactor();
    const logger = new RecordingLogger();
    const server = await servePoetry(reactor, new BufferPoemSource(binaryPoem(100)), {
      delay: 0,
      logger,
      stallTimeout: 0,
    });
    const port = reactor.tcpServers[0] as MemoryPort;
    // Both have the whole poem and a close under way; b's last bytes are still in its buffer.
    const a = port.accept({ host: '127.0.0.1', port: 1 });
    const b = port.accept({ host: '127.0.0.1', port: 2 });
    b.transport.bufferedBytes = 40;
    expect(a.transport.disconnecting && b.transport.disconnecting).toBe(true);
    let stopped = false;
    const stopping = server.shutdown(2).then(() => {
      stopped = true;
    });
    await settle();
    expect(logger.infoLines.slice(1)).toEqual(['stopping: 1 reader in flight get 2 s to finish']);
    a.protocol.connectionLost(new ConnectionDone('closed'));
    await settle();
    expect(stopped).toBe(false);
    b.protocol.connectionLost(new ConnectionDone('closed'));
    await stopping;
    expect(logger.infoLines.slice(1)).toEqual([
      'stopping: 1 reader in flight get 2 s to finish',
      'stopped',
    ]);
  });

  it('says only "stopped" when every reader left has the whole poem', async () => {
    const reactor = new MemoryReactor();
    const logger = new RecordingLogger();
    const server = await servePoetry(reactor, new BufferPoemSource('a short poem'), {
      delay: 0,
      logger,
      stallTimeout: 0,
    });
    const port = reactor.tcpServers[0] as MemoryPort;
    const closing = port.accept({ host: '127.0.0.1', port: 1 });
    let stopped = false;
    const stopping = server.shutdown(2).then(() => {
      stopped = true;
    });
    await settle();
    expect(stopped).toBe(false);
    closing.protocol.connectionLost(new ConnectionDone('closed'));
    await stopping;
    expect(logger.infoLines.slice(1)).toEqual(['stopped']);
    expect(reactor.getDelayedCalls()).toEqual([]);
  });

  it('cuts readers still reading when the grace period ends', async () => {
    const reactor = new MemoryReactor();
    const logger = new RecordingLogger();
    const server = await servePoetry(reactor, new BufferPoemSource(binaryPoem(100)), {
      delay: 1,
      numBytes: 10,
      logger,
    });
    const port = reactor.tcpServers[0] as MemoryPort;
    const stuck = port.accept({ host: '127.0.0.1', port: 3 });
    (stuck.protocol as unknown as { pauseProducing(): void }).pauseProducing();
    const stopping = server.shutdown(2);
    await settle();
    expect(stuck.transport.aborted).toBe(false);
    reactor.advance(2);
    expect(stuck.transport.aborted).toBe(true);
    stuck.protocol.connectionLost(new ConnectionLost('aborted'));
    await stopping;
    expect(logger.all).toContain('cutting 1 reader still reading');
    expect(logger.readerLines.at(-1)).toBe(
      'reader 127.0.0.1:3 cut after 10 of 100 bytes: still reading after the 2 s grace period',
    );
  });

  it('resolves at once when no reader is connected, and returns the same promise again', async () => {
    const reactor = new MemoryReactor();
    const server = await servePoetry(reactor, new BufferPoemSource('x'));
    const first = server.shutdown();
    expect(server.shutdown()).toBe(first);
    await first;
    expect((reactor.tcpServers[0] as MemoryPort).listening).toBe(false);
  });

  it('cuts at once a reader that connects after it stopped listening (a TLS handshake finishing late)', async () => {
    const reactor = new MemoryReactor();
    const server = await servePoetry(reactor, new BufferPoemSource(binaryPoem(100)), {
      delay: 1,
    });
    const port = reactor.tcpServers[0] as MemoryPort;
    const stopped = server.shutdown(0);
    await Promise.resolve();
    const late = port.accept();
    expect(late.transport.aborted).toBe(true);
    expect(late.transport.written).toEqual([]);
    late.protocol.connectionLost(new ConnectionLost('cut'));
    await stopped;
  });

  it('cuts every reader at once on cutNow', async () => {
    const reactor = new MemoryReactor();
    const server = await servePoetry(reactor, new BufferPoemSource(binaryPoem(100)), {
      delay: 1,
    });
    const reader = (reactor.tcpServers[0] as MemoryPort).accept();
    server.cutNow();
    expect(reader.transport.aborted).toBe(true);
  });
});
