// Two protocols wired together in memory, with bytes moved between them only when pumped.

import { ConnectionAborted, ConnectionDone, ConnectionLost } from '../internet/errors.js';
import type { Address, ErrorReporter, IProtocol, IPushProducer } from '../internet/interfaces.js';
import { MemoryTransport } from './memory-transport.js';

/**
 * Unsent bytes at which a writer's producer is paused, as a socket's default high-water mark
 * (16 KiB); it is resumed once everything written has reached the peer, as on 'drain'.
 */
export const LOOPBACK_HIGH_WATER_MARK = 16 * 1024;

/**
 * The transport of one side of a LoopbackPair: a MemoryTransport (every write is recorded, even
 * after a close) whose writes after `loseConnection` or `abortConnection` never reach the peer,
 * as on TCP, and whose registered producer is paused and resumed as a socket's would be.
 */
export class LoopbackTransport extends MemoryTransport {
  // The pair's bookkeeping, for LoopbackPair only.
  /** How many of `written` may reach the peer: those written before the close. */
  deliverable = Number.POSITIVE_INFINITY;
  /** How many of `written` have reached the peer, and how much of the next one. */
  sent = 0;
  sentOffset = 0;
  /** The producer was paused by this transport because too much was unsent. */
  producerPaused = false;
  /** The side's protocol has had its connectionLost. */
  lost = false;

  override write(data: Uint8Array | string): void {
    super.write(data);
    if (this.disconnecting || this.lost) return;
    this.bufferedBytes += this.written.at(-1)!.length;
    if (this.bufferedBytes >= LOOPBACK_HIGH_WATER_MARK) this.pauseProducer();
  }

  override loseConnection(): void {
    if (!this.disconnecting) this.deliverable = this.written.length;
    super.loseConnection();
  }

  override abortConnection(): void {
    if (!this.disconnecting) this.deliverable = this.written.length;
    super.abortConnection();
  }

  override registerProducer(producer: IPushProducer): void {
    super.registerProducer(producer);
    this.producerPaused = false;
    if (this.bufferedBytes >= LOOPBACK_HIGH_WATER_MARK) this.pauseProducer();
  }

  override unregisterProducer(): void {
    super.unregisterProducer();
    this.producerPaused = false;
  }

  /** Pauses the registered producer, once, as a full socket buffer does. For LoopbackPair only. */
  pauseProducer(): void {
    const producer = this.producer;
    if (producer === undefined || this.producerPaused) return;
    this.producerPaused = true;
    producer.pauseProducing();
  }
}

/** One side of an in-memory connection: its transport, its protocol and what it has been told. */
class Side {
  readonly transport: LoopbackTransport;
  protocol: IProtocol;
  readonly name: 'client' | 'server';
  /** The peer's half-close has been delivered to this side. */
  readClosed = false;
  /** Where this side's reads land, if it was given a buffer to read into. */
  readonly readBuffer: Uint8Array | undefined;
  /**
   * After an abort without a reset: how many more of the bytes this side wrote reach the peer,
   * as the kernel delivers what it holds already (`LOOPBACK_HIGH_WATER_MARK`, a socket buffer).
   */
  inKernel: number | undefined = undefined;

  constructor(
    name: 'client' | 'server',
    protocol: IProtocol,
    host: Address,
    peer: Address,
    readBuffer: Uint8Array | undefined,
  ) {
    this.name = name;
    this.protocol = protocol;
    this.readBuffer = readBuffer;
    this.transport = new LoopbackTransport({ host, peer });
  }
}

export interface LoopbackOptions {
  /** Deliver bytes in pieces of at most this many bytes (1 feeds a byte at a time). */
  chunkSize?: number;
  clientAddress?: Address;
  serverAddress?: Address;
  /**
   * The client reads into this buffer, as with `ConnectOptions.readBuffer`: every piece is copied
   * into it, from its start, and `dataReceived` gets a view of it that the next piece overwrites.
   * Pieces are then at most this long.
   */
  clientReadBuffer?: Uint8Array;
  /**
   * Where an exception thrown by a protocol goes, as on a reactor: it is reported and that side's
   * connection aborted. Without one, the exception propagates out of `pump()`, so a test sees it.
   */
  reportError?: ErrorReporter;
  /** Told after a side's protocol got its `connectionLost`: for reactors built on the pair. */
  onLost?: (side: 'client' | 'server', reason: Error) => void;
  /**
   * False for a transport that cannot reset, as a UNIX socket: the peer of an abort then gets
   * the first `LOOPBACK_HIGH_WATER_MARK` bytes the aborting side had not sent yet (what a
   * kernel would hold already; the rest is dropped) and the end of the stream, as after
   * `loseConnection`; the aborting side hears ConnectionAborted at once. Default true.
   */
  resets?: boolean;
}

/**
 * A client and a server protocol connected in memory, as Twisted's iosim. Nothing moves until
 * `pump()` is called; it then delivers every byte written, half-closes and closes, until
 * neither side has anything left to do.
 *
 * Close rules, matching the TCP transport: when a side's `loseConnection` has flushed, the peer
 * gets `readConnectionLost` if it defines one (and stays open for writing until it closes too),
 * otherwise both get `connectionLost(ConnectionDone)`. `abortConnection` gives the aborting side
 * `ConnectionAborted` and the peer `ConnectionLost`, with anything unsent dropped (where the pair
 * cannot reset, the peer gets what a kernel would hold and the end of the stream: see
 * `resets`). Writes made
 * after `loseConnection` are dropped. A producer registered on a side is paused once
 * `LOOPBACK_HIGH_WATER_MARK` bytes are unsent (a peer that paused reading takes none), resumed
 * once all have been taken, and stopped before its side's `connectionLost`.
 */
export class LoopbackPair {
  readonly #client: Side;
  readonly #server: Side;
  readonly #chunkSize: number;
  readonly #reportError: ErrorReporter | undefined;
  readonly #onLost: LoopbackOptions['onLost'];
  readonly #resets: boolean;

  constructor(server: IProtocol, client: IProtocol, options: LoopbackOptions = {}) {
    const clientAddress = options.clientAddress ?? { host: '127.0.0.1', port: 54321 };
    const serverAddress = options.serverAddress ?? { host: '127.0.0.1', port: 10000 };
    this.#chunkSize = options.chunkSize ?? Number.POSITIVE_INFINITY;
    this.#reportError = options.reportError;
    this.#onLost = options.onLost;
    this.#resets = options.resets ?? true;
    this.#server = new Side('server', server, serverAddress, clientAddress, undefined);
    this.#client = new Side(
      'client',
      client,
      clientAddress,
      serverAddress,
      options.clientReadBuffer,
    );
    this.#call(this.#server, 'makeConnection', () => server.makeConnection(this.#server.transport));
    this.#call(this.#client, 'makeConnection', () => client.makeConnection(this.#client.transport));
  }

  get clientTransport(): MemoryTransport {
    return this.#client.transport;
  }

  get serverTransport(): MemoryTransport {
    return this.#server.transport;
  }

  /** Moves everything that can move; returns true if anything did. */
  pump(): boolean {
    let movedAny = false;
    for (;;) {
      const moved =
        this.#step(this.#client, this.#server) || this.#step(this.#server, this.#client);
      if (!moved) return movedAny;
      movedAny = true;
    }
  }

  /** Delivers one pending thing from `from` to `to`; returns true if there was one. */
  #step(from: Side, to: Side): boolean {
    const transport = from.transport;
    // Without a reset, what an aborted side wrote first is on its way still, then its end.
    if (transport.lost && !(transport.aborted && !this.#resets)) return false;
    if (transport.aborted && !transport.lost) {
      this.#lose(from, new ConnectionAborted('connection aborted'));
      // A side that aborted too (both ends closed by a stopping reactor) hears its own abort.
      if (to.transport.aborted) this.#lose(to, new ConnectionAborted('connection aborted'));
      else if (this.#resets) this.#lose(to, new ConnectionLost('connection reset by peer'));
      else from.inKernel = LOOPBACK_HIGH_WATER_MARK;
      return true;
    }
    // A paused reader gets neither data nor the close, as a paused socket emits neither.
    if (to.transport.producerState === 'paused' && !to.transport.lost) return false;
    if (
      transport.sent < Math.min(transport.written.length, transport.deliverable) &&
      from.inKernel !== 0
    ) {
      this.#deliverPiece(from, to);
      return true;
    }
    if (transport.disconnecting && !to.readClosed) {
      to.readClosed = true;
      this.#lose(from, new ConnectionDone('connection closed cleanly'));
      const protocol = to.protocol;
      if (protocol.readConnectionLost !== undefined && !to.transport.lost) {
        this.#call(to, 'readConnectionLost', () => protocol.readConnectionLost!());
      } else {
        this.#lose(to, new ConnectionDone('connection closed cleanly'));
      }
      return true;
    }
    return false;
  }

  /** Hands `to` the next piece of what `from` wrote, and resumes `from`'s producer once drained. */
  #deliverPiece(from: Side, to: Side): void {
    const transport = from.transport;
    const data = transport.written[transport.sent]!;
    const limit = Math.min(
      this.#chunkSize,
      to.readBuffer?.length ?? Number.POSITIVE_INFINITY,
      from.inKernel ?? Number.POSITIVE_INFINITY,
    );
    const piece = data.subarray(transport.sentOffset, transport.sentOffset + limit);
    if (from.inKernel !== undefined) from.inKernel -= piece.length;
    transport.sentOffset += piece.length;
    if (transport.sentOffset >= data.length) {
      transport.sent++;
      transport.sentOffset = 0;
    }
    transport.bufferedBytes = Math.max(0, transport.bufferedBytes - piece.length);
    if (!to.transport.lost && !to.transport.disconnecting && piece.length > 0) {
      const readBuffer = to.readBuffer;
      let view = piece;
      if (readBuffer !== undefined) {
        readBuffer.set(piece, 0);
        view = Buffer.from(readBuffer.buffer, readBuffer.byteOffset, piece.length);
      }
      this.#call(to, 'dataReceived', () => to.protocol.dataReceived(view));
    }
    if (transport.bufferedBytes === 0 && transport.producerPaused && !transport.lost) {
      transport.producerPaused = false;
      const producer = transport.producer;
      if (producer !== undefined)
        this.#call(from, 'resumeProducing', () => producer.resumeProducing());
    }
  }

  #lose(side: Side, reason: Error): void {
    const transport = side.transport;
    if (transport.lost) return;
    transport.lost = true;
    const producer = transport.producer;
    if (producer !== undefined) {
      transport.unregisterProducer();
      this.#call(side, 'stopProducing', () => producer.stopProducing());
    }
    this.#call(side, 'connectionLost', () => side.protocol.connectionLost(reason));
    this.#onLost?.(side.name, reason);
  }

  /** Calls into a side's protocol; with a reporter, an exception is reported and aborts it. */
  #call(side: Side, hook: string, fn: () => void): void {
    const report = this.#reportError;
    if (report === undefined) {
      fn();
      return;
    }
    try {
      fn();
    } catch (error) {
      report(error, `${side.protocol.constructor.name}.${hook}`);
      side.transport.abortConnection();
    }
  }
}

/** Connects `server` and `client` in memory; see LoopbackPair. */
export function connectInMemory(
  server: IProtocol,
  client: IProtocol,
  options?: LoopbackOptions,
): LoopbackPair {
  return new LoopbackPair(server, client, options);
}
