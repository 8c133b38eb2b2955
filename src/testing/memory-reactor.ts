// A reactor that records connections and ports instead of opening sockets; its time is a Clock.

import { formatAddress } from '../internet/address.js';
import { DEFAULT_CONNECT_TIMEOUT_SECONDS } from '../internet/defaults.js';
import {
  ConnectionAborted,
  ConnectionDone,
  ConnectTimeoutError,
  ReactorAlreadyRunningError,
  ReactorNotRunningError,
  UserCancelledError,
} from '../internet/errors.js';
import type {
  Address,
  ConnectOptions,
  IClientFactory,
  IConnector,
  IDelayedCall,
  IListeningPort,
  IProtocol,
  IProtocolFactory,
  IReactor,
  ListenOptions,
} from '../internet/interfaces.js';
import { checkTimeout } from '../internet/limits.js';
import { Clock } from './clock.js';
import { MemoryTransport } from './memory-transport.js';

/**
 * A connection attempt recorded by `MemoryReactor.connectTCP`. The test decides how it ends:
 * `accept()` makes the connection, `fail(reason)` refuses it, and advancing the reactor's clock
 * past the timeout fails it with `ConnectTimeoutError`, as the real reactor would.
 */
export class MemoryConnector implements IConnector {
  state: 'disconnected' | 'connecting' | 'connected' = 'disconnected';
  protocol: IProtocol | undefined = undefined;
  transport: MemoryTransport | undefined = undefined;
  readonly #reactor: MemoryReactor;
  readonly #destination: Address;
  readonly factory: IClientFactory;
  readonly timeoutSeconds: number;
  /** The read buffer asked for (`ConnectOptions.readBuffer`); a memory transport lends none. */
  readonly readBuffer: Uint8Array | undefined;
  #timeoutCall: IDelayedCall | undefined = undefined;
  #factoryStarted = false;

  constructor(
    reactor: MemoryReactor,
    destination: Address,
    factory: IClientFactory,
    timeout: number,
    readBuffer?: Uint8Array,
  ) {
    this.#reactor = reactor;
    this.#destination = destination;
    this.factory = factory;
    this.timeoutSeconds = timeout;
    this.readBuffer = readBuffer;
  }

  getDestination(): Address {
    return this.#destination;
  }

  get address(): string {
    return formatAddress(this.#destination.host, this.#destination.port);
  }

  connect(): void {
    if (this.state !== 'disconnected') throw new Error(`cannot connect while ${this.state}`);
    this.state = 'connecting';
    if (!this.#factoryStarted) {
      this.#factoryStarted = true;
      this.factory.doStart();
    }
    this.factory.startedConnecting(this);
    if (this.timeoutSeconds > 0 && this.state === 'connecting') {
      this.#timeoutCall = this.#reactor.callLater(this.timeoutSeconds, () => {
        this.#timeoutCall = undefined;
        this.fail(
          new ConnectTimeoutError(`no connection after ${this.timeoutSeconds} s`, {
            address: this.address,
          }),
        );
      });
    }
  }

  stopConnecting(): void {
    if (this.state !== 'connecting') return;
    this.fail(new UserCancelledError('connection attempt cancelled', { address: this.address }));
  }

  disconnect(): void {
    if (this.state === 'connecting') this.stopConnecting();
    else if (this.state === 'connected') this.transport?.loseConnection();
  }

  /** For tests only: the connection is made; returns the protocol the factory built. */
  accept(transport: MemoryTransport = new MemoryTransport({ peer: this.#destination })): IProtocol {
    if (this.state !== 'connecting') throw new Error(`cannot accept while ${this.state}`);
    this.#cancelTimeout();
    this.state = 'connected';
    const protocol = this.factory.buildProtocol(transport.getPeer());
    if (protocol === null) throw new Error('the factory refused the connection');
    this.protocol = protocol;
    this.transport = transport;
    protocol.makeConnection(transport);
    return protocol;
  }

  /** For tests only: the attempt fails with `reason`. */
  fail(reason: Error): void {
    if (this.state !== 'connecting') throw new Error(`cannot fail while ${this.state}`);
    this.#cancelTimeout();
    this.state = 'disconnected';
    this.factory.clientConnectionFailed(this, reason);
    this.#stopFactoryUnlessRetrying();
  }

  /** For tests only: the connection ends; the protocol then the factory hear `reason`. */
  lose(
    reason: Error = new ConnectionDone('connection closed cleanly', { address: this.address }),
  ): void {
    if (this.state !== 'connected') throw new Error(`cannot lose a connection while ${this.state}`);
    this.state = 'disconnected';
    this.protocol!.connectionLost(reason);
    this.factory.clientConnectionLost(this, reason);
    this.#stopFactoryUnlessRetrying();
  }

  /** As the TCP connector: the factory stops once its connector is done and not retrying. */
  #stopFactoryUnlessRetrying(): void {
    if (this.state !== 'disconnected' || !this.#factoryStarted) return;
    this.#factoryStarted = false;
    this.factory.doStop();
  }

  #cancelTimeout(): void {
    if (this.#timeoutCall?.active()) this.#timeoutCall.cancel();
    this.#timeoutCall = undefined;
  }
}

/** A port recorded by `MemoryReactor.listenTCP`. */
export class MemoryPort implements IListeningPort {
  listening = true;
  readonly #host: Address;
  readonly factory: IProtocolFactory;
  readonly options: ListenOptions;

  constructor(host: Address, factory: IProtocolFactory, options: ListenOptions) {
    this.#host = host;
    this.factory = factory;
    this.options = options;
  }

  getHost(): Address {
    return this.#host;
  }

  async stopListening(): Promise<void> {
    this.listening = false;
  }

  /** For tests only: a reader connects; returns the protocol and its transport. */
  accept(peer: Address = { host: '127.0.0.1', port: 54321 }): {
    protocol: IProtocol;
    transport: MemoryTransport;
  } {
    const transport = new MemoryTransport({ host: this.#host, peer });
    const protocol = this.factory.buildProtocol(peer);
    if (protocol === null) throw new Error('the factory refused the connection');
    protocol.makeConnection(transport);
    return { protocol, transport };
  }
}

/**
 * Stands in for the reactor, as Twisted's `MemoryReactorClock`: time is a fake `Clock`,
 * `connectTCP` and `listenTCP` record what was asked and return handles a test drives by hand,
 * and `reportError` keeps what was reported in `errors`.
 */
export class MemoryReactor extends Clock implements IReactor {
  readonly tcpClients: MemoryConnector[] = [];
  readonly tcpServers: MemoryPort[] = [];
  readonly errors: { error: unknown; where: string }[] = [];
  #stopped: (() => void) | undefined = undefined;
  #nextPort = 40000;

  get running(): boolean {
    return this.#stopped !== undefined;
  }

  connectTCP(
    host: string,
    port: number,
    factory: IClientFactory,
    options: ConnectOptions = {},
  ): IConnector {
    const timeout = checkTimeout(options.timeout ?? DEFAULT_CONNECT_TIMEOUT_SECONDS, 'timeout');
    const connector = new MemoryConnector(
      this,
      { host, port },
      factory,
      timeout,
      options.readBuffer,
    );
    this.tcpClients.push(connector);
    connector.connect();
    return connector;
  }

  async listenTCP(
    port: number,
    factory: IProtocolFactory,
    options: ListenOptions = {},
  ): Promise<IListeningPort> {
    const host = {
      host: options.interface ?? '127.0.0.1',
      port: port === 0 ? this.#nextPort++ : port,
    };
    const listening = new MemoryPort(host, factory, options);
    this.tcpServers.push(listening);
    return listening;
  }

  run(): Promise<void> {
    if (this.running) throw new ReactorAlreadyRunningError('the reactor is already running');
    return new Promise<void>((resolve) => {
      this.#stopped = resolve;
    });
  }

  stop(): void {
    const stopped = this.#stopped;
    if (stopped === undefined)
      throw new ReactorNotRunningError("can't stop a reactor that isn't running");
    this.#stopped = undefined;
    // As Reactor.stop: pending calls cancelled, attempts given up, connections aborted, ports shut.
    for (const call of this.getDelayedCalls()) call.cancel();
    for (const connector of this.tcpClients) {
      if (connector.state === 'connecting') connector.stopConnecting();
      else if (connector.state === 'connected') {
        connector.transport?.abortConnection();
        connector.lose(new ConnectionAborted('connection aborted', { address: connector.address }));
      }
    }
    for (const port of this.tcpServers) port.listening = false;
    stopped();
  }

  reportError(error: unknown, where: string): void {
    this.errors.push({ error, where });
  }
}
