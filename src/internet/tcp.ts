// The TCP adapter: transports, connectors and listening ports over node:net, which TLS and UNIX
// sockets share (tls.ts and unix.ts say how their sockets are opened and accepted).

import * as net from 'node:net';
import { formatAddress } from './address.js';
import { DEFAULT_CONNECT_TIMEOUT_SECONDS } from './defaults.js';
import {
  CannotListenError,
  ConnectError,
  ConnectionAborted,
  ConnectionDone,
  ConnectTimeoutError,
  cannotListenErrorFrom,
  connectErrorFrom,
  connectionLostFrom,
  describeSystemError,
  dnsLookupErrorFrom,
  systemErrorCode,
  UserCancelledError,
} from './errors.js';
import { buildProtocolOrNull, callHook, type HookArg, type HookName, THREW } from './hooks.js';
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
  IPushProducer,
  IReactorTime,
  ITransport,
  ListenOptions,
  PortOptions,
} from './interfaces.js';
import { Protocol } from './protocol.js';
import type { HostAddress, HostAnswer, HostResolver } from './resolver.js';

export type { LookupFunction } from './resolver.js';

/** What the TCP adapter needs from the reactor that owns its connections. */
export interface TCPOwner extends IReactorTime {
  reportError: ErrorReporter;
  /** Host names to addresses, for connectors to names. */
  resolver: HostResolver;
  /** For tests only: opens a connecting socket in place of `net.connect`. */
  openSocket?: (options: net.TcpNetConnectOpts) => net.Socket;
  /** Something the owner closes when it stops. */
  track(resource: OwnedResource): void;
  untrack(resource: OwnedResource): void;
}

/** Told when a transport's connection has ended: its connector, or its listening port. */
interface TransportHolder {
  transportLost(transport: TCPTransport, reason: Error): void;
  /** `host:port` for failures to name, if the holder knows it (a connector's destination). */
  readonly label?: string | undefined;
  /** The transport's peer, when its socket cannot tell (a UNIX socket's path). */
  readonly peerAddress?: Address | undefined;
  /** The transport's own end, when its socket cannot tell (a UNIX port's path). */
  readonly hostAddress?: Address | undefined;
  /** How its sockets differ from plain TCP's; undefined for plain TCP. */
  readonly socketKind?: SocketKind | undefined;
}

/** What a transport needs to know of a socket that is not plain TCP (TLS, a UNIX socket). */
export interface SocketKind {
  /** Resets and destroys the socket, for abortConnection (`resetAndDestroy` works on TCP only). */
  resetSocket(socket: net.Socket): void;
  /**
   * The TCP socket under `socket` (TLS's), on which a write of nothing tells a reset from a
   * clean end (see TCPTransport.#ended), or undefined when that is `socket` itself.
   */
  underlying?(socket: net.Socket): net.Socket | undefined;
  /**
   * False for a transport with no reset (a UNIX socket): its peer's close, clean or not, is only
   * the end of the stream, so the end is taken as clean and no write of nothing asks. (There, a
   * write to a peer that closed fails even after a clean close, so it would tell nothing.)
   */
  readonly resets?: boolean;
}

/**
 * How a connector of another transport than plain TCP (TLS, a UNIX socket) opens its sockets and
 * knows them connected. One serves any number of connectors; a TCP connector has none.
 */
export interface ClientSocketKind extends SocketKind {
  /** Opens a connecting socket: `options` are what net.connect would get for plain TCP. */
  open(options: net.TcpNetConnectOpts, destination: Address): net.Socket;
  /** The socket's event that says the connection is made ('connect', 'secureConnect'). */
  readonly connectedEvent: string;
  /** Whether `destination` is reached as it is, without looking a host name up. */
  direct(destination: Address): boolean;
  /** A failed attempt's reason, as the matching ConnectError. */
  connectError(error: unknown, address: string): ConnectError;
  /** The destination as failures name it, when the caller did not name it. */
  label(destination: Address): string;
  /** The socket cannot tell its peer: the destination is the peer (a UNIX socket's path). */
  readonly peerIsDestination: boolean;
  /** Whether its sockets read into ConnectOptions.readBuffer (net's `onread`) when given one. */
  readonly lendsReadBuffer: boolean;
}

/**
 * How a port of another transport than plain TCP listens and accepts; a TCP port has none.
 */
export interface ServerSocketKind extends SocketKind {
  createServer(options: net.ServerOpts): net.Server;
  /** The server's event that hands over a connection ready to use ('secureConnection'). */
  readonly connectionEvent: string;
  /** What server.listen gets, for the port and interface asked for. */
  listenOptions(port: number, host: string, backlog: number): net.ListenOptions;
  /** The address as failures name it. */
  label(port: number, host: string): string;
  /**
   * For a port that stops listening: ends what the server holds that is not a connection yet
   * (TLS handshakes under way), as the kernel drops what it queued for a closed TCP port.
   */
  stopAccepting?(server: net.Server): void;
}

/** A connection, connector or port that a stopping reactor must close. */
export interface OwnedResource {
  shutdown(): void;
}

/**
 * Gives a new connection its protocol from `factory`. A factory that refuses (null) or throws
 * still gets its one connectionLost: a bare protocol runs the connection and it is aborted.
 */
function startProtocol(
  transport: TCPTransport,
  factory: IProtocolFactory,
  peer: Address,
  reporter: ErrorReporter,
): void {
  const protocol = buildProtocolOrNull(reporter, factory, peer);
  transport.start(protocol ?? new Protocol());
  if (protocol === null) transport.abortConnection();
}

const kTransport = Symbol('TCPTransport');
const kConnector = Symbol('TCPConnector');

/** A connecting socket that knows its connector, for listeners shared by every socket. */
type ConnectorSocket = net.Socket & { [kConnector]: TCPConnector };

/** How long a closed-by-us socket waits for the peer's FIN before it is destroyed. */
const LINGER_SECONDS = 2;

/** Written to test whether the peer closed cleanly or reset (see TCPTransport.#ended). */
const NOTHING = Buffer.alloc(0);

/** A socket that knows its transport, for listeners shared by every socket. */
type TransportSocket = net.Socket & { [kTransport]: TCPTransport };

/**
 * Makes an error without capturing a stack trace. A connection closing is an ordinary event, not
 * a bug to trace, and a stack captured per clean close would be work on every connection.
 */
function withoutStack<E extends Error>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * A transport over one connected `net.Socket`, feeding one protocol.
 *
 * Every call into the protocol or its producer is guarded (`callHook`): an exception is
 * reported through the owner's reporter and the connection is aborted, and the protocol still
 * gets its one `connectionLost`.
 *
 * The addresses are read from the socket when first asked for (each is a system call), and
 * kept, since a closed socket no longer knows them.
 */
export class TCPTransport implements ITransport, OwnedResource {
  readonly #socket: net.Socket;
  readonly #owner: TCPOwner;
  readonly #holder: TransportHolder;
  #peer: Address | undefined = undefined;
  #host: Address | undefined = undefined;
  /** `host:port` that failures name; the connector's destination, or else the peer. */
  #label: string | undefined;
  #protocol: IProtocol = new Protocol();
  #producer: IPushProducer | undefined = undefined;
  #producerPaused = false;
  #disconnecting = false;
  #aborted = false;
  #error: unknown = undefined;
  #lost = false;
  #linger: IDelayedCall | undefined = undefined;
  #drainListened = false;

  readonly #readsIntoBuffer: boolean;

  /** `readsIntoBuffer`: the socket was made with net's `onread` (ConnectOptions.readBuffer). */
  constructor(
    socket: net.Socket,
    owner: TCPOwner,
    holder: TransportHolder,
    readsIntoBuffer = false,
  ) {
    this.#socket = socket;
    this.#owner = owner;
    this.#holder = holder;
    this.#readsIntoBuffer = readsIntoBuffer;
  }

  /** Wires the socket to `protocol` and calls its makeConnection. */
  start(protocol: IProtocol): void {
    this.#protocol = protocol;
    // One set of listener functions serves every socket (each finds its transport through a
    // symbol), rather than closures per connection. 'drain' waits for a producer to need it.
    const socket = this.#socket as TransportSocket;
    socket[kTransport] = this;
    // A socket reading into a caller's buffer (net's `onread`) goes through readInto instead.
    if (!this.#readsIntoBuffer) socket.on('data', TCPTransport.#onData);
    socket.on('end', TCPTransport.#onEnd);
    socket.on('close', TCPTransport.#onClose);
    // The shared 'error' listener is on already: the connector or the port put it there.
    this.#guard(protocol, 'makeConnection', this);
  }

  get bufferedBytes(): number {
    return this.#socket.writableLength;
  }

  write(data: Uint8Array | string): void {
    if (this.#lost || this.#disconnecting || !this.#socket.writable) return;
    const roomLeft = this.#socket.write(data);
    if (!roomLeft && this.#producer !== undefined && !this.#producerPaused) {
      this.#producerPaused = true;
      this.#producer.pauseProducing();
    }
  }

  loseConnection(): void {
    if (this.#lost || this.#disconnecting || this.#aborted) return;
    this.#disconnecting = true;
    // end() flushes and sends FIN. Closing the descriptor at once would be wrong: bytes the peer
    // sent that we have not read make the kernel answer the close with a reset, which can throw
    // away the end of what we sent while it is still on its way. So keep reading (and dropping)
    // until the peer's FIN closes the socket, but only for a while: a peer that never closes
    // must not hold our descriptor (Twisted closes fully, too).
    const socket = this.#socket;
    socket.end(() => {
      // A peer that has already finished sending has nothing left to read: both sides are done
      // and Node closes the socket by itself.
      if (socket.destroyed || socket.readableEnded) return;
      // A fixed deadline, not an idle timeout: a peer that keeps talking must not keep it open.
      this.#linger = this.#owner.callLater(LINGER_SECONDS, () => {
        this.#linger = undefined;
        socket.destroy();
      });
      socket.resume();
    });
  }

  abortConnection(): void {
    if (this.#lost || this.#aborted) return;
    this.#aborted = true;
    const socket = this.#socket;
    if (socket.destroyed) return;
    // libuv refuses a reset once the shutdown of our end() has been issued, and the socket would
    // then never close: destroy it plainly then. The shutdown is issued only when every write
    // has reached the kernel; until then a reset is still possible, and it must be sent, or the
    // peer would see a clean close of a stream cut short.
    if (this.#disconnecting && socket.writableLength === 0) socket.destroy();
    else if (this.#holder.socketKind === undefined) socket.resetAndDestroy();
    else this.#holder.socketKind.resetSocket(socket);
  }

  getPeer(): Address {
    this.#peer ??= this.#holder.peerAddress ?? {
      host: this.#socket.remoteAddress ?? '',
      port: this.#socket.remotePort ?? 0,
    };
    return this.#peer;
  }

  getHost(): Address {
    this.#host ??= this.#holder.hostAddress ?? {
      host: this.#socket.localAddress ?? '',
      port: this.#socket.localPort ?? 0,
    };
    return this.#host;
  }

  registerProducer(producer: IPushProducer): void {
    if (this.#producer !== undefined) throw new Error('a producer is already registered');
    this.#producer = producer;
    this.#producerPaused = false;
    const socket = this.#socket;
    if (!this.#drainListened) {
      this.#drainListened = true;
      socket.on('drain', TCPTransport.#onDrain);
    }
    if (socket.writableNeedDrain) {
      this.#producerPaused = true;
      producer.pauseProducing();
    }
  }

  unregisterProducer(): void {
    this.#producer = undefined;
    this.#producerPaused = false;
  }

  pauseProducing(): void {
    this.#socket.pause();
  }

  resumeProducing(): void {
    this.#socket.resume();
  }

  stopProducing(): void {
    this.loseConnection();
  }

  shutdown(): void {
    this.abortConnection();
  }

  /** Calls into the protocol or producer; an exception is reported and aborts the connection. */
  #guard<T extends object, K extends HookName<T>>(target: T, hook: K, a?: HookArg<T[K], 0>): void {
    if (callHook(this.#owner.reportError, target, hook, a) === THREW) this.abortConnection();
  }

  static readonly #onData = function socketData(this: TransportSocket, data: Buffer): void {
    this[kTransport].#dataReceived(data);
  };

  /**
   * Bytes that net's `onread` put in a connector's read buffer: a view of that buffer, the
   * protocol's only until dataReceived returns. For the connector only, which calls it from its
   * own `onread` callback: what `this` is inside that callback, Node's documentation does not say
   * (Bun passes something else), so the socket is never asked for its transport there.
   */
  static readInto(transport: TCPTransport, bytesRead: number, buffer: Uint8Array): void {
    transport.#dataReceived(Buffer.from(buffer.buffer, buffer.byteOffset, bytesRead));
  }

  static readonly #onEnd = function socketEnd(this: TransportSocket): void {
    this[kTransport].#ended();
  };

  /**
   * The one 'error' listener of every socket, connecting or connected: before the connection is
   * made the connector hears of it; after, the transport keeps it for the close that follows.
   * For the connector and the port only.
   */
  static readonly onSocketError = function socketError(
    this: TransportSocket & Partial<ConnectorSocket>,
    error: Error,
  ): void {
    const transport = this[kTransport];
    if (transport !== undefined) transport.#error ??= error;
    else this[kConnector]?.connectError(error, this);
  };

  static readonly #onDrain = function socketDrain(this: TransportSocket): void {
    this[kTransport].#drained();
  };

  static readonly #onClose = function socketClose(this: TransportSocket): void {
    this[kTransport].#closed();
  };

  /** The per-chunk path: `#guard` written out, so a chunk costs one call and no lookup by name. */
  #dataReceived(data: Buffer): void {
    // After loseConnection the socket reads only to drop what the peer still sends (as Twisted).
    if (this.#aborted || this.#disconnecting) return;
    try {
      this.#protocol.dataReceived(data);
    } catch (error) {
      this.#owner.reportError(error, `${this.#protocol.constructor.name}.dataReceived`);
      this.abortConnection();
    }
  }

  #ended(): void {
    // An abort under way closes the socket; ending it now would issue the shutdown that makes
    // a reset impossible (a TLS abort resets a turn later), and the socket would never close.
    if (this.#aborted) return;
    const socket = this.#socket;
    if (!socket.writable || this.#holder.socketKind?.resets === false) {
      this.#endedCleanly();
      return;
    }
    // libuv can take a reset that arrives together with the last bytes for a clean end of
    // stream (libuv#2319, #4992). A write of nothing tells them apart: it fails on a reset
    // socket (the close then reports ConnectionLost) and succeeds after a real FIN. Under TLS
    // it goes to the TCP socket beneath, as TLS writes nothing for nothing.
    const under = this.#holder.socketKind?.underlying?.(socket);
    if (this.#protocol.readConnectionLost === undefined && !this.#disconnecting && !this.#lost) {
      // The protocol closes when the peer does, so the probe and our FIN go together: what
      // loseConnection would do once the probe came back, minus the wait (nothing is left to
      // read, so there is nothing to linger for either).
      this.#disconnecting = true;
      if (under === undefined) {
        socket.end(NOTHING);
      } else {
        // TLS writes nothing for nothing, so nothing is asked of it (Deno's TLS even fails such
        // a write, with EPERM, once the peer's close_notify has come).
        under.write(NOTHING);
        socket.end();
      }
      return;
    }
    (under ?? socket).write(NOTHING, (error) => {
      if (error === undefined || error === null) this.#endedCleanly();
    });
  }

  #endedCleanly(): void {
    if (this.#lost) return;
    const protocol = this.#protocol;
    if (protocol.readConnectionLost !== undefined) {
      this.#guard(protocol, 'readConnectionLost');
    } else {
      this.loseConnection();
    }
  }

  #drained(): void {
    const producer = this.#producer;
    if (producer === undefined || !this.#producerPaused) return;
    this.#producerPaused = false;
    this.#guard(producer, 'resumeProducing');
  }

  #closed(): void {
    if (this.#lost) return;
    this.#lost = true;
    if (this.#linger?.active()) this.#linger.cancel();
    this.#linger = undefined;
    this.#label ??= this.#holder.label ?? this.#peerLabel();
    const address = this.#label;
    let reason: Error;
    if (this.#aborted) {
      reason = new ConnectionAborted('connection aborted', { address, cause: this.#error });
    } else if (this.#error !== undefined) {
      reason = connectionLostFrom(this.#error, address);
    } else {
      reason = TCPTransport.#connectionDone(address);
    }
    // No connection is left to abort: what these throw is only reported.
    const reporter = this.#owner.reportError;
    const producer = this.#producer;
    if (producer !== undefined) {
      this.#producer = undefined;
      callHook(reporter, producer, 'stopProducing');
    }
    callHook(reporter, this.#protocol, 'connectionLost', reason);
    this.#holder.transportLost(this, reason);
  }

  /**
   * The reason every clean close to or from `address` is given, made once and shared, as
   * Twisted's reactor hands every clean close the one ConnectionDone: a clean close is an
   * ordinary event, not a failure to trace, and constructing an Error (stack or none) costs
   * more than the rest of the close. Frozen, since every protocol told of it shares it.
   */
  static #connectionDone(address: string | undefined): ConnectionDone {
    const done = TCPTransport.#doneReasons;
    let reason = done.get(address);
    if (reason === undefined) {
      const made = withoutStack(() => new ConnectionDone('connection closed cleanly', { address }));
      reason = Object.freeze(made);
      // Bounded: a run over a million addresses keeps a few reasons, not a million.
      if (done.size >= TCPTransport.#DONE_REASONS_KEPT) done.clear();
      done.set(address, reason);
    }
    return reason;
  }

  static readonly #doneReasons = new Map<string | undefined, ConnectionDone>();
  /** How many addresses' clean-close reasons are kept for reuse. */
  static readonly #DONE_REASONS_KEPT = 256;

  /** The peer as `host:port`; undefined once closed if it was never read while open. */
  #peerLabel(): string | undefined {
    const { host, port } = this.getPeer();
    return host === '' ? undefined : formatAddress(host, port);
  }
}

/**
 * An outgoing TCP connection attempt. States: disconnected → connecting → connected →
 * disconnected, or connecting → disconnected when the attempt fails. `connect()` again from
 * disconnected retries with the same factory.
 *
 * An IP destination is connected to directly. A host name is resolved by the owner's resolver
 * (once per name, shared by every connector), and its addresses are tried in turn, each with
 * node:net given the IP literal, so Node neither looks the name up again nor races the
 * addresses by itself. The connect timeout covers the lookup and every address: each address
 * but the last is given an even share of the time left when it starts (half of it for the
 * first of two); one that has not answered by then is left trying while the next starts, and
 * whichever connects first is the connection. The attempt fails when every address has failed
 * (with the first failure) or when the whole timeout is up (ConnectTimeoutError), never sooner
 * because one address was slow. With no timeout, each address but the last is given
 * DEFAULT_CONNECT_TIMEOUT_SECONDS before the next starts.
 */
export class TCPConnector implements IConnector, OwnedResource, TransportHolder {
  state: 'disconnected' | 'connecting' | 'connected' = 'disconnected';
  readonly #owner: TCPOwner;
  readonly #destination: Address;
  readonly #factory: IClientFactory;
  readonly #timeoutSeconds: number;
  readonly #readBuffer: Uint8Array | undefined;
  /** The newest socket trying to connect, then the connected one. */
  #socket: net.Socket | undefined = undefined;
  /** Sockets of earlier addresses, left trying after their share of the time (rarely any). */
  #earlier: net.Socket[] | undefined = undefined;
  #transport: TCPTransport | undefined = undefined;
  /** Fires when the newest address's share of the time is up, or else at the timeout. */
  #timeoutCall: IDelayedCall | undefined = undefined;
  #factoryStarted = false;
  #label: string | undefined = undefined;
  /** The name's addresses, while connecting to a host name; undefined for an IP destination. */
  #candidates: readonly HostAddress[] | undefined = undefined;
  /** The index in #candidates of the next address to try. */
  #nextCandidate = 0;
  /** Reactor seconds at which the attempt times out; Infinity with no timeout. */
  #deadline = Number.POSITIVE_INFINITY;
  /** Whether #timeoutCall ends the newest address's share rather than the attempt. */
  #shareTimer = false;
  /** The first failure of an address, reported if every address fails. */
  #firstError: Error | undefined = undefined;
  /** Counts connect() calls, so a lookup answering an earlier attempt is ignored. */
  #attempt = 0;
  /** How sockets are opened, for a transport other than plain TCP. */
  readonly #kind: ClientSocketKind | undefined;

  /**
   * `timeoutSeconds`: 0 for none; from `options`, the read buffer and the address's name; `kind`
   * for a transport other than plain TCP.
   */
  constructor(
    owner: TCPOwner,
    host: string,
    port: number,
    factory: IClientFactory,
    timeoutSeconds: number,
    options: ConnectOptions = {},
    kind?: ClientSocketKind,
  ) {
    this.#owner = owner;
    this.#kind = kind;
    this.#destination = { host, port };
    this.#factory = factory;
    this.#timeoutSeconds = timeoutSeconds;
    this.#readBuffer = options.readBuffer;
    this.#label = options.address;
  }

  getDestination(): Address {
    return this.#destination;
  }

  /**
   * The destination as `host:port`: the caller's (`ConnectOptions.address`), or made when a
   * failure or the close first names it.
   */
  get label(): string {
    const kind = this.#kind;
    this.#label ??=
      kind === undefined
        ? formatAddress(this.#destination.host, this.#destination.port)
        : kind.label(this.#destination);
    return this.#label;
  }

  /** For its transport only: the peer, when the socket cannot tell it. */
  get peerAddress(): Address | undefined {
    return this.#kind?.peerIsDestination === true ? this.#destination : undefined;
  }

  /** For its transport only: how its socket differs from plain TCP's. */
  get socketKind(): SocketKind | undefined {
    return this.#kind;
  }

  connect(): void {
    if (this.state !== 'disconnected') throw new Error(`cannot connect while ${this.state}`);
    this.state = 'connecting';
    this.#owner.track(this);
    if (!this.#factoryStarted) {
      this.#factoryStarted = true;
      callHook(this.#owner.reportError, this.#factory, 'doStart');
    }
    const before = this.#attempt;
    callHook(this.#owner.reportError, this.#factory, 'startedConnecting', this);
    // startedConnecting gave up; or it did and clientConnectionFailed's connect() is under way,
    // which leaves the state 'connecting' too but has its own attempt.
    if (this.state !== 'connecting' || this.#attempt !== before) return;

    const attempt = ++this.#attempt;
    this.#candidates = undefined;
    this.#firstError = undefined;
    const timeout = this.#timeoutSeconds;
    const host = this.#destination.host;
    // A UNIX socket's path is reached directly too; its family is never read.
    const family = net.isIP(host) || (this.#kind?.direct(this.#destination) === true ? 4 : 0);
    if (family !== 0) {
      this.#open(host, family);
      if (timeout > 0) this.#arm(timeout, false);
      return;
    }
    this.#deadline = timeout > 0 ? this.#owner.seconds() + timeout : Number.POSITIVE_INFINITY;
    const resolver = this.#owner.resolver;
    const answer = resolver.cached(host);
    if (answer?.addresses !== undefined) {
      this.#tryCandidates(answer.addresses);
    } else if (answer !== undefined) {
      // A failure kept from an earlier lookup arrives later, as every other failure does.
      queueMicrotask(() => {
        if (this.#attempt === attempt) this.#resolved(answer);
      });
    } else {
      resolver.resolve(host, (resolved) => {
        if (this.#attempt === attempt) this.#resolved(resolved);
      });
    }
    // The timeout covers the lookup too; #tryCandidates armed it already when it began.
    if (timeout > 0 && this.#timeoutCall === undefined) this.#arm(timeout, false);
  }

  stopConnecting(): void {
    if (this.state !== 'connecting') return;
    this.#dropAttempts(undefined);
    this.#fail(new UserCancelledError('connection attempt cancelled', { address: this.label }));
  }

  disconnect(): void {
    if (this.state === 'connecting') this.stopConnecting();
    else if (this.state === 'connected') this.#transport?.loseConnection();
  }

  shutdown(): void {
    if (this.state === 'connecting') this.stopConnecting();
    else if (this.state === 'connected') this.#transport?.abortConnection();
  }

  /** For the shared socket error listener only: `socket`'s attempt failed. */
  connectError(error: Error, socket: net.Socket): void {
    if (this.state !== 'connecting') return; // after connecting, the transport owns errors
    if (socket === this.#socket) this.#socket = undefined;
    else if (!this.#forgetEarlier(socket)) return;
    const code = systemErrorCode(error);
    if (code === 'EMFILE' || code === 'ENFILE') {
      // Another address would fail the same way; the caller may wait for descriptors and retry.
      this.#dropAttempts(undefined);
      this.#fail(this.#connectErrorFrom(error));
      return;
    }
    this.#firstError ??= error;
    const candidates = this.#candidates;
    if (this.#socket === undefined && candidates !== undefined) {
      if (this.#nextCandidate < candidates.length) {
        this.#tryNext(); // this address has answered: the next one need not wait its turn
        return;
      }
    }
    if (this.#socket === undefined && this.#earlier === undefined) {
      this.#fail(this.#connectErrorFrom(this.#firstError));
    }
  }

  #connectErrorFrom(error: unknown): ConnectError {
    const kind = this.#kind;
    return kind === undefined
      ? connectErrorFrom(error, this.label)
      : kind.connectError(error, this.label);
  }

  static readonly #onConnect = function connected(this: Partial<ConnectorSocket>): void {
    // An abandoned attempt (see #abandon) has no connector left to tell.
    const connector = this[kConnector];
    if (connector !== undefined) connector.#connected(this as net.Socket);
  };

  /** net's `onread` callback for this connector's sockets; `true` goes on reading. */
  readonly #onRead = (bytesRead: number, buffer: Uint8Array): boolean => {
    const transport = this.#transport;
    if (transport !== undefined) TCPTransport.readInto(transport, bytesRead, buffer);
    return true;
  };

  readonly #onTimeout = (): void => {
    this.#timeoutCall = undefined;
    if (this.state !== 'connecting') return;
    if (this.#shareTimer) {
      // The newest address has had its share: it keeps trying, and the next one starts.
      this.#shareTimer = false;
      const socket = this.#socket;
      this.#socket = undefined;
      if (socket !== undefined) {
        if (this.#earlier === undefined) this.#earlier = [socket];
        else this.#earlier.push(socket);
      }
      this.#tryNext();
      return;
    }
    this.#dropAttempts(undefined);
    this.#fail(
      new ConnectTimeoutError(`no connection after ${this.#timeoutSeconds} s`, {
        address: this.label,
      }),
    );
  };

  /** The lookup of the destination's name has answered. */
  #resolved(answer: HostAnswer): void {
    if (this.state !== 'connecting') return;
    if (answer.addresses !== undefined) this.#tryCandidates(answer.addresses);
    else this.#fail(dnsLookupErrorFrom(answer.error, this.label));
  }

  #tryCandidates(candidates: readonly HostAddress[]): void {
    this.#candidates = candidates;
    this.#nextCandidate = 0;
    this.#tryNext();
  }

  /** Starts the next address, and arms the timer for its share of the time or the timeout. */
  #tryNext(): void {
    const candidates = this.#candidates!;
    const index = this.#nextCandidate++;
    const candidate = candidates[index]!;
    this.#open(candidate.address, candidate.family);
    const left = this.#deadline - this.#owner.seconds();
    const after = candidates.length - index - 1;
    if (after > 0) {
      // An even split of what is left among this address and those after it.
      const share =
        left === Number.POSITIVE_INFINITY ? DEFAULT_CONNECT_TIMEOUT_SECONDS : left / (after + 1);
      this.#arm(Math.max(0, share), true);
    } else if (left !== Number.POSITIVE_INFINITY) {
      this.#arm(Math.max(0, left), false);
    } else {
      this.#cancelTimeout();
    }
  }

  /** Opens a socket to the IP literal `host`; it becomes the newest attempt. */
  #open(host: string, family: number): void {
    let socket: net.Socket;
    try {
      const readBuffer = this.#readBuffer;
      const kind = this.#kind;
      const open =
        kind === undefined
          ? (this.#owner.openSocket ?? net.connect)
          : (options: net.TcpNetConnectOpts) => kind.open(options, this.#destination);
      socket = open({
        host,
        port: this.#destination.port,
        family,
        autoSelectFamily: false,
        allowHalfOpen: true,
        // Reads land in the caller's buffer, and go to the transport without a 'data' event.
        ...(readBuffer === undefined
          ? {}
          : { onread: { buffer: readBuffer, callback: this.#onRead } }),
      });
    } catch (error) {
      // Bad arguments throw synchronously; report them the way every other failure arrives.
      const reason = new ConnectError(describeSystemError(error), {
        address: this.label,
        cause: error,
      });
      const attempt = this.#attempt;
      queueMicrotask(() => {
        if (this.#attempt !== attempt) return;
        this.#dropAttempts(undefined);
        this.#fail(reason);
      });
      return;
    }
    this.#socket = socket;
    (socket as ConnectorSocket)[kConnector] = this;
    socket.on('error', TCPTransport.onSocketError);
    socket.on(this.#kind?.connectedEvent ?? 'connect', TCPConnector.#onConnect);
  }

  /** Arms #timeoutCall `seconds` from now, for a share of the time or for the timeout. */
  #arm(seconds: number, share: boolean): void {
    this.#cancelTimeout();
    this.#shareTimer = share;
    this.#timeoutCall = this.#owner.callLater(seconds, this.#onTimeout);
  }

  #connected(socket: net.Socket): void {
    if (this.state !== 'connecting') return;
    this.#cancelTimeout();
    // An IP destination is the peer already, and so is the address the newest attempt went to;
    // asking the socket would cost a system call. An earlier attempt's socket is asked.
    const candidates = this.#candidates;
    const peer: Address | undefined =
      candidates === undefined
        ? this.#destination
        : socket === this.#socket
          ? { host: candidates[this.#nextCandidate - 1]!.address, port: this.#destination.port }
          : undefined;
    this.#dropAttempts(socket);
    this.#socket = socket;
    this.state = 'connected';
    const kind = this.#kind;
    const lends = this.#readBuffer !== undefined && (kind === undefined || kind.lendsReadBuffer);
    const transport = new TCPTransport(socket, this.#owner, this, lends);
    this.#transport = transport;
    startProtocol(transport, this.#factory, peer ?? transport.getPeer(), this.#owner.reportError);
  }

  /** Destroys every connecting socket but `keep`, and stops listening to them. */
  #dropAttempts(keep: net.Socket | undefined): void {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined && socket !== keep) TCPConnector.#abandon(socket);
    const earlier = this.#earlier;
    if (earlier === undefined) return;
    this.#earlier = undefined;
    for (const other of earlier) if (other !== keep) TCPConnector.#abandon(other);
  }

  /** Takes `socket` out of the earlier attempts; false if it is not one of them. */
  #forgetEarlier(socket: net.Socket): boolean {
    const earlier = this.#earlier;
    const index = earlier === undefined ? -1 : earlier.indexOf(socket);
    if (index === -1) return false;
    earlier!.splice(index, 1);
    if (earlier!.length === 0) this.#earlier = undefined;
    return true;
  }

  static #abandon(socket: net.Socket): void {
    (socket as Partial<ConnectorSocket>)[kConnector] = undefined;
    socket.destroy();
  }

  /** For its transport only: the connection has ended. */
  transportLost(_transport: TCPTransport, reason: Error): void {
    this.state = 'disconnected';
    this.#transport = undefined;
    this.#socket = undefined;
    this.#owner.untrack(this);
    callHook(this.#owner.reportError, this.#factory, 'clientConnectionLost', this, reason);
    this.#stopFactoryUnlessRetrying();
  }

  #fail(reason: Error): void {
    if (this.state !== 'connecting') return;
    this.#cancelTimeout();
    this.state = 'disconnected';
    this.#socket = undefined;
    this.#owner.untrack(this);
    callHook(this.#owner.reportError, this.#factory, 'clientConnectionFailed', this, reason);
    this.#stopFactoryUnlessRetrying();
  }

  #stopFactoryUnlessRetrying(): void {
    if (this.state !== 'disconnected' || !this.#factoryStarted) return;
    this.#factoryStarted = false;
    callHook(this.#owner.reportError, this.#factory, 'doStop');
  }

  #cancelTimeout(): void {
    if (this.#timeoutCall?.active()) this.#timeoutCall.cancel();
    this.#timeoutCall = undefined;
  }
}

/**
 * A listening TCP port (or TLS port, or UNIX socket: see `ServerSocketKind`); each accepted
 * connection gets a protocol from the factory.
 */
export class TCPPort implements IListeningPort, OwnedResource, TransportHolder {
  readonly #server: net.Server;
  readonly #factory: IProtocolFactory;
  readonly #owner: TCPOwner;
  readonly #host: Address;
  readonly #kind: ServerSocketKind | undefined;
  #listening = true;
  /** A UNIX socket's path, for its connections' failures to name; undefined for a TCP port. */
  readonly label: string | undefined;
  /**
   * Counted here rather than left to net's `maxConnections`, whose 'drop' event not every
   * runtime emits (Deno 2 closes the connection without a word).
   */
  readonly #maxConnections: number;
  readonly #onDrop: ((peer: Address) => void) | undefined;
  #connections = 0;

  private constructor(
    server: net.Server,
    factory: IProtocolFactory,
    owner: TCPOwner,
    kind: ServerSocketKind | undefined,
    options: PortOptions,
  ) {
    this.#server = server;
    this.#factory = factory;
    this.#owner = owner;
    this.#kind = kind;
    this.#maxConnections = options.maxConnections ?? Number.POSITIVE_INFINITY;
    this.#onDrop = options.onDrop;
    const bound = server.address() as net.AddressInfo | string;
    this.#host =
      typeof bound === 'string'
        ? { host: bound, port: 0 }
        : { host: bound.address, port: bound.port };
    this.label = typeof bound === 'string' ? bound : undefined;
  }

  /**
   * Binds and starts accepting; rejects with CannotListenError when the port cannot be had
   * (AddressInUseError when it is taken). `kind` for another transport than plain TCP.
   */
  static listen(
    owner: TCPOwner,
    port: number,
    factory: IProtocolFactory,
    options: ListenOptions = {},
    kind?: ServerSocketKind,
  ): Promise<TCPPort> {
    const host = options.interface ?? 'localhost';
    const address = kind === undefined ? formatAddress(host, port) : kind.label(port, host);
    if (host.trim() === '') {
      // node:net reads an empty host as every interface; that must be asked for by name.
      const reason = 'cannot listen: no interface named (0.0.0.0 or :: for every interface)';
      return Promise.reject(new CannotListenError(reason, { address }));
    }
    const serverOptions = { allowHalfOpen: true };
    const server =
      kind === undefined ? net.createServer(serverOptions) : kind.createServer(serverOptions);
    return new Promise<TCPPort>((resolve, reject) => {
      const onListenError = (error: Error): void => {
        reject(cannotListenErrorFrom(error, address));
      };
      server.once('error', onListenError);
      const backlog = options.backlog ?? 4096;
      try {
        const listenOptions =
          kind === undefined ? { port, host, backlog } : kind.listenOptions(port, host, backlog);
        server.listen(listenOptions, () => {
          server.off('error', onListenError);
          const listening = new TCPPort(server, factory, owner, kind, options);
          server.on(kind?.connectionEvent ?? 'connection', listening.#onConnection);
          server.on('error', listening.#onServerError);
          owner.track(listening);
          callHook(owner.reportError, factory, 'doStart');
          resolve(listening);
        });
      } catch (error) {
        onListenError(error as Error);
      }
    });
  }

  getHost(): Address {
    return this.#host;
  }

  /** For its transports only: their own end, when their socket cannot tell (a UNIX socket). */
  get hostAddress(): Address | undefined {
    return this.label === undefined ? undefined : this.#host;
  }

  /** For its transports only: how their socket differs from plain TCP's. */
  get socketKind(): SocketKind | undefined {
    return this.#kind;
  }

  async stopListening(): Promise<void> {
    if (!this.#listening) return;
    this.#listening = false;
    this.#owner.untrack(this);
    // close() releases the listening socket at once; it waits only to emit 'close' until the
    // accepted connections end, and those are ours to end, not the port's.
    this.#server.close();
    this.#kind?.stopAccepting?.(this.#server);
    callHook(this.#owner.reportError, this.#factory, 'doStop');
  }

  shutdown(): void {
    void this.stopListening();
  }

  readonly #onConnection = (socket: net.Socket): void => {
    if (this.#connections >= this.#maxConnections) {
      const peer = { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
      socket.on('error', () => {});
      socket.destroy();
      this.#onDrop?.(peer);
      return;
    }
    this.#connections++;
    const owner = this.#owner;
    socket.on('error', TCPTransport.onSocketError);
    const transport = new TCPTransport(socket, owner, this);
    owner.track(transport);
    startProtocol(transport, this.#factory, transport.getPeer(), owner.reportError);
  };

  /** For its transports only: a connection has ended. */
  transportLost(transport: TCPTransport): void {
    this.#connections--;
    this.#owner.untrack(transport);
  }

  readonly #onServerError = (error: Error): void => {
    // Accept errors (EMFILE and the like) do not close the server; report and keep serving.
    this.#owner.reportError(error, `${this.#factory.constructor.name} (accepting connections)`);
  };
}
