// Two protocols wired together in memory, with bytes moved between them only when pumped.

import { ConnectionAborted, ConnectionDone, ConnectionLost } from '../internet/errors.js';
import type { Address, IProtocol } from '../internet/interfaces.js';
import { MemoryTransport } from './memory-transport.js';

/** One side of an in-memory connection: a MemoryTransport that knows its protocol and state. */
class Side {
  readonly transport: MemoryTransport;
  readonly protocol: IProtocol;
  /** How many of `transport.written` have been handed to the peer. */
  sent = 0;
  /** The peer's half-close has been delivered to this side. */
  readClosed = false;
  lost = false;

  constructor(protocol: IProtocol, host: Address, peer: Address) {
    this.protocol = protocol;
    this.transport = new MemoryTransport({ host, peer });
  }

  lose(reason: Error): void {
    if (this.lost) return;
    this.lost = true;
    this.protocol.connectionLost(reason);
  }
}

export interface LoopbackOptions {
  /** Deliver bytes in pieces of at most this many bytes (1 feeds a byte at a time). */
  chunkSize?: number;
  clientAddress?: Address;
  serverAddress?: Address;
}

/**
 * A client and a server protocol connected in memory, as Twisted's iosim. Nothing moves until
 * `pump()` is called; it then delivers every byte written, half-closes and closes, until
 * neither side has anything left to do.
 *
 * Close rules, matching the TCP transport: when a side's `loseConnection` has flushed, the peer
 * gets `readConnectionLost` if it defines one (and stays open for writing until it closes too),
 * otherwise both get `connectionLost(ConnectionDone)`. `abortConnection` gives the aborting side
 * `ConnectionAborted` and the peer `ConnectionLost`, with anything unsent dropped.
 */
export class LoopbackPair {
  readonly #client: Side;
  readonly #server: Side;
  readonly #chunkSize: number;

  constructor(server: IProtocol, client: IProtocol, options: LoopbackOptions = {}) {
    const clientAddress = options.clientAddress ?? { host: '127.0.0.1', port: 54321 };
    const serverAddress = options.serverAddress ?? { host: '127.0.0.1', port: 10000 };
    this.#chunkSize = options.chunkSize ?? Number.POSITIVE_INFINITY;
    this.#server = new Side(server, serverAddress, clientAddress);
    this.#client = new Side(client, clientAddress, serverAddress);
    server.makeConnection(this.#server.transport);
    client.makeConnection(this.#client.transport);
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
    if (from.lost) return false;
    const transport = from.transport;
    if (transport.aborted) {
      from.lose(new ConnectionAborted('connection aborted'));
      to.lose(new ConnectionLost('connection reset by peer'));
      return true;
    }
    // A paused reader gets neither data nor the close, as a paused socket emits neither.
    if (to.transport.producerState === 'paused' && !to.lost) return false;
    if (from.sent < transport.written.length) {
      const data = transport.written[from.sent++]!;
      if (!to.lost && !to.transport.disconnecting) {
        for (let offset = 0; offset < data.length; offset += this.#chunkSize) {
          to.protocol.dataReceived(data.subarray(offset, offset + this.#chunkSize));
        }
      }
      return true;
    }
    if (transport.disconnecting && !to.readClosed) {
      to.readClosed = true;
      from.lose(new ConnectionDone('connection closed cleanly'));
      if (to.protocol.readConnectionLost !== undefined && !to.lost) {
        to.protocol.readConnectionLost();
      } else {
        to.lose(new ConnectionDone('connection closed cleanly'));
      }
      return true;
    }
    return false;
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
