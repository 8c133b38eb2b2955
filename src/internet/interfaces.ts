// The contracts of the event layer: what a reactor, transport, protocol and connector promise.

/**
 * An endpoint of a connection or a listening port. Over TCP and TLS, an IP address (or the host
 * name connected to) and a port. Over a UNIX socket, `host` is the socket file's path (empty for
 * the unnamed end a client connects from) and `port` is 0.
 */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/**
 * A call scheduled for later by `callLater`. Times are in seconds on the reactor's clock.
 *
 * A call is active until it runs or is cancelled; `cancel`, `reset` and `delay` on an
 * inactive call throw `AlreadyCalledError` or `AlreadyCancelledError`.
 */
export interface IDelayedCall {
  /** The reactor time, in seconds, at which the call will run. */
  getTime(): number;
  /** Stops the call from running. */
  cancel(): void;
  /** Runs the call `seconds` (finite, >= 0) from now instead of at its old time. */
  reset(seconds: number): void;
  /** Runs the call `seconds` (finite, >= 0) later than it was going to. */
  delay(seconds: number): void;
  /** True until the call has run or been cancelled. */
  active(): boolean;
}

/** Time: the part of a reactor that a fake `Clock` can stand in for. */
export interface IReactorTime {
  /** Now, in seconds, on a monotonic clock. */
  seconds(): number;
  /**
   * Runs `fn(...args)` after `seconds`, a finite number >= 0 (RangeError otherwise: a call that
   * should never run is not scheduled). It may run up to `TIMER_SLACK_SECONDS` early on a real
   * clock. An exception it throws is reported, not raised.
   */
  callLater<A extends unknown[]>(
    seconds: number,
    fn: (...args: A) => void,
    ...args: A
  ): IDelayedCall;
}

/**
 * Something that produces data for a consumer and can be asked to pause (flow control).
 * A transport is one (it produces the bytes it reads); a file reader feeding a socket is another.
 */
export interface IPushProducer {
  /** Stop producing until `resumeProducing` is called. */
  pauseProducing(): void;
  /** Start producing again after `pauseProducing`. */
  resumeProducing(): void;
  /** Stop for good: the consumer is gone. */
  stopProducing(): void;
}

/**
 * The byte pipe a protocol writes to. Writes are buffered and sent in order. Writes made after
 * `loseConnection` or `abortConnection`, or after the connection is lost, are dropped without an
 * error; once the protocol has called `loseConnection` it gets no more `dataReceived`.
 *
 * Flow control: a producer registered with `registerProducer` is paused when the transport's
 * write buffer is full and resumed when it has drained, so a writer never buffers without bound;
 * it is stopped (`stopProducing`) when the connection is lost, before the protocol's
 * `connectionLost`. The transport's own `pauseProducing` stops reading: the protocol gets no
 * `dataReceived` (nor the peer's close) until `resumeProducing`, and the peer's writer is paused
 * in turn once the buffers between them are full.
 */
export interface ITransport extends IPushProducer {
  write(data: Uint8Array | string): void;
  /** Closes the connection once every buffered byte has been sent; the peer sees a clean close. */
  loseConnection(): void;
  /**
   * Closes the connection at once, dropping what is buffered; the peer sees a reset (after a
   * `loseConnection` that has already handed every byte to the system, the clean close under way
   * ends it instead: nothing is dropped then). This side's protocol gets `ConnectionAborted`.
   */
  abortConnection(): void;
  /** The remote endpoint. */
  getPeer(): Address;
  /** The local endpoint. */
  getHost(): Address;
  registerProducer(producer: IPushProducer): void;
  unregisterProducer(): void;
  /** Bytes written but not yet handed to the operating system. */
  readonly bufferedBytes: number;
}

/**
 * One side of a connection: it is told about the connection's life, in this order:
 *
 *   makeConnection(transport) → connectionMade() → dataReceived(data)* →
 *   readConnectionLost()? → connectionLost(reason)
 *
 * `connectionLost` is called exactly once, with `ConnectionDone` for a clean close and
 * `ConnectionLost` (or a subclass) otherwise. `readConnectionLost` is called only on protocols
 * that define it, when the peer half-closes: the connection stays open for writing until the
 * protocol calls `loseConnection`.
 */
export interface IProtocol {
  makeConnection(transport: ITransport): void;
  connectionMade(): void;
  dataReceived(data: Buffer): void;
  readConnectionLost?(): void;
  connectionLost(reason: Error): void;
}

/** Makes one protocol per connection; hooks run when the factory starts and stops being used. */
export interface IProtocolFactory {
  buildProtocol(addr: Address): IProtocol | null;
  doStart(): void;
  doStop(): void;
}

/**
 * An outgoing connection attempt and, once made, the connection. Its `state` as each hook of
 * its factory runs:
 *
 *   startedConnecting: connecting → buildProtocol: connected → (the protocol's connectionLost)
 *     → clientConnectionLost: disconnected
 *   startedConnecting: connecting → clientConnectionFailed: disconnected
 *
 * A failed attempt reports `ConnectionRefusedError` when nothing listens, `ConnectTimeoutError`
 * when the connect timeout passes on the reactor's clock, `UserCancelledError` when given up,
 * and over TLS `TLSHandshakeError` (or a `CertificateError`) when the handshake fails.
 * The factory's `doStart` runs before the first `startedConnecting` and its `doStop` after the
 * last hook, unless that hook called `connect()` again to retry.
 */
export interface IConnector {
  /** The address being connected to. */
  getDestination(): Address;
  /**
   * Gives up a connection attempt still in progress: before it returns, the state is
   * `disconnected` and the factory has been told `UserCancelledError`. Does nothing otherwise.
   */
  stopConnecting(): void;
  /** Gives up the attempt, or closes the connection once made. */
  disconnect(): void;
  /** Tries again (after a failure or a lost connection), with the same factory. */
  connect(): void;
  readonly state: 'connecting' | 'connected' | 'disconnected';
}

/**
 * The client side's factory. An exception a hook throws is reported (`IReactor.reportError`),
 * never raised into the reactor. Its hooks are called in this order:
 *
 *   startedConnecting(connector) →
 *     either clientConnectionFailed(connector, reason)       (no connection was made)
 *     or buildProtocol(addr) … clientConnectionLost(connector, reason)   (exactly once)
 */
export interface IClientFactory extends IProtocolFactory {
  startedConnecting(connector: IConnector): void;
  clientConnectionFailed(connector: IConnector, reason: Error): void;
  clientConnectionLost(connector: IConnector, reason: Error): void;
}

/** A port being listened on; its factory's `doStart` runs when listening starts. */
export interface IListeningPort {
  /** The local address, with the real port when port 0 was asked for. */
  getHost(): Address;
  /**
   * Stops accepting at once (the listening socket is closed and the factory's `doStop` has run
   * before this returns; later attempts are refused); connections already made go on (over TLS,
   * a reader whose handshake is not done is not one yet, and is closed). Resolves when that is
   * done. Calling it again does nothing.
   */
  stopListening(): Promise<void>;
}

export interface ConnectOptions {
  /**
   * Seconds to wait for the connection to be made; 0 or Infinity waits forever. Default 30. The
   * one timeout covers looking the host name up and every address it has: the addresses are
   * tried in turn, each but the last given an even share of the time left when it starts (half
   * of it for the first of two); one still trying when its share is up goes on trying while the
   * next starts, and the first to connect is the connection. So the attempt fails only when
   * every address has failed, with the first failure, or when the whole timeout is up, with
   * `ConnectTimeoutError`; never sooner because of a timer of its own. A host name that cannot
   * be resolved fails with `DNSLookupError`.
   */
  timeout?: number;
  /**
   * The destination as `host:port` (see `formatAddress`), when the caller has named it already:
   * failures and the close name it with this string instead of making it again.
   */
  address?: string;
  /**
   * Every read of the connection lands in this buffer, and the protocol's `dataReceived` gets a
   * view of it that is valid only until it returns: for protocols that keep nothing they are
   * given (they copy it, or are done with it). No memory is allocated per read, and a big buffer
   * takes more at a time. One buffer can serve any number of connections, as reads are handled
   * one at a time. Default: none (each read brings a Buffer of its own, the protocol's to keep).
   */
  readBuffer?: Uint8Array;
}

/** What a listening port takes on every transport. */
export interface PortOptions {
  /** The length of the queue of connections not yet accepted. Default 4096. */
  backlog?: number;
  /** Connections beyond this many open at once are closed as soon as they arrive. */
  maxConnections?: number;
  /** Told about each connection refused because of `maxConnections`. */
  onDrop?: (peer: Address) => void;
}

export interface ListenOptions extends PortOptions {
  /** The address to bind to. Default 'localhost'. */
  interface?: string;
}

/** PEM text, as a string or its bytes. */
export type PEM = string | Uint8Array;

/**
 * A TLS client's options. The server's certificate is verified by default: it must chain to a
 * trusted CA (Node's bundled Mozilla list, plus NODE_EXTRA_CA_CERTS, or the system's store when
 * Node runs with --use-openssl-ca) and name the host connected to (a DNS name, also sent as SNI;
 * an IP literal is checked against the certificate's IP addresses). The connect timeout covers
 * the handshake: the connection is made when the handshake has succeeded.
 */
export interface TLSConnectOptions extends ConnectOptions {
  /**
   * The CAs to trust instead of the default ones: PEM, one certificate or several. Bytes are
   * read once: the same Uint8Array passed again is taken to hold the same certificates.
   */
  ca?: PEM;
  /** Accepts any certificate for any name: the traffic is encrypted but nobody is checked. */
  insecure?: boolean;
}

/** A TLS server's options: its certificate chain and key, both PEM. */
export interface TLSListenOptions extends ListenOptions {
  /** The server's certificate, followed by any intermediate CA certificates. */
  cert: PEM;
  /** The certificate's private key, unencrypted. */
  key: PEM;
  /**
   * Seconds a client has to finish its handshake before the connection is cut (on Node's
   * clock, not the reactor's). Default 30.
   */
  handshakeTimeout?: number;
}

/**
 * A UNIX socket server's options. A socket file already at the path is replaced when nothing
 * answers on it (a stale file left by a server that died); one that answers is in use. The
 * file is removed when the port stops listening.
 */
export type UNIXListenOptions = PortOptions;

/** Where the reactor reports an exception thrown by code it called. */
export type ErrorReporter = (error: unknown, where: string) => void;

/** TCP: the part of a reactor that a `MemoryReactor` can stand in for. */
export interface IReactorTCP {
  connectTCP(
    host: string,
    port: number,
    factory: IClientFactory,
    options?: ConnectOptions,
  ): IConnector;
  listenTCP(
    port: number,
    factory: IProtocolFactory,
    options?: ListenOptions,
  ): Promise<IListeningPort>;
}

/** TLS over TCP: connections and ports whose protocols see plain bytes, as over TCP. */
export interface IReactorTLS {
  /**
   * As connectTCP, over TLS. Besides connectTCP's failures, the attempt fails with
   * `TLSHandshakeError` or one of its `CertificateError`s when the handshake fails.
   */
  connectTLS(
    host: string,
    port: number,
    factory: IClientFactory,
    options?: TLSConnectOptions,
  ): IConnector;
  /** As listenTCP, over TLS; rejects with `TLSConfigError` when the certificate or key is unusable. */
  listenTLS(
    port: number,
    factory: IProtocolFactory,
    options: TLSListenOptions,
  ): Promise<IListeningPort>;
}

/**
 * UNIX sockets: the connector's destination and the port's host are `{ host: path, port: 0 }`.
 * A connection to a path that does not exist or where nothing listens fails with
 * `ConnectionRefusedError`; a path in use rejects `listenUNIX` with `AddressInUseError`.
 */
export interface IReactorUNIX {
  connectUNIX(path: string, factory: IClientFactory, options?: ConnectOptions): IConnector;
  listenUNIX(
    path: string,
    factory: IProtocolFactory,
    options?: UNIXListenOptions,
  ): Promise<IListeningPort>;
}

/**
 * The event loop's face: time, TCP, TLS, UNIX sockets, and a run that lasts until someone calls `stop`.
 *
 * `run()` resolves when `stop()` is called; calling it while running throws
 * `ReactorAlreadyRunningError`. `stop()`, before it returns, cancels every pending call, gives
 * up every connection attempt (its factory told `UserCancelledError`) and stops every listening
 * port (its factory's `doStop`). It aborts every connection the reactor made or accepted: as each
 * closes (over TCP, after `stop()` returns), its protocol is told `ConnectionAborted`, then a
 * client's factory `clientConnectionLost`. Calling it when the reactor is not running throws
 * `ReactorNotRunningError`.
 */
export interface IReactor extends IReactorTime, IReactorTCP, IReactorTLS, IReactorUNIX {
  readonly running: boolean;
  run(): Promise<void>;
  stop(): void;
  /** Reports an exception thrown by protocol, factory or user code; never throws. */
  reportError(error: unknown, where: string): void;
}
