// The poetry server: a protocol that sends a poem in chunks paced by the reactor's clock, the
// factory its readers share, and servePoetry, which listens and shuts down gracefully.

import { formatAddress } from '../internet/address.js';
import { ConnectionDone } from '../internet/errors.js';
import type {
  Address,
  IDelayedCall,
  IListeningPort,
  IPushProducer,
  IReactor,
  PEM,
} from '../internet/interfaces.js';
import { checkCount, checkDelay, checkTimeout } from '../internet/limits.js';
import { Protocol, ServerFactory } from '../internet/protocol.js';
import { type Endpoint, formatEndpoint } from './address.js';
import { type PoemFileError, reasonOf } from './errors.js';
import { type Paced, Pacer } from './server-pacer.js';
import type { PoemCursor, PoemSource } from './server-source.js';

/** The tutorial's slow server: 10 bytes every 0.7 s. */
export const DEFAULT_DELAY_SECONDS = 0.7;
export const DEFAULT_NUM_BYTES = 10;
/** Readers served at once; connections beyond are closed as they arrive. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** Enough for 10,000 readers arriving at once; the kernel caps it (net.core.somaxconn on Linux). */
export const DEFAULT_BACKLOG = 16_384;
/** How long readers in flight get to finish when the server shuts down. */
export const DEFAULT_GRACE_SECONDS = 2;
/** A reader that takes none of the poem for this long while bytes wait for it is cut. */
export const DEFAULT_STALL_TIMEOUT_SECONDS = 60;
/**
 * The paced sender holds off while a transport has this many bytes it could not hand to the
 * operating system. The TCP transport pauses its producer well before (at 16 KiB); this bound
 * holds for transports that do not.
 */
export const HIGH_WATER_BYTES = 64 * 1024;

/** How much of a file a fast reader reads at a time. */
const FAST_BLOCK_BYTES = 64 * 1024;
/** A paced reader of a large file holds one block of at least this many bytes. */
const MIN_PACED_BLOCK_BYTES = 4 * 1024;
/** How often a sender held off by a full buffer (with no producer pause) looks again. */
const BUFFER_POLL_SECONDS = 0.1;
/** Drops are logged once at once, then at most once per this many seconds, as a count. */
const DROP_LOG_INTERVAL_SECONDS = 1;
/**
 * A chunk counts as due this early: the pacer wakes readers at the start of the millisecond
 * their chunk falls in, and start + n × delay computed two ways can differ in the last bit.
 */
const SCHEDULE_TOLERANCE_SECONDS = Pacer.SLOT_SECONDS;

/**
 * Where the server's log lines go; the library never writes to the console itself.
 * `info` is for the server as a whole (where it serves, drops, shutdown); `reader`, when given,
 * gets one line per reader connected and one when it is done (leave it out to skip them).
 */
export interface ServerLogger {
  info(line: string): void;
  reader?: ((line: string) => void) | undefined;
}

/** A logger that drops every line. */
export const silentLogger: ServerLogger = { info() {} };

export interface PoetryServerOptions {
  /**
   * Seconds between chunks, finite; 0 sends the whole poem at once (fast mode). Default 0.7.
   */
  delay?: number;
  /** Bytes per chunk. Default 10. */
  numBytes?: number;
  /** Readers at once; beyond, connections are closed as they arrive. Default 10,000. */
  maxConnections?: number;
  /**
   * Seconds a reader may take none of the poem while bytes wait for it before it is cut;
   * checked every this many seconds, so a stalled reader is cut after one to two of them.
   * 0 or Infinity never cuts. Default 60.
   */
  stallTimeout?: number;
  logger?: ServerLogger;
}

type SendState = 'new' | 'sending' | 'closing' | 'lost';

/**
 * Sends the factory's poem to one reader: `numBytes` at once, then `numBytes` every `delay`
 * seconds, woken by the factory's pacer (the reactor's `callLater`, one call for all readers
 * due in the same millisecond), then closes cleanly. Chunk n is due at start + n × delay, up
 * to 1 ms early: a wake-up that runs late sends every chunk due by then in one write, so
 * lateness never accumulates. `delay` 0 sends the whole poem at once.
 *
 * Lifecycle: connectionMade (first chunk, registers itself as the transport's producer) →
 * chunks on the schedule → loseConnection after the last byte → connectionLost. The reader may
 * half-close at any time and still gets the whole poem; what it sends is discarded.
 *
 * Flow control: when the transport pauses it (the reader is not reading), due chunks wait and
 * the schedule resumes, shifted by the stall, when the transport drains; a reader never makes
 * the server buffer more than about one block beyond the transport's own limit.
 *
 * After connectionLost (or `stopProducing`) nothing more is written, the pending call is
 * cancelled and a pending disk read is ignored.
 */
export class PoetryServerProtocol extends Protocol implements IPushProducer, Paced {
  declare factory: PoetryServerFactory | undefined;
  /** Bytes handed to the transport so far. */
  bytesSent = 0;
  /** Reactor time, in seconds, when the reader connected. */
  connectedAt = 0;
  /** What the log calls this reader: its address, or `#N` on a UNIX socket (peers have none). */
  peerName = 'unknown';
  #state: SendState = 'new';
  #cursor: PoemCursor | undefined = undefined;
  /** Reactor time, in seconds, when chunk 0 was due; moved on by a stall. */
  #startSeconds = 0;
  /** The pacer slot of the next chunk's wake-up; -1 when none is pending. */
  #slot = -1;
  /** A pending poll of a full buffer (rare: only transports that never pause us). */
  #poll: IDelayedCall | undefined = undefined;
  /** The transport asked us to stop writing. */
  #paused = false;
  /** A chunk came due while the reader was not reading; it goes when the reader drains. */
  #stalled = false;
  /** Waiting for a block from disk. */
  #reading = false;
  /** Send the rest at once: the server is shutting down. */
  #hurry = false;
  #cutReason: string | undefined = undefined;
  /** Bytes the reader had taken at the watchdog's last look; -1 before the first. */
  #flushedAtCheck = -1;

  override connectionMade(): void {
    const factory = this.factory;
    if (factory === undefined) throw new Error('PoetryServerProtocol needs its factory');
    this.#state = 'sending';
    this.connectedAt = this.#startSeconds = factory.reactor.seconds();
    this.#cursor = factory.source.openCursor(factory.blockBytes, factory.numBytes);
    factory.readerConnected(this);
    const refusal = factory.refusal;
    if (refusal !== undefined) {
      this.cut(refusal);
      return;
    }
    this.transport!.registerProducer(this);
    this.#send();
  }

  /** Whatever the reader sends is dropped unread: the server has nothing to ask it. */
  override dataReceived(_data: Buffer): void {}

  /** The reader half-closed; defining this keeps the connection open so the poem goes on. */
  readConnectionLost(): void {}

  override connectionLost(reason: Error): void {
    if (this.#state === 'lost') return;
    this.#state = 'lost';
    super.connectionLost(reason);
    this.#cancelCall();
    this.#closeCursor();
    this.factory?.readerDone(this, reason, this.#cutReason);
  }

  pauseProducing(): void {
    this.#paused = true;
  }

  resumeProducing(): void {
    this.#paused = false;
    if (!this.#stalled || this.#state !== 'sending') return;
    this.#cancelCall(); // a buffer poll, if the stall began that way
    this.#resumeAfterStall();
  }

  /** For the factory's pacer: the next chunk is due. */
  chunkDue(slot: number): void {
    if (slot !== this.#slot) return;
    this.#slot = -1;
    this.#send();
  }

  /** The transport is closing: write nothing more. connectionLost follows. */
  stopProducing(): void {
    this.#cancelCall();
    if (this.#state === 'sending' || this.#state === 'new') this.#state = 'closing';
  }

  /** Sends the rest of the poem as fast as the reader takes it (the server is shutting down). */
  finishNow(): void {
    if (this.#state !== 'sending' || this.#hurry) return;
    this.#hurry = true;
    if (this.#stalled || this.#reading) return; // the drain or the disk read sends it
    this.#cancelCall();
    this.#send();
  }

  /**
   * True while the reader still has bytes of the poem to take: unsent, or sent but still in the
   * transport's buffer. A reader with the whole poem whose close is still under way is not.
   */
  get stillReading(): boolean {
    if (this.#state === 'sending' || this.#state === 'new') return true;
    if (this.#state === 'lost' || this.#cutReason !== undefined) return false;
    return (this.transport?.bufferedBytes ?? 0) > 0;
  }

  /** Closes the connection at once, dropping what is unsent; `why` goes in the reader's log line. */
  cut(why: string): void {
    if (this.#state === 'lost' || this.#cutReason !== undefined) return;
    this.#cutReason = why;
    this.#state = 'closing';
    this.#cancelCall();
    this.#closeCursor();
    this.transport?.abortConnection();
  }

  /**
   * For the factory's watchdog: true when bytes are waiting for the reader and it has taken
   * none of them since the previous look.
   */
  isStalled(): boolean {
    if (this.#state === 'lost' || this.#cutReason !== undefined || this.transport === undefined) {
      return false;
    }
    const buffered = this.transport.bufferedBytes;
    const flushed = this.bytesSent - buffered;
    const waiting = buffered > 0 || this.#paused || this.#stalled;
    const stalled = waiting && flushed === this.#flushedAtCheck;
    this.#flushedAtCheck = flushed;
    return stalled;
  }

  /** Writes every byte owed by now, then schedules the next chunk or closes. */
  #send(): void {
    if (this.#state !== 'sending' || this.#reading) return;
    if (this.#paused) {
      this.#stalled = true;
      return;
    }
    const factory = this.factory!;
    const transport = this.transport!;
    const cursor = this.#cursor!;
    const size = factory.source.byteLength;
    const owed = this.#owedBytes(factory, size);
    while (this.bytesSent < owed) {
      if (this.#paused) {
        this.#stalled = true;
        return;
      }
      if (transport.bufferedBytes >= HIGH_WATER_BYTES) {
        this.#stalled = true;
        this.#poll = factory.reactor.callLater(BUFFER_POLL_SECONDS, () => this.#pollBuffer());
        return;
      }
      const chunk = cursor.take(owed - this.bytesSent);
      if (chunk.length === 0) {
        this.#reading = true;
        cursor.fill((error) => this.#filled(error));
        return;
      }
      this.bytesSent += chunk.length;
      transport.write(chunk);
    }
    if (this.bytesSent >= size) {
      this.#finish();
      return;
    }
    // Owed bytes end on a chunk boundary here, so this is the next chunk's index.
    const next = Math.floor(this.bytesSent / factory.numBytes);
    this.#slot = factory.pacer.schedule(this, this.#startSeconds + next * factory.delay);
  }

  /** The poem's bytes that are due by now: chunks 0..n where n = ⌊elapsed / delay⌋. */
  #owedBytes(factory: PoetryServerFactory, size: number): number {
    if (factory.delay === 0 || this.#hurry) return size;
    const elapsed = factory.reactor.seconds() - this.#startSeconds + SCHEDULE_TOLERANCE_SECONDS;
    const chunksDue = Math.floor(elapsed / factory.delay) + 1;
    return Math.min(size, chunksDue * factory.numBytes);
  }

  #pollBuffer(): void {
    this.#poll = undefined;
    if (this.#state !== 'sending') return;
    const factory = this.factory!;
    if (this.transport!.bufferedBytes >= HIGH_WATER_BYTES) {
      this.#poll = factory.reactor.callLater(BUFFER_POLL_SECONDS, () => this.#pollBuffer());
      return;
    }
    this.#resumeAfterStall();
  }

  /** The reader took its bytes again: the chunk it held up goes now, the rest on schedule. */
  #resumeAfterStall(): void {
    this.#stalled = false;
    const factory = this.factory!;
    if (factory.delay > 0) {
      const next = Math.floor(this.bytesSent / factory.numBytes);
      this.#startSeconds = factory.reactor.seconds() - next * factory.delay;
    }
    this.#send();
  }

  #filled(error: PoemFileError | undefined): void {
    this.#reading = false;
    if (this.#state !== 'sending') return;
    const factory = this.factory!;
    if (error !== undefined) {
      // Aborting, not closing: a clean close would pass a truncated poem off as whole.
      factory.reactor.reportError(error, 'PoetryServerProtocol (reading the poem)');
      this.cut(error.message);
      return;
    }
    try {
      this.#send();
    } catch (thrown) {
      // This runs from a promise callback; nothing above would catch it.
      factory.reactor.reportError(thrown, 'PoetryServerProtocol (after reading the poem)');
      this.cut('internal error');
    }
  }

  #finish(): void {
    this.#state = 'closing';
    this.#closeCursor();
    const transport = this.transport!;
    transport.unregisterProducer();
    transport.loseConnection();
  }

  /** Cancels the pending wake-up or buffer poll, if any. */
  #cancelCall(): void {
    if (this.#slot !== -1) {
      this.factory?.pacer.cancel(this, this.#slot);
      this.#slot = -1;
    }
    const poll = this.#poll;
    if (poll === undefined) return;
    this.#poll = undefined;
    if (poll.active()) poll.cancel();
  }

  #closeCursor(): void {
    const cursor = this.#cursor;
    if (cursor === undefined) return;
    this.#cursor = undefined;
    cursor.close();
  }
}

/**
 * Holds what every reader shares: the poem, the pace, the limits and the log. Makes one
 * PoetryServerProtocol per connection, keeps the set of readers in flight (for a graceful
 * shutdown and the stall watchdog), and counts connections dropped over `maxConnections`
 * (pass `connectionDropped` as listenTCP's `onDrop`; `servePoetry` does).
 */
export class PoetryServerFactory extends ServerFactory<PoetryServerProtocol> {
  override protocol = PoetryServerProtocol;
  readonly reactor: IReactor;
  readonly source: PoemSource;
  /** Seconds between chunks; 0 is fast mode. */
  readonly delay: number;
  readonly numBytes: number;
  readonly maxConnections: number;
  /** Seconds; 0 never cuts a stalled reader (an Infinity given is kept as 0). */
  readonly stallTimeout: number;
  readonly logger: ServerLogger;
  /** How much of a file-backed poem each reader reads at a time. */
  readonly blockBytes: number;
  /** Wakes readers for their next chunk. */
  readonly pacer: Pacer;
  /** Readers that got the whole poem and a clean close. */
  served = 0;
  /** Connections closed on arrival because `maxConnections` readers were connected. */
  dropped = 0;
  readonly #readers = new Set<PoetryServerProtocol>();
  /**
   * Why readers are no longer served, once the server stops: a reader that connects after
   * that (a TLS handshake that was finishing as the port stopped) is cut as it connects.
   */
  #refusing: string | undefined = undefined;
  #idleWaiters: (() => void)[] = [];
  #watchdog: IDelayedCall | undefined = undefined;
  #dropReport: IDelayedCall | undefined = undefined;
  #dropsNotLogged = 0;
  /** Readers connected so far: the numbers of readers whose peer has no address. */
  #connectedCount = 0;

  constructor(reactor: IReactor, source: PoemSource, options: PoetryServerOptions = {}) {
    super();
    this.reactor = reactor;
    this.source = source;
    this.delay = checkDelay(options.delay ?? DEFAULT_DELAY_SECONDS, 'delay');
    this.numBytes = checkCount(options.numBytes ?? DEFAULT_NUM_BYTES, 'numBytes');
    this.maxConnections = checkCount(
      options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      'maxConnections',
    );
    this.stallTimeout = checkTimeout(
      options.stallTimeout ?? DEFAULT_STALL_TIMEOUT_SECONDS,
      'stallTimeout',
    );
    this.logger = options.logger ?? silentLogger;
    this.pacer = new Pacer(reactor, (error, where) => reactor.reportError(error, where));
    this.blockBytes =
      this.delay === 0
        ? FAST_BLOCK_BYTES
        : Math.min(FAST_BLOCK_BYTES, Math.max(MIN_PACED_BLOCK_BYTES, this.numBytes));
  }

  /** Readers connected now. */
  get readers(): number {
    return this.#readers.size;
  }

  /** Readers connected now that still have bytes of the poem to take (see `stillReading`). */
  get readersStillReading(): number {
    let count = 0;
    for (const reader of this.#readers) if (reader.stillReading) count += 1;
    return count;
  }

  /** Called by each protocol as it connects. */
  readerConnected(reader: PoetryServerProtocol): void {
    this.#readers.add(reader);
    if (this.stallTimeout > 0 && this.#watchdog === undefined) {
      this.#watchdog = this.reactor.callLater(this.stallTimeout, this.#checkStalls);
    }
    this.#connectedCount += 1;
    const log = this.logger.reader;
    if (log !== undefined) {
      reader.peerName = peerName(reader.transport?.getPeer(), `#${this.#connectedCount}`);
      log(`reader ${reader.peerName} connected`);
    }
  }

  /** Called by each protocol once, from its connectionLost. */
  readerDone(reader: PoetryServerProtocol, reason: Error, cutReason: string | undefined): void {
    if (!this.#readers.delete(reader)) return;
    const size = this.source.byteLength;
    const whole = reader.bytesSent === size && reason instanceof ConnectionDone;
    if (whole) this.served += 1;
    const log = this.logger.reader;
    if (log !== undefined) {
      const peer = reader.peerName;
      if (whole) {
        const seconds = this.reactor.seconds() - reader.connectedAt;
        log(`reader ${peer} done: ${size} bytes in ${seconds.toFixed(2)} s`);
      } else {
        const verb = cutReason === undefined ? 'lost' : 'cut';
        const why = cutReason ?? reasonOf(reason);
        log(`reader ${peer} ${verb} after ${reader.bytesSent} of ${size} bytes: ${why}`);
      }
    }
    if (this.#readers.size === 0) {
      const watchdog = this.#watchdog;
      this.#watchdog = undefined;
      if (watchdog?.active()) watchdog.cancel();
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** listenTCP's `onDrop`: a connection arrived while `maxConnections` readers were connected. */
  readonly connectionDropped = (peer: Address): void => {
    this.dropped += 1;
    if (this.#dropReport !== undefined) {
      this.#dropsNotLogged += 1;
      return;
    }
    this.logger.info(
      `dropped ${peerName(peer, 'a reader')}: ${this.maxConnections} readers already connected`,
    );
    this.#dropReport = this.reactor.callLater(DROP_LOG_INTERVAL_SECONDS, this.#logDrops);
  };

  /** Sends every reader the rest of its poem as fast as it takes it. */
  finishNow(): void {
    for (const reader of this.#readers) reader.finishNow();
  }

  /** Cuts every reader at once; `why` goes in their log lines. */
  cutAll(why: string): void {
    for (const reader of this.#readers) reader.cut(why);
  }

  /** Cuts every reader that connects from now on, as it connects; `why` goes in its log line. */
  refuseNewReaders(why: string): void {
    this.#refusing = why;
  }

  /** Why a reader connecting now is cut at once (see `refuseNewReaders`); undefined to serve it. */
  get refusal(): string | undefined {
    return this.#refusing;
  }

  /** Resolves when no reader is connected. */
  whenIdle(): Promise<void> {
    if (this.#readers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  readonly #checkStalls = (): void => {
    this.#watchdog = undefined;
    for (const reader of this.#readers) {
      if (reader.isStalled()) reader.cut(`took nothing for ${this.stallTimeout} s`);
    }
    if (this.#readers.size > 0) {
      this.#watchdog = this.reactor.callLater(this.stallTimeout, this.#checkStalls);
    }
  };

  readonly #logDrops = (): void => {
    this.#dropReport = undefined;
    const count = this.#dropsNotLogged;
    if (count === 0) return;
    this.#dropsNotLogged = 0;
    this.logger.info(
      `dropped ${count} more connection${count === 1 ? '' : 's'} over the limit of ${this.maxConnections} (${this.dropped} in all)`,
    );
    this.#dropReport = this.reactor.callLater(DROP_LOG_INTERVAL_SECONDS, this.#logDrops);
  };
}

export interface ServeOptions extends PoetryServerOptions {
  /** The port to listen on; 0 picks a free one. Default 0. */
  port?: number;
  /** The interface to bind. Default 'localhost' (loopback only). */
  interface?: string;
  /** Serve over TLS with this certificate (and chain) and key, PEM, on `port` and `interface`. */
  tls?: { readonly cert: PEM; readonly key: PEM };
  /**
   * Serve on a UNIX socket at this path instead of a TCP port (`port`, `interface` and `tls` are
   * not used). A stale socket file is replaced; the file is removed when the server stops.
   */
  unix?: string;
  /** The accept queue's length. Default 16,384 (the kernel may cap it lower). */
  backlog?: number;
  /** What the first log line calls the poem, e.g. the file's path. Default 'a poem'. */
  name?: string;
}

/**
 * A poetry server that is listening. Lifecycle: servePoetry → serving → shutdown (stops
 * listening at once, lets readers finish within the grace period, cuts the rest) → stopped.
 */
export class PoetryServer {
  readonly factory: PoetryServerFactory;
  readonly port: IListeningPort;
  /** Where to fetch from, in the form the client takes: `host:port`, `tls:…`, `unix:PATH`. */
  readonly endpoint: Endpoint;
  #shutdown: Promise<void> | undefined = undefined;

  constructor(factory: PoetryServerFactory, port: IListeningPort, endpoint?: Endpoint) {
    this.factory = factory;
    this.port = port;
    this.endpoint = endpoint ?? port.getHost();
  }

  /** The address listened on, with the real port when port 0 was asked for. */
  getHost(): Address {
    return this.port.getHost();
  }

  /**
   * Stops listening at once, sends readers in flight the rest of their poems as fast as they
   * take them, and cuts those still reading after `graceSeconds` (finite; 0 cuts them at once).
   * Resolves when no reader is left. Calling it again returns the same promise.
   */
  shutdown(graceSeconds: number = DEFAULT_GRACE_SECONDS): Promise<void> {
    checkDelay(graceSeconds, 'graceSeconds');
    this.#shutdown ??= this.#stop(graceSeconds);
    return this.#shutdown;
  }

  /** Cuts every reader now (a second Ctrl-C during the grace period). */
  cutNow(): void {
    this.factory.cutAll('server stopped');
  }

  async #stop(graceSeconds: number): Promise<void> {
    const { factory } = this;
    const { logger, reactor } = factory;
    await this.port.stopListening();
    factory.refuseNewReaders('connected after the server stopped');
    // Readers with the whole poem whose close is under way are waited for, not announced.
    const inFlight = factory.readersStillReading;
    if (inFlight === 0 && factory.readers === 0) {
      logger.info('stopped');
      return;
    }
    if (inFlight > 0) {
      logger.info(`stopping: ${readersCount(inFlight)} in flight get ${graceSeconds} s to finish`);
    }
    factory.finishNow();
    const idle = factory.whenIdle();
    const grace = reactor.callLater(graceSeconds, () => {
      const reading = factory.readersStillReading;
      const closing = factory.readers - reading;
      const cut: string[] = [];
      if (reading > 0) cut.push(`${readersCount(reading)} still reading`);
      if (closing > 0) cut.push(`${readersCount(closing)} still closing`);
      logger.info(`cutting ${cut.join(' and ')}`);
      factory.cutAll(`still reading after the ${graceSeconds} s grace period`);
    });
    await idle;
    if (grace.active()) grace.cancel();
    logger.info('stopped');
  }
}

/**
 * Serves `source` on a TCP port, over TLS (`tls`) or on a UNIX socket (`unix`): builds the
 * factory, listens with the connection cap wired to it, and logs `Serving NAME on ADDRESS` first,
 * ADDRESS as the client takes it (`host:port`, `tls:host:port`, `unix:PATH`). Over TLS a reader
 * gets the stall timeout to finish its handshake. Rejects with CannotListenError when the port,
 * interface or path cannot be had (AddressInUseError when another server has it), with
 * TLSConfigError for an unusable certificate or key, and with RangeError for a bad option.
 */
export async function servePoetry(
  reactor: IReactor,
  source: PoemSource,
  options: ServeOptions = {},
): Promise<PoetryServer> {
  const factory = new PoetryServerFactory(reactor, source, options);
  const portOptions = {
    backlog: checkCount(options.backlog ?? DEFAULT_BACKLOG, 'backlog'),
    maxConnections: factory.maxConnections,
    onDrop: factory.connectionDropped,
  };
  let port: IListeningPort;
  let endpoint: Endpoint;
  if (options.unix !== undefined) {
    port = await reactor.listenUNIX(options.unix, factory, portOptions);
    endpoint = { transport: 'unix', path: options.unix };
  } else {
    const listenOptions = { ...portOptions, interface: options.interface ?? 'localhost' };
    const tls = options.tls;
    port =
      tls === undefined
        ? await reactor.listenTCP(options.port ?? 0, factory, listenOptions)
        : await reactor.listenTLS(options.port ?? 0, factory, {
            ...listenOptions,
            cert: tls.cert,
            key: tls.key,
            // A handshake that stalls is a reader that takes nothing; 0 (never) keeps the default.
            handshakeTimeout: factory.stallTimeout > 0 ? factory.stallTimeout : undefined,
          });
    const { host, port: number } = port.getHost();
    endpoint =
      tls === undefined ? { host, port: number } : { transport: 'tls', host, port: number };
  }
  factory.logger.info(`Serving ${options.name ?? 'a poem'} on ${formatEndpoint(endpoint)}`);
  return new PoetryServer(factory, port, endpoint);
}

/** `host:port`; `unnamed` for a peer with no address (a UNIX socket's client end). */
function peerName(peer: Address | undefined, unnamed: string): string {
  if (peer === undefined) return 'unknown';
  return peer.host === '' && peer.port === 0 ? unnamed : formatAddress(peer.host, peer.port);
}

/** `1 reader`, `2 readers`. */
function readersCount(count: number): string {
  return `${count} reader${count === 1 ? '' : 's'}`;
}
