// The transport half of the contract: bytes, closes, flow control and lent read buffers, as a
// protocol sees them on every implementation.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionAborted, ConnectionDone, ConnectionLost } from '../../src/internet/errors.js';
import type {
  ConnectOptions,
  IConnector,
  IListeningPort,
  IPushProducer,
} from '../../src/internet/interfaces.js';
import {
  type ContractImplementation,
  type ContractWorld,
  HalfCloseableProtocol,
  RecordingClientFactory,
  RecordingProtocol,
  RecordingServerFactory,
} from './harness.js';

export interface Connection {
  server: RecordingProtocol;
  client: RecordingProtocol;
  serverFactory: RecordingServerFactory;
  clientFactory: RecordingClientFactory;
  connector: IConnector;
  listening: IListeningPort;
}

/**
 * Listens on a fresh address, connects `client` to `server`, and waits until both are made (or
 * only the client, with `clientOnly`).
 */
export async function connectPair(
  world: ContractWorld,
  server: RecordingProtocol,
  client: RecordingProtocol,
  options: ConnectOptions = {},
  clientOnly = false,
): Promise<Connection> {
  const serverFactory = new RecordingServerFactory();
  serverFactory.make = () => server;
  const listening = await world.listen(serverFactory);
  const clientFactory = new RecordingClientFactory();
  clientFactory.make = () => client;
  const connector = world.connect(listening, clientFactory, options);
  await world.settle<unknown>(clientOnly ? client.made : Promise.all([server.made, client.made]));
  return { server, client, serverFactory, clientFactory, connector, listening };
}

/** Deterministic bytes of every value, `length` long. */
export function pattern(length: number, seed = 7): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * seed + (i >> 8)) & 0xff;
  return bytes;
}

/** Writes `chunk` while not paused, up to `total` bytes, then closes; counts pauses. */
class FloodingProtocol extends RecordingProtocol implements IPushProducer {
  sent = 0;
  pauses = 0;
  resumes = 0;
  paused = false;
  readonly firstPause: Promise<void>;
  #resolvePause!: () => void;

  constructor(
    readonly chunk: Buffer,
    readonly total: number,
  ) {
    super();
    this.firstPause = new Promise((resolve) => {
      this.#resolvePause = resolve;
    });
  }

  override connectionMade(): void {
    super.connectionMade();
    this.transport!.registerProducer(this);
    this.#produce();
  }

  pauseProducing(): void {
    this.paused = true;
    this.pauses++;
    this.#resolvePause();
  }

  resumeProducing(): void {
    this.paused = false;
    this.resumes++;
    this.#produce();
  }

  stopProducing(): void {
    this.paused = true;
  }

  #produce(): void {
    const transport = this.transport!;
    while (!this.paused && this.sent < this.total) {
      this.sent += this.chunk.length;
      transport.write(this.chunk);
    }
    if (this.sent >= this.total && !this.paused) {
      transport.unregisterProducer();
      transport.loseConnection();
    }
  }
}

/** Defines the transport tests for `implementation`. */
export function describeTransportContract(implementation: ContractImplementation): void {
  describe(`transport contract: ${implementation.name}`, () => {
    let world: ContractWorld;
    const limits = implementation.limits ?? {};
    /** A test the transport may be unable to keep: skipped, with the reason, where it cannot. */
    const itUnless = (reason: string | undefined, name: string, test: () => Promise<void>) => {
      if (reason === undefined) it(name, test);
      else it.skip(`${name} (not on this transport: ${reason})`, test);
    };

    beforeEach(async () => {
      world = await implementation.open();
    });

    afterEach(async () => {
      await world.close();
    });

    it('delivers bytes in order, then ConnectionDone on both sides after loseConnection', async () => {
      const server = new RecordingProtocol();
      const client = new RecordingProtocol();
      server.onMade = (p) => {
        p.transport!.write('first line\n');
        p.transport!.write(Buffer.from('second line\n'));
        p.transport!.loseConnection();
      };
      await connectPair(world, server, client);
      const clientReason = await world.settle(client.lost);
      const serverReason = await world.settle(server.lost);
      expect(client.text()).toBe('first line\nsecond line\n');
      expect(clientReason).toBeInstanceOf(ConnectionDone);
      expect(serverReason).toBeInstanceOf(ConnectionDone);
    });

    it('delivers every byte written before loseConnection, however much is pending, then ConnectionDone', async () => {
      const poem = pattern(world.bytesToFillBuffers + 17);
      const server = new RecordingProtocol();
      const client = new RecordingProtocol();
      let pending = 0;
      server.onMade = (p) => {
        for (let at = 0; at < poem.length; at += 65536) {
          p.transport!.write(poem.subarray(at, at + 65536));
        }
        pending = p.transport!.bufferedBytes;
        p.transport!.loseConnection();
      };
      await connectPair(world, server, client);
      const reason = await world.settle(client.lost);
      expect(pending).toBeGreaterThan(0);
      expect(Buffer.concat(client.received).equals(poem)).toBe(true);
      expect(reason).toBeInstanceOf(ConnectionDone);
      expect(await world.settle(server.lost)).toBeInstanceOf(ConnectionDone);
    });

    it('drops writes made after loseConnection, and ignores writes after the connection is lost', async () => {
      const server = new RecordingProtocol();
      const client = new RecordingProtocol();
      server.onMade = (p) => {
        p.transport!.write('kept');
        p.transport!.loseConnection();
        p.transport!.write(' dropped');
      };
      await connectPair(world, server, client);
      await world.settle(client.lost);
      await world.settle(server.lost);
      expect(client.text()).toBe('kept');
      expect(() => server.transport!.write('too late')).not.toThrow();
      expect(() => server.transport!.loseConnection()).not.toThrow();
      await world.idle();
      expect(client.text()).toBe('kept');
      expect(client.events.filter((e) => e === 'connectionLost')).toHaveLength(1);
    });

    it('gives the peer ConnectionLost and the aborting side ConnectionAborted on abortConnection', async () => {
      const server = new RecordingProtocol();
      const client = new RecordingProtocol();
      server.onMade = (p) => p.transport!.write('partial');
      client.onData = (p) => p.transport!.abortConnection();
      await connectPair(world, server, client);
      const clientReason = await world.settle(client.lost);
      const serverReason = await world.settle(server.lost);
      expect(clientReason).toBeInstanceOf(ConnectionAborted);
      expect(serverReason).toBeInstanceOf(ConnectionLost);
      expect(serverReason).not.toBeInstanceOf(ConnectionDone);
      expect(serverReason).not.toBeInstanceOf(ConnectionAborted);
    });

    it('drops what is still unsent on abortConnection', async () => {
      const chunk = pattern(65536);
      const server = new RecordingProtocol();
      const client = new RecordingProtocol();
      let written = 0;
      // Only once the client speaks: a reset before its connect completes would fail the attempt.
      client.onMade = (p) => p.transport!.write('go');
      server.onData = (p) => {
        while (written < world.bytesToFillBuffers) {
          p.transport!.write(chunk);
          written += chunk.length;
        }
        p.transport!.abortConnection();
      };
      await connectPair(world, server, client);
      expect(await world.settle(server.lost)).toBeInstanceOf(ConnectionAborted);
      const clientReason = await world.settle(client.lost);
      expect(clientReason).toBeInstanceOf(ConnectionLost);
      expect(clientReason).not.toBeInstanceOf(ConnectionDone);
      expect(client.byteCount).toBeLessThan(written);
    });

    it('still resets the peer on abortConnection while loseConnection waits to flush', async () => {
      const server = new RecordingProtocol();
      const client = new RecordingProtocol();
      let written = 0;
      client.onMade = (p) => p.transport!.write('go');
      server.onData = (p) => {
        const poem = pattern(world.bytesToFillBuffers);
        p.transport!.write(poem);
        written = poem.length;
        p.transport!.loseConnection();
        p.transport!.abortConnection();
      };
      await connectPair(world, server, client);
      expect(await world.settle(server.lost)).toBeInstanceOf(ConnectionAborted);
      const clientReason = await world.settle(client.lost);
      // A clean close here would pass a cut stream off as whole.
      expect(client.byteCount).toBeLessThan(written);
      expect(clientReason).toBeInstanceOf(ConnectionLost);
      expect(clientReason).not.toBeInstanceOf(ConnectionDone);
    });

    it("gives each side the other's address as its peer", async () => {
      const server = new RecordingProtocol();
      const client = new RecordingProtocol();
      const { listening } = await connectPair(world, server, client);
      expect(client.transport!.getPeer()).toEqual(listening.getHost());
      expect(server.transport!.getHost()).toEqual(listening.getHost());
      expect(server.transport!.getPeer()).toEqual(client.transport!.getHost());
      client.transport!.abortConnection();
      await world.settle(server.lost);
    });

    it('calls connectionMade first and connectionLost exactly once, last', async () => {
      const server = new RecordingProtocol();
      const client = new RecordingProtocol();
      server.onMade = (p) => {
        p.transport!.write('x');
        p.transport!.loseConnection();
        p.transport!.loseConnection();
      };
      await connectPair(world, server, client);
      await world.settle(client.lost);
      await world.settle(server.lost);
      for (const events of [client.events, server.events]) {
        expect(events[0]).toBe('connectionMade');
        expect(events.at(-1)).toBe('connectionLost');
        expect(events.filter((e) => e === 'connectionLost')).toHaveLength(1);
      }
      expect(client.events).toContain('dataReceived');
    });

    it('tells a half-closeable protocol that its peer finished, and lets it answer before closing', async () => {
      const server = new HalfCloseableProtocol();
      const client = new HalfCloseableProtocol();
      server.onReadClosed = (p) => {
        p.transport!.write(`got ${p.text()}`);
        p.transport!.loseConnection();
      };
      client.onMade = (p) => {
        p.transport!.write('question');
        p.transport!.loseConnection();
      };
      await connectPair(world, server, client);
      await world.settle(client.lost);
      const serverReason = await world.settle(server.lost);
      expect(server.events).toEqual([
        'connectionMade',
        ...server.events.filter((e) => e === 'dataReceived'),
        'readConnectionLost',
        'connectionLost',
      ]);
      expect(server.text()).toBe('question');
      expect(serverReason).toBeInstanceOf(ConnectionDone);
      expect(client.reason).toBeInstanceOf(ConnectionDone);
    });

    it('delivers nothing more to a protocol once it has called loseConnection', async () => {
      const server = new HalfCloseableProtocol();
      const client = new RecordingProtocol();
      client.onMade = (p) => p.transport!.loseConnection();
      server.onReadClosed = (p) => {
        p.transport!.write('an answer nobody waits for');
        p.transport!.loseConnection();
      };
      await connectPair(world, server, client);
      expect(await world.settle(client.lost)).toBeInstanceOf(ConnectionDone);
      await world.settle(server.lost);
      expect(client.events).toEqual(['connectionMade', 'connectionLost']);
    });

    it('pauses a registered producer while the peer does not read, and resumes it when it does', async () => {
      const total = world.bytesToFillBuffers;
      const server = new FloodingProtocol(pattern(65536), total);
      const client = new RecordingProtocol();
      client.onMade = (p) => p.transport!.pauseProducing();
      await connectPair(world, server, client);
      await world.settle(server.firstPause);
      await world.idle();
      // The peer reads nothing, so the producer is held, whatever the network holds meanwhile.
      expect(server.paused).toBe(true);
      expect(server.sent).toBeLessThan(total);
      expect(client.byteCount).toBe(0);
      client.transport!.resumeProducing();
      expect(await world.settle(client.lost)).toBeInstanceOf(ConnectionDone);
      expect(server.resumes).toBeGreaterThan(0);
      expect(client.byteCount).toBe(server.sent);
      expect(server.sent).toBeGreaterThanOrEqual(total);
    });

    itUnless(
      limits.lentReadBuffer,
      'lends one read buffer: each read overwrites it, so only what the protocol copied survives',
      async () => {
        const poem = pattern(200, 13);
        const readBuffer = Buffer.alloc(16);
        const server = new RecordingProtocol();
        const client = new RecordingProtocol();
        const kept: Buffer[] = [];
        server.onMade = (p) => {
          for (let at = 0; at < poem.length; at += 50)
            p.transport!.write(poem.subarray(at, at + 50));
          p.transport!.loseConnection();
        };
        client.onData = (_p, data) => kept.push(data);
        await connectPair(world, server, client, { readBuffer });
        expect(await world.settle(client.lost)).toBeInstanceOf(ConnectionDone);
        // The copies the recording protocol made are right; the lent views were overwritten.
        expect(Buffer.concat(client.received).equals(poem)).toBe(true);
        expect(kept.length).toBeGreaterThanOrEqual(poem.length / readBuffer.length);
        for (const view of kept) {
          expect(view.buffer).toBe(readBuffer.buffer);
          expect(view.length).toBeLessThanOrEqual(readBuffer.length);
        }
        expect(Buffer.concat(kept).equals(poem)).toBe(false);
      },
    );

    it('stops a registered producer when its connection is lost, before connectionLost', async () => {
      const order: string[] = [];
      const server = new RecordingProtocol();
      const client = new RecordingProtocol();
      server.onMade = (p) => {
        p.transport!.registerProducer({
          pauseProducing: () => order.push('pauseProducing'),
          resumeProducing: () => order.push('resumeProducing'),
          stopProducing: () => order.push('stopProducing'),
        });
      };
      await connectPair(world, server, client);
      server.lost.then(() => order.push('connectionLost'));
      client.transport!.abortConnection();
      await world.settle(server.lost);
      expect(order).toEqual(['stopProducing', 'connectionLost']);
    });

    it('reports an exception thrown by connectionMade and aborts that connection, once', async () => {
      class ExplodingAtStart extends RecordingProtocol {
        override connectionMade(): void {
          super.connectionMade();
          throw new Error('bad greeting');
        }
      }
      const server = new RecordingProtocol();
      const client = new ExplodingAtStart();
      await connectPair(world, server, client, {}, true);
      expect(await world.settle(client.lost)).toBeInstanceOf(ConnectionAborted);
      // Where the server may never have heard of the connection, it is not asked about.
      if (limits.earlyAbortUnseen === undefined) {
        expect(await world.settle(server.lost)).toBeInstanceOf(ConnectionLost);
      }
      expect(world.reported).toEqual(['ExplodingAtStart.makeConnection']);
      expect(client.events).toEqual(['connectionMade', 'connectionLost']);
    });

    it('reports an exception thrown by dataReceived and aborts that connection, once', async () => {
      class Exploding extends RecordingProtocol {
        override dataReceived(data: Buffer): void {
          super.dataReceived(data);
          throw new Error('bad poem handler');
        }
      }
      const server = new RecordingProtocol();
      const client = new Exploding();
      server.onMade = (p) => p.transport!.write('poem');
      await connectPair(world, server, client);
      expect(await world.settle(client.lost)).toBeInstanceOf(ConnectionAborted);
      expect(await world.settle(server.lost)).toBeInstanceOf(ConnectionLost);
      expect(world.reported).toEqual(['Exploding.dataReceived']);
      expect(client.events.filter((e) => e === 'connectionLost')).toHaveLength(1);
    });
  });
}
