// A reactor that records connections and ports instead of opening sockets; its time is a Clock,
// and its connections to its own ports run in memory when flushed.

import { formatAddress, unixPathTooLong } from '../internet/address.js';
import { DEFAULT_CONNECT_TIMEOUT_SECONDS } from '../internet/defaults.js';
import {
  AddressInUseError,
  CannotListenError,
  ConnectError,
  ConnectionAborted,
  ConnectionDone,
  ConnectionRefusedError,
  ConnectTimeoutError,
  ReactorAlreadyRunningError,
  ReactorNotRunningError,
  UserCancelledError,
} from '../internet/errors.js';
import { buildProtocolOrNull, callHook } from '../internet/hooks.js';
import type {
  Address,
  ConnectOptions,
  ErrorReporter,
  IClientFactory,
  IConnector,
  IDelayedCall,
  IListeningPort,
  IProtocol,
  IProtocolFactory,
  IReactor,
  ListenOptions,
  TLSConnectOptions,
  TLSListenOptions,
  UNIXListenOptions,
} from '../internet/interfaces.js';
import { checkTimeout } from '../internet/limits.js';
import { Protocol } from '../internet/protocol.js';
import { Clock } from './clock.js';
import { LoopbackPair } from './loopback.js';
import { MemoryTransport } from './memory-transport.js';

/** Which of the reactor's transports a memory connector or port stands in for. */
export type MemoryTransportKind = 'tcp' | 'tls' | 'unix';

/**
 * A connection attempt recorded by `MemoryReactor.connectTCP` (or `connectTLS`, `connectUNIX`:
 * see `kind`). The test decides how it ends:
 * `accept()` makes the connection, `fail(reason)` refuses it, `MemoryReactor.flush()` connects it
 * to a MemoryPort listening at its destination (or refuses it), and advancing the reactor's clock
 * past the timeout fails it with `ConnectTimeoutError`, as the real reactor would.
 *
 * States and hooks as the TCP connector: disconnected → connecting (`startedConnecting`) →
 * connected (`buildProtocol`, then the protocol's `makeConnection`) → disconnected (the
 * protocol's `connectionLost`, then `clientConnectionLost`); or connecting → disconnected
 * (`clientConnectionFailed`). The factory's `doStart` comes before the first `startedConnecting`
 * and its `doStop` after the last hook, unless that hook called `connect()` again.
 */
export class MemoryConnector implements IConnector {
  state: 'disconnected' | 'connecting' | 'connected' = 'disconnected';
  protocol: IProtocol | undefined = undefined;
  transport: MemoryTransport | undefined = undefined;
  readonly #reactor: MemoryReactor;
  readonly #destination: Address;
  readonly factory: IClientFactory;
  readonly timeoutSeconds: number;
  /**
   * The read buffer asked for (`ConnectOptions.readBuffer`): a connection `flush()` makes reads
   * into it, except over TLS, as the real TLS client does not.
   */
  readonly readBuffer: Uint8Array | undefined;
  #timeoutCall: IDelayedCall | undefined = undefined;
  #factoryStarted = false;
  /** Counts connect() calls that went past startedConnecting, as the TCP connector does. */
  #attempt = 0;
  /** The reactor's reportError, for `callHook`. */
  readonly #report: ErrorReporter;
  /** The in-memory connection `flush()` made, while it lasts. */
  #pair: LoopbackPair | undefined = undefined;
  /** The transport asked for; a UNIX connector's destination is `{ host: path, port: 0 }`. */
  readonly kind: MemoryTransportKind;
  /** The options as given: for a TLS connector, its `ca` and `insecure` too. */
  readonly options: ConnectOptions | TLSConnectOptions;

  constructor(
    reactor: MemoryReactor,
    destination: Address,
    factory: IClientFactory,
    timeout: number,
    readBuffer?: Uint8Array,
    kind: MemoryTransportKind = 'tcp',
    options: ConnectOptions | TLSConnectOptions = {},
  ) {
    this.#reactor = reactor;
    this.kind = kind;
    this.options = options;
    this.#report = reactor.reporter;
    this.#destination = destination;
    this.factory = factory;
    this.timeoutSeconds = timeout;
    this.readBuffer = readBuffer;
  }

  getDestination(): Address {
    return this.#destination;
  }

  /** The destination as failures name it: `host:port`, or a UNIX socket's path. */
  get address(): string {
    const { host, port } = this.#destination;
    return this.kind === 'unix' ? host : formatAddress(host, port);
  }

  connect(): void {
    if (this.state !== 'disconnected') throw new Error(`cannot connect while ${this.state}`);
    this.state = 'connecting';
    if (!this.#factoryStarted) {
      this.#factoryStarted = true;
      callHook(this.#report, this.factory, 'doStart');
    }
    const before = this.#attempt;
    callHook(this.#report, this.factory, 'startedConnecting', this);
    // As the TCP connector: startedConnecting gave up, or a connect() under it has its own attempt.
    if (this.state !== 'connecting' || this.#attempt !== before) return;
    this.#attempt++;
    if (this.timeoutSeconds > 0) {
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

  /** The in-memory connection to a MemoryPort, if `flush()` made one and it is still open. */
  get pair(): LoopbackPair | undefined {
    return this.#pair;
  }

  /** For MemoryReactor.flush only: connects to `port` in memory. */
  connectTo(port: MemoryPort, client: Address, chunkSize: number | undefined): LoopbackPair {
    this.#cancelTimeout();
    this.state = 'connected';
    const server = port.getHost();
    const protocol = buildProtocolOrNull(this.#report, this.factory, server);
    const serverProtocol = buildProtocolOrNull(this.#report, port.factory, client);
    this.protocol = protocol ?? new Protocol();
    const pair = new LoopbackPair(serverProtocol ?? new Protocol(), this.protocol, {
      serverAddress: server,
      clientAddress: client,
      ...(chunkSize === undefined ? {} : { chunkSize }),
      // As over real TLS, whose client lends no read buffer (see tls.ts).
      ...(this.readBuffer === undefined || this.kind === 'tls'
        ? {}
        : { clientReadBuffer: this.readBuffer }),
      reportError: this.#report,
      // As a real UNIX socket, which cannot reset: the peer of an abort reads the end of stream.
      resets: this.kind !== 'unix',
      onLost: (side, reason) => {
        if (side === 'client') this.#pairLost(reason);
      },
    });
    this.#pair = pair;
    this.transport = pair.clientTransport;
    if (protocol === null) pair.clientTransport.abortConnection();
    if (serverProtocol === null) pair.serverTransport.abortConnection();
    return pair;
  }

  #pairLost(reason: Error): void {
    this.#pair = undefined;
    this.state = 'disconnected';
    callHook(this.#report, this.factory, 'clientConnectionLost', this, reason);
    this.#stopFactoryUnlessRetrying();
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
    callHook(this.#report, this.factory, 'clientConnectionFailed', this, reason);
    this.#stopFactoryUnlessRetrying();
  }

  /** For tests only: the connection ends; the protocol then the factory hear `reason`. */
  lose(
    reason: Error = new ConnectionDone('connection closed cleanly', { address: this.address }),
  ): void {
    if (this.state !== 'connected') throw new Error(`cannot lose a connection while ${this.state}`);
    this.state = 'disconnected';
    this.protocol!.connectionLost(reason);
    callHook(this.#report, this.factory, 'clientConnectionLost', this, reason);
    this.#stopFactoryUnlessRetrying();
  }

  /** As the TCP connector: the factory stops once its connector is done and not retrying. */
  #stopFactoryUnlessRetrying(): void {
    if (this.state !== 'disconnected' || !this.#factoryStarted) return;
    this.#factoryStarted = false;
    callHook(this.#report, this.factory, 'doStop');
  }

  #cancelTimeout(): void {
    if (this.#timeoutCall?.active()) this.#timeoutCall.cancel();
    this.#timeoutCall = undefined;
  }
}

/**
 * A port recorded by `MemoryReactor.listenTCP` (or `listenTLS`, `listenUNIX`: see `kind`). Its
 * factory's `doStart` runs when it starts listening and `doStop` when it stops. Readers connect
 * by hand (`accept`) or, from the same reactor's `connectTCP` (`connectTLS`, `connectUNIX`),
 * when the reactor is flushed.
 */
export class MemoryPort implements IListeningPort {
  listening = true;
  readonly #host: Address;
  readonly factory: IProtocolFactory;
  /** The options as given: for a TLS port, its `cert` and `key` too. */
  readonly options: ListenOptions | TLSListenOptions;
  readonly #report: ErrorReporter;
  /** The transport it stands in for; a UNIX port's host is `{ host: path, port: 0 }`. */
  readonly kind: MemoryTransportKind;

  /** `report`: where an exception from the factory's hooks goes (the reactor's reportError). */
  constructor(
    host: Address,
    factory: IProtocolFactory,
    options: ListenOptions | TLSListenOptions,
    report: ErrorReporter = rethrow,
    kind: MemoryTransportKind = 'tcp',
  ) {
    this.kind = kind;
    this.#report = report;
    this.#host = host;
    this.factory = factory;
    this.options = options;
  }

  getHost(): Address {
    return this.#host;
  }

  async stopListening(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    callHook(this.#report, this.factory, 'doStop');
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

export interface MemoryReactorOptions {
  /** The in-memory connections `flush()` makes deliver reads of at most this many bytes. */
  chunkSize?: number;
}

/** Hosts the in-memory network answers for besides the interfaces its ports listen on. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Stands in for the reactor, as Twisted's `MemoryReactorClock`: time is a fake `Clock`,
 * `connectTCP` and `listenTCP` (and the TLS and UNIX ones) record what was asked, in
 * `tcpClients` and `tcpServers` (`tlsClients`, `unixServers`, …), and return handles a test
 * drives by hand, and `reportError` keeps what was reported in `errors`.
 *
 * It is also a small network, as Twisted's iosim: `flush()` connects each attempt whose
 * destination one of its MemoryPorts of the same kind listens on through a LoopbackPair, refuses
 * with `ConnectionRefusedError` each attempt to a loopback host (or an interface one of its ports
 * listened on) where nothing listens, and pumps every connection until nothing moves. Attempts to
 * other hosts stay pending, as to a host that never answers, until the test or the timeout ends
 * them; an attempt to a UNIX path nothing listens on is refused, as a real one is at once. TLS
 * runs as plain bytes: no certificate is checked. Nothing connects until `flush()` is called.
 */
export class MemoryReactor extends Clock implements IReactor {
  readonly tcpClients: MemoryConnector[] = [];
  readonly tcpServers: MemoryPort[] = [];
  readonly tlsClients: MemoryConnector[] = [];
  readonly tlsServers: MemoryPort[] = [];
  readonly unixClients: MemoryConnector[] = [];
  readonly unixServers: MemoryPort[] = [];
  readonly errors: { error: unknown; where: string }[] = [];
  #stopped: (() => void) | undefined = undefined;
  #nextPort = 40000;
  #nextClientPort = 50000;
  readonly #chunkSize: number | undefined;
  /** Every in-memory connection flush() made, open or closed, with the port it reached. */
  readonly #pairs: { pair: LoopbackPair; port: MemoryPort }[] = [];

  constructor(options: MemoryReactorOptions = {}) {
    super();
    this.#chunkSize = options.chunkSize;
  }

  get running(): boolean {
    return this.#stopped !== undefined;
  }

  /**
   * As the reactor's: an exception the call throws is reported (see `errors`), not raised out of
   * `advance`. (A bare `Clock` raises it.)
   */
  override callLater<A extends unknown[]>(
    seconds: number,
    fn: (...args: A) => void,
    ...args: A
  ): IDelayedCall {
    return super.callLater(seconds, () => {
      try {
        fn(...args);
      } catch (error) {
        this.reportError(error, `callLater(${fn.name || 'anonymous function'})`);
      }
    });
  }

  connectTCP(
    host: string,
    port: number,
    factory: IClientFactory,
    options: ConnectOptions = {},
  ): IConnector {
    return this.#connect({ host, port }, factory, options, 'tcp');
  }

  async listenTCP(
    port: number,
    factory: IProtocolFactory,
    options: ListenOptions = {},
  ): Promise<IListeningPort> {
    return this.#listenInet(port, factory, options, 'tcp');
  }

  /** As connectTCP; the options are kept (`MemoryConnector.options`), no certificate checked. */
  connectTLS(
    host: string,
    port: number,
    factory: IClientFactory,
    options: TLSConnectOptions = {},
  ): IConnector {
    return this.#connect({ host, port }, factory, options, 'tls');
  }

  /** As listenTCP; the certificate and key are kept (`MemoryPort.options`), never read. */
  async listenTLS(
    port: number,
    factory: IProtocolFactory,
    options: TLSListenOptions,
  ): Promise<IListeningPort> {
    return this.#listenInet(port, factory, options, 'tls');
  }

  connectUNIX(path: string, factory: IClientFactory, options: ConnectOptions = {}): IConnector {
    return this.#connect({ host: path, port: 0 }, factory, options, 'unix');
  }

  /** Rejects with AddressInUseError while another of its UNIX ports listens on `path`. */
  async listenUNIX(
    path: string,
    factory: IProtocolFactory,
    options: UNIXListenOptions = {},
  ): Promise<IListeningPort> {
    const tooLong = unixPathTooLong(path);
    if (tooLong !== undefined) {
      throw new CannotListenError(`cannot listen: ${tooLong}`, { address: path });
    }
    if (this.unixServers.some((p) => p.listening && p.getHost().host === path)) {
      throw new AddressInUseError('cannot listen: socket in use (a server answers on it)', {
        address: path,
      });
    }
    return this.#listen({ host: path, port: 0 }, factory, options, 'unix');
  }

  #connect(
    destination: Address,
    factory: IClientFactory,
    options: ConnectOptions,
    kind: MemoryTransportKind,
  ): IConnector {
    const timeout = checkTimeout(options.timeout ?? DEFAULT_CONNECT_TIMEOUT_SECONDS, 'timeout');
    const connector = new MemoryConnector(
      this,
      destination,
      factory,
      timeout,
      options.readBuffer,
      kind,
      options,
    );
    this.#clients(kind).push(connector);
    connector.connect();
    return connector;
  }

  #listenInet(
    port: number,
    factory: IProtocolFactory,
    options: ListenOptions,
    kind: MemoryTransportKind,
  ): IListeningPort {
    const host = {
      host: options.interface ?? '127.0.0.1',
      port: port === 0 ? this.#nextPort++ : port,
    };
    const taken = (p: MemoryPort) => p.listening && sameAddress(p.getHost(), host);
    // TCP and TLS ports share the machine's port numbers.
    if (this.tcpServers.some(taken) || this.tlsServers.some(taken)) {
      throw new AddressInUseError('cannot listen: address already in use', {
        address: formatAddress(host.host, host.port),
      });
    }
    return this.#listen(host, factory, options, kind);
  }

  #listen(
    host: Address,
    factory: IProtocolFactory,
    options: ListenOptions,
    kind: MemoryTransportKind,
  ): IListeningPort {
    const listening = new MemoryPort(host, factory, options, this.reporter, kind);
    this.#servers(kind).push(listening);
    callHook(this.reporter, factory, 'doStart');
    return listening;
  }

  #clients(kind: MemoryTransportKind): MemoryConnector[] {
    return kind === 'tcp' ? this.tcpClients : kind === 'tls' ? this.tlsClients : this.unixClients;
  }

  #servers(kind: MemoryTransportKind): MemoryPort[] {
    return kind === 'tcp' ? this.tcpServers : kind === 'tls' ? this.tlsServers : this.unixServers;
  }

  /**
   * Moves everything the in-memory network can move: completes or refuses connection attempts
   * (see the class doc) and pumps every connection, until nothing moves. Returns true if anything
   * did.
   */
  flush(): boolean {
    let movedAny = false;
    for (;;) {
      let moved = false;
      for (const clients of [this.tcpClients, this.tlsClients, this.unixClients]) {
        for (const connector of clients) {
          if (connector.state === 'connecting' && this.#complete(connector)) moved = true;
        }
      }
      for (const { pair } of this.#pairs) if (pair.pump()) moved = true;
      if (!moved) return movedAny;
      movedAny = true;
    }
  }

  /** Connects or refuses one attempt; false if the network leaves it pending. */
  #complete(connector: MemoryConnector): boolean {
    const destination = connector.getDestination();
    const unix = connector.kind === 'unix';
    const tooLong = unix ? unixPathTooLong(destination.host) : undefined;
    if (tooLong !== undefined) {
      connector.fail(new ConnectError(tooLong, { address: connector.address }));
      return true;
    }
    const servers = this.#servers(connector.kind);
    const port = servers.find(
      (p) =>
        p.listening &&
        (unix ? p.getHost().host === destination.host : reaches(destination, p.getHost())),
    );
    if (port !== undefined) {
      // A UNIX client's end has no name.
      const client = unix
        ? { host: '', port: 0 }
        : { host: port.getHost().host, port: this.#nextClientPort++ };
      const pair = connector.connectTo(port, client, this.#chunkSize);
      this.#pairs.push({ pair, port });
      return true;
    }
    const answers =
      unix ||
      LOOPBACK_HOSTS.has(destination.host) ||
      servers.some((p) => p.getHost().host === destination.host);
    if (!answers) return false;
    connector.fail(
      new ConnectionRefusedError('connection refused', { address: connector.address }),
    );
    return true;
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
    const clients = [...this.tcpClients, ...this.tlsClients, ...this.unixClients];
    for (const connector of clients) {
      if (connector.state === 'connecting') connector.stopConnecting();
      else if (connector.state === 'connected' && connector.pair !== undefined) {
        connector.transport?.abortConnection();
      } else if (connector.state === 'connected') {
        connector.transport?.abortConnection();
        connector.lose(new ConnectionAborted('connection aborted', { address: connector.address }));
      }
    }
    for (const servers of [this.tcpServers, this.tlsServers, this.unixServers]) {
      for (const port of servers) void port.stopListening();
    }
    for (const { pair } of this.#pairs) pair.serverTransport.abortConnection();
    // The aborts reach the protocols as the network delivers them; deliver them now.
    for (const { pair } of this.#pairs) pair.pump();
    stopped();
  }

  reportError(error: unknown, where: string): void {
    this.errors.push({ error, where });
  }

  /** `reportError` as a function of its own, for the guarded calls into factories and protocols. */
  readonly reporter: ErrorReporter = (error, where) => this.reportError(error, where);
}

/** A MemoryPort made by hand, with no reactor to report to: a hook's exception is raised. */
function rethrow(error: unknown): never {
  throw error;
}

function sameAddress(a: Address, b: Address): boolean {
  return a.host === b.host && a.port === b.port;
}

/** Whether a connection to `destination` reaches a port listening on `host`. */
function reaches(destination: Address, listening: Address): boolean {
  if (destination.port !== listening.port) return false;
  const want = destination.host;
  const have = listening.host;
  if (want === have) return true;
  if (have === '0.0.0.0' || have === '::') return LOOPBACK_HOSTS.has(want);
  return (
    (want === 'localhost' && LOOPBACK_HOSTS.has(have)) ||
    (have === 'localhost' && LOOPBACK_HOSTS.has(want))
  );
}
