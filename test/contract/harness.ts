// What an implementation of the event layer plugs into the contract with, and the recording
// protocol and factories the contract's tests drive.

import type {
  ConnectOptions,
  IClientFactory,
  IConnector,
  IListeningPort,
  IProtocolFactory,
  IReactor,
} from '../../src/internet/interfaces.js';
import { ClientFactory, Protocol, ServerFactory } from '../../src/internet/protocol.js';

/** A host name whose lookups never answer in every world, so an attempt to it stays pending. */
export const UNANSWERED_HOST = 'unanswered.invalid';

/**
 * One reactor and its network, fresh for one test. Its time is a fake clock, so connect
 * timeouts and delayed calls run only when the test advances it; traffic stays on the machine.
 */
export interface ContractWorld {
  readonly reactor: IReactor;
  /** Moves the reactor's clock forward, running what comes due. */
  advance(seconds: number): void;
  /** Listens on a fresh address of the world's transport (port 0, or a new socket path). */
  listen(factory: IProtocolFactory): Promise<IListeningPort>;
  /** Listens again where `port` listens (or listened). */
  listenAt(port: IListeningPort, factory: IProtocolFactory): Promise<IListeningPort>;
  /** Connects to where `port` listens (or listened), over the world's transport. */
  connect(port: IListeningPort, factory: IClientFactory, options?: ConnectOptions): IConnector;
  /**
   * What a port's `getHost` is (an object for toEqual, with asymmetric matchers): the interface
   * and some port, or a socket path and port 0.
   */
  readonly listenedAddress: object;
  /** Where `port` listens, as failures name it: `host:port`, or the socket's path. */
  addressOf(port: IListeningPort): string;
  /**
   * Starts an attempt that nothing answers, so it stays pending until given up or timed out
   * (the `n`th such destination, each named by `nowhereAddress(n)`). Absent where the
   * transport cannot hold an attempt pending (see ContractImplementation.limits).
   */
  connectNowhere?(factory: IClientFactory, options?: ConnectOptions, n?: number): IConnector;
  nowhereAddress?(n?: number): string;
  /** `where` of every error the reactor reported, in order. */
  readonly reported: string[];
  /**
   * Bytes enough that a writer's producer, whose peer reads nothing, is paused and stays paused:
   * more than the operating system buffers over TCP, more than the pair's high-water mark in memory.
   */
  readonly bytesToFillBuffers: number;
  /** Lets the network run until `promise` settles; rejects if it never can (bounded in time). */
  settle<T>(promise: Promise<T>): Promise<T>;
  /** Lets the network move what it can for a moment, waiting for nothing in particular. */
  idle(): Promise<void>;
  /** Ends everything the test left open. */
  close(): Promise<void>;
}

/**
 * Cases of the contract a transport may be unable to keep, each with the reason why, which the
 * skipped test's name carries. Only a real limit of the transport belongs here.
 */
export interface ContractLimits {
  /** No connection attempt can be held pending: the timeout and disconnect-while-connecting. */
  pendingAttempt?: string;
  /** A client's reads cannot land in a lent buffer (ConnectOptions.readBuffer). */
  lentReadBuffer?: string;
  /**
   * A connection the client aborts as soon as it is made may never reach the server's
   * protocol, so the server cannot be told it was lost.
   */
  earlyAbortUnseen?: string;
}

/** An implementation of the event layer under contract: TCP, TLS, UNIX sockets, memory. */
export interface ContractImplementation {
  readonly name: string;
  open(): Promise<ContractWorld>;
  readonly limits?: ContractLimits;
}

/** A protocol that records its lifecycle and lets a test script it. */
export class RecordingProtocol extends Protocol {
  readonly events: string[] = [];
  readonly received: Buffer[] = [];
  reason: Error | undefined = undefined;
  readonly lost: Promise<Error>;
  readonly made: Promise<void>;
  onMade: ((protocol: RecordingProtocol) => void) | undefined = undefined;
  onData: ((protocol: RecordingProtocol, data: Buffer) => void) | undefined = undefined;
  /** Another log to write events to as well, with the lost reason's class: a factory's. */
  log: string[] | undefined = undefined;
  #resolveLost!: (reason: Error) => void;
  #resolveMade!: () => void;

  constructor() {
    super();
    this.lost = new Promise((resolve) => {
      this.#resolveLost = resolve;
    });
    this.made = new Promise((resolve) => {
      this.#resolveMade = resolve;
    });
  }

  text(): string {
    return Buffer.concat(this.received).toString('utf8');
  }

  get byteCount(): number {
    return this.received.reduce((sum, chunk) => sum + chunk.length, 0);
  }

  override connectionMade(): void {
    this.events.push('connectionMade');
    this.log?.push('connectionMade');
    this.#resolveMade();
    this.onMade?.(this);
  }

  override dataReceived(data: Buffer): void {
    this.events.push('dataReceived');
    this.received.push(Buffer.from(data));
    this.onData?.(this, data);
  }

  override connectionLost(reason: Error): void {
    super.connectionLost(reason);
    this.events.push('connectionLost');
    this.log?.push(`connectionLost ${reason.name}`);
    this.reason = reason;
    this.#resolveLost(reason);
  }
}

/** A RecordingProtocol that survives the peer's half-close (Twisted's IHalfCloseableProtocol). */
export class HalfCloseableProtocol extends RecordingProtocol {
  onReadClosed: ((protocol: RecordingProtocol) => void) | undefined = undefined;

  readConnectionLost(): void {
    this.events.push('readConnectionLost');
    this.onReadClosed?.(this);
  }
}

export type Outcome = { kind: 'failed' | 'lost'; reason: Error };

/**
 * A client factory that logs every hook with the connector's state at that moment, and the
 * protocols' lifecycle in the same log, so the order of both can be checked at once.
 */
export class RecordingClientFactory extends ClientFactory<RecordingProtocol> {
  readonly log: string[] = [];
  readonly protocols: RecordingProtocol[] = [];
  /** The first attempt's end: the connection failed, or was made and lost. */
  readonly outcome: Promise<Outcome>;
  /** Builds the protocol for each connection; a RecordingProtocol by default. */
  make: () => RecordingProtocol = () => new RecordingProtocol();
  onFailed: ((connector: IConnector, reason: Error) => void) | undefined = undefined;
  /** The connector of the latest attempt. */
  connector: IConnector | undefined = undefined;
  #settle!: (outcome: Outcome) => void;

  constructor() {
    super();
    this.outcome = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  override startFactory(): void {
    this.log.push('startFactory');
  }

  override stopFactory(): void {
    this.log.push('stopFactory');
  }

  override startedConnecting(connector: IConnector): void {
    this.connector = connector;
    this.log.push(`startedConnecting (${connector.state})`);
  }

  override buildProtocol(): RecordingProtocol {
    this.log.push(`buildProtocol (${this.connector?.state})`);
    const protocol = this.make();
    protocol.factory = this;
    protocol.log = this.log;
    this.protocols.push(protocol);
    return protocol;
  }

  override clientConnectionFailed(connector: IConnector, reason: Error): void {
    this.log.push(`clientConnectionFailed ${reason.name} (${connector.state})`);
    this.#settle({ kind: 'failed', reason });
    this.onFailed?.(connector, reason);
  }

  override clientConnectionLost(connector: IConnector, reason: Error): void {
    this.log.push(`clientConnectionLost ${reason.name} (${connector.state})`);
    this.#settle({ kind: 'lost', reason });
  }
}

/** A server factory that builds RecordingProtocols (by `make`) and logs start and stop. */
export class RecordingServerFactory extends ServerFactory<RecordingProtocol> {
  readonly log: string[] = [];
  readonly protocols: RecordingProtocol[] = [];
  /** The first connection's protocol, once its connectionMade has run. */
  readonly connected: Promise<RecordingProtocol>;
  make: () => RecordingProtocol = () => new RecordingProtocol();
  #resolveConnected!: (protocol: RecordingProtocol) => void;

  constructor() {
    super();
    this.connected = new Promise((resolve) => {
      this.#resolveConnected = resolve;
    });
  }

  override startFactory(): void {
    this.log.push('startFactory');
  }

  override stopFactory(): void {
    this.log.push('stopFactory');
  }

  override buildProtocol(): RecordingProtocol {
    const protocol = this.make();
    protocol.factory = this;
    this.protocols.push(protocol);
    void protocol.made.then(() => this.#resolveConnected(protocol));
    return protocol;
  }
}
