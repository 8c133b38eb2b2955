// Base classes for protocols and the factories that make them, as in Twisted.

import type {
  Address,
  IClientFactory,
  IConnector,
  IProtocol,
  IProtocolFactory,
  ITransport,
} from './interfaces.js';

/**
 * One side of one connection. Subclass it and override the hooks you need.
 *
 * Lifecycle, each step called by the transport:
 *
 *   makeConnection(transport)   sets `transport` and `connected`, then calls connectionMade()
 *   connectionMade()            once, before any data
 *   dataReceived(data)          zero or more times, with chunks split wherever TCP split them
 *   readConnectionLost()        only if defined, when the peer half-closes (see IProtocol)
 *   connectionLost(reason)      exactly once: ConnectionDone when clean, ConnectionLost if not
 *
 * `factory` is set by the factory that built the protocol, before makeConnection.
 */
export class Protocol implements IProtocol {
  transport: ITransport | undefined = undefined;
  factory: IProtocolFactory | undefined = undefined;
  connected = false;

  makeConnection(transport: ITransport): void {
    this.transport = transport;
    this.connected = true;
    this.connectionMade();
  }

  connectionMade(): void {}

  dataReceived(_data: Buffer): void {}

  connectionLost(_reason: Error): void {
    this.connected = false;
  }
}

/**
 * Makes one protocol per connection and holds what they share. `doStart`/`doStop` count users,
 * so `startFactory`/`stopFactory` run once when the first port or connector starts using the
 * factory and once when the last one stops.
 */
export class Factory<P extends IProtocol = IProtocol> implements IProtocolFactory {
  /** The protocol class `buildProtocol` instantiates, as Twisted's `Factory.protocol`. */
  protocol: (new () => P) | undefined = undefined;
  #users = 0;

  /** Makes the protocol for a new connection and sets its `factory`; null refuses it. */
  buildProtocol(_addr: Address): P | null {
    if (this.protocol === undefined) {
      throw new Error(`${this.constructor.name} needs a protocol class or its own buildProtocol`);
    }
    const protocol = new this.protocol();
    (protocol as { factory?: IProtocolFactory }).factory = this;
    return protocol;
  }

  doStart(): void {
    if (this.#users++ === 0) this.startFactory();
  }

  doStop(): void {
    if (this.#users === 0) return;
    if (--this.#users === 0) this.stopFactory();
  }

  startFactory(): void {}

  stopFactory(): void {}
}

/**
 * A factory for outgoing connections. Hook order per connection attempt:
 *
 *   startedConnecting(connector) → clientConnectionFailed(connector, reason)
 *   startedConnecting(connector) → buildProtocol(addr) → … → clientConnectionLost(connector, reason)
 *
 * Each hook gets the connector, so a factory may call `connector.connect()` to retry.
 */
export class ClientFactory<P extends IProtocol = IProtocol>
  extends Factory<P>
  implements IClientFactory
{
  startedConnecting(_connector: IConnector): void {}

  clientConnectionFailed(_connector: IConnector, _reason: Error): void {}

  clientConnectionLost(_connector: IConnector, _reason: Error): void {}
}

/** A factory for connections accepted by a listening port. */
export class ServerFactory<P extends IProtocol = IProtocol> extends Factory<P> {}
