// A transport that records what is written to it, for driving a protocol by hand.

import type { Address, IPushProducer, ITransport } from '../internet/interfaces.js';

export interface MemoryTransportOptions {
  host?: Address;
  peer?: Address;
}

/**
 * Stands in for a TCP transport, as Twisted's `StringTransport`: `write` appends to a record,
 * `loseConnection` and `abortConnection` only set flags (the test calls the protocol's
 * `connectionLost` itself), and a registered producer sits in `producer` for the test to poke.
 */
export class MemoryTransport implements ITransport {
  readonly written: Buffer[] = [];
  /** Set by loseConnection (and by abortConnection). */
  disconnecting = false;
  /** Set by abortConnection. */
  aborted = false;
  /** What the protocol asked of the transport as a producer of incoming data. */
  producerState: 'producing' | 'paused' | 'stopped' = 'producing';
  producer: IPushProducer | undefined = undefined;
  /** What `bufferedBytes` reports; a test sets it to act out a full send buffer. */
  bufferedBytes = 0;
  readonly #host: Address;
  readonly #peer: Address;

  constructor(options: MemoryTransportOptions = {}) {
    this.#host = options.host ?? { host: '127.0.0.1', port: 10000 };
    this.#peer = options.peer ?? { host: '127.0.0.1', port: 54321 };
  }

  /** Every byte written so far, in order. Writes made after a close are recorded too. */
  value(): Buffer {
    return Buffer.concat(this.written);
  }

  /** Forgets what was written so far. */
  clear(): void {
    this.written.length = 0;
  }

  write(data: Uint8Array | string): void {
    this.written.push(typeof data === 'string' ? Buffer.from(data) : Buffer.from(data));
  }

  loseConnection(): void {
    this.disconnecting = true;
  }

  abortConnection(): void {
    this.aborted = true;
    this.disconnecting = true;
  }

  getPeer(): Address {
    return this.#peer;
  }

  getHost(): Address {
    return this.#host;
  }

  registerProducer(producer: IPushProducer): void {
    if (this.producer !== undefined) throw new Error('a producer is already registered');
    this.producer = producer;
  }

  unregisterProducer(): void {
    this.producer = undefined;
  }

  pauseProducing(): void {
    this.producerState = 'paused';
  }

  resumeProducing(): void {
    this.producerState = 'producing';
  }

  stopProducing(): void {
    this.producerState = 'stopped';
  }
}
