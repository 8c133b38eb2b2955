import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionDone, ConnectionLost } from '../../../src/internet/errors.js';
import type { IListeningPort, IPushProducer } from '../../../src/internet/interfaces.js';
import { ClientFactory, Protocol, ServerFactory } from '../../../src/internet/protocol.js';
import { Reactor } from '../../../src/internet/reactor.js';

const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const TOTAL_CHUNKS = 256; // 16 MiB: far more than socket buffers hold

/** Writes CHUNK after CHUNK while allowed; the transport pauses it when its buffer is full. */
class FloodingProtocol extends Protocol implements IPushProducer {
  sent = 0;
  pauses = 0;
  maxBuffered = 0;
  #paused = false;

  override connectionMade(): void {
    this.transport!.registerProducer(this);
    this.#produce();
  }

  pauseProducing(): void {
    this.#paused = true;
    this.pauses++;
  }

  resumeProducing(): void {
    this.#paused = false;
    this.#produce();
  }

  stopProducing(): void {
    this.#paused = true;
  }

  #produce(): void {
    const transport = this.transport!;
    while (!this.#paused && this.sent < TOTAL_CHUNKS) {
      this.sent++;
      transport.write(CHUNK);
      this.maxBuffered = Math.max(this.maxBuffered, transport.bufferedBytes);
    }
    if (this.sent === TOTAL_CHUNKS && !this.#paused) {
      transport.unregisterProducer();
      transport.loseConnection();
    }
  }
}

describe('flow control over TCP', () => {
  let port: IListeningPort | undefined;

  afterEach(async () => {
    await port?.stopListening();
  });

  it('pauses a registered producer while the reader is not reading, and resumes it after', async () => {
    const reactor = new Reactor();
    const server = new ServerFactory();
    let flooder: FloodingProtocol | undefined;
    server.buildProtocol = () => {
      flooder = new FloodingProtocol();
      return flooder;
    };
    port = await reactor.listenTCP(0, server, { interface: '127.0.0.1' });

    let received = 0;
    let resumed = false;
    const done = new Promise<Error>((resolve) => {
      const client = new ClientFactory();
      client.buildProtocol = () =>
        new (class extends Protocol {
          override connectionMade(): void {
            // Read nothing for a while: the server's producer must be paused, not buffer 16 MiB.
            this.transport!.pauseProducing();
            const waitForPause = (): void => {
              if ((flooder?.pauses ?? 0) > 0) {
                resumed = true;
                this.transport!.resumeProducing();
              } else setImmediate(waitForPause);
            };
            waitForPause();
          }
          override dataReceived(data: Buffer): void {
            received += data.length;
          }
          override connectionLost(reason: Error): void {
            resolve(reason);
          }
        })();
      reactor.connectTCP('127.0.0.1', port!.getHost().port, client);
    });

    const reason = await done;
    expect(reason).toBeInstanceOf(ConnectionDone);
    expect(resumed).toBe(true);
    expect(received).toBe(CHUNK.length * TOTAL_CHUNKS);
    expect(flooder!.pauses).toBeGreaterThan(0);
    // Paused at the first full buffer: at most a chunk or two beyond the socket's high-water mark.
    expect(flooder!.maxBuffered).toBeLessThan(4 * CHUNK.length);
  });
});

describe('aborting a connection that is already closing', () => {
  let port: IListeningPort | undefined;

  afterEach(async () => {
    await port?.stopListening();
  });

  it('closes it even while the close waits for a reader that reads nothing', async () => {
    const reactor = new Reactor();
    const server = new ServerFactory();
    let lost: Promise<Error> | undefined;
    server.buildProtocol = () =>
      new (class extends Protocol {
        override connectionMade(): void {
          lost = new Promise((resolve) => {
            this.connectionLost = resolve;
          });
          // Far more than the socket buffers hold, so the close waits on the reader forever.
          for (let i = 0; i < 256; i++) this.transport!.write(CHUNK);
          this.transport!.loseConnection();
          setImmediate(() => this.transport!.abortConnection());
        }
      })();
    port = await reactor.listenTCP(0, server, { interface: '127.0.0.1' });
    const client = new ClientFactory();
    let clientTransport: { abortConnection(): void } | undefined;
    client.buildProtocol = () =>
      new (class extends Protocol {
        override connectionMade(): void {
          clientTransport = this.transport;
          this.transport!.pauseProducing();
        }
      })();
    reactor.connectTCP('127.0.0.1', port.getHost().port, client);
    while (lost === undefined) await new Promise((resolve) => setImmediate(resolve));
    const reason = await lost;
    expect(reason).toBeInstanceOf(ConnectionLost);
    clientTransport?.abortConnection();
  });
});
