// The reactor: Twisted's event-loop face over Node's own loop (timers, TCP, TLS, UNIX sockets).

import { performance } from 'node:perf_hooks';
import { DEFAULT_CONNECT_TIMEOUT_SECONDS } from './defaults.js';
import { DelayedCall } from './delayed-call.js';
import { ReactorAlreadyRunningError, ReactorNotRunningError } from './errors.js';
import type {
  ConnectOptions,
  ErrorReporter,
  IClientFactory,
  IConnector,
  IDelayedCall,
  IListeningPort,
  IProtocolFactory,
  IReactor,
  IReactorTime,
  ListenOptions,
  TLSConnectOptions,
  TLSListenOptions,
  UNIXListenOptions,
} from './interfaces.js';
import { checkDelay, checkTimeout } from './limits.js';
import { HostResolver, type LookupFunction } from './resolver.js';
import { type OwnedResource, TCPConnector, type TCPOwner, TCPPort } from './tcp.js';
import { TimerQueue } from './timer-queue.js';
import { tlsClientKind, tlsServerKind } from './tls.js';
import { listenUNIX, UNIX_CLIENT } from './unix.js';

export { DEFAULT_CONNECT_TIMEOUT_SECONDS };

/** setTimeout's longest delay; a longer one fires after 1 ms instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ReactorOptions {
  /** Where exceptions from protocol, factory and user code go. Default: one line on stderr. */
  reportError?: ErrorReporter;
  /**
   * Resolves host names for connectTCP and connectTLS; for tests and custom resolvers. Default dns.lookup. It
   * is called with `{ all: true }`. The reactor asks it once per name (connections that ask while
   * it runs share the lookup) and reuses the answer for a minute, or until the reactor stops;
   * `localhost` is always 127.0.0.1 and ::1 and never asked about; IP addresses never are.
   */
  lookup?: LookupFunction;
  /** Where time comes from. Default: Node's timers; a test passes a fake `Clock`. */
  clock?: IReactorTime;
}

/** Prints one line naming the failing callback, and never throws. */
export const reportErrorToStderr: ErrorReporter = (error, where) => {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  try {
    process.stderr.write(`poetry-now: unhandled error in ${where}: ${message}\n`);
  } catch {
    // stderr is gone; there is nowhere left to report to.
  }
};

/**
 * A reactor over Node's event loop: no loop of its own, only bookkeeping, so everything it
 * owns can be closed by `stop()`.
 *
 * Lifecycle: idle → `run()` → running → `stop()` → idle. Connecting, listening and calling later
 * work whether or not it is running (Node's loop always runs); `run()` only holds the process
 * open and resolves when `stop()` is called. `stop()` stops every listening port, cancels every
 * pending call, aborts every connection and connection attempt still open, and forgets the host
 * names it has looked up; a stopped reactor can run again.
 *
 * Host names: each is looked up once and the answer shared by every connection to it, for a
 * minute (see HostResolver); a failed lookup fails every connection that was waiting on it with
 * DNSLookupError.
 */
export class Reactor implements IReactor {
  readonly #reportError: ErrorReporter;
  readonly #clock: IReactorTime | undefined;
  /** Every pending call, with the handle that arms it: a Node timer or a fake clock's call. */
  readonly #timers: TimerQueue;
  readonly #owned = new Set<OwnedResource>();
  #stopped: (() => void) | undefined = undefined;
  #keepAlive: NodeJS.Timeout | undefined = undefined;
  readonly #tcpOwner: TCPOwner;
  readonly #resolver: HostResolver;

  constructor(options: ReactorOptions = {}) {
    this.#reportError = options.reportError ?? reportErrorToStderr;
    this.#clock = options.clock;
    this.#timers = new TimerQueue({
      seconds: () => this.seconds(),
      wakeAfter: (seconds, wake) => this.#wakeAfter(seconds, wake),
      run: (call) => this.#runDue(call),
    });
    this.#resolver = new HostResolver(options.lookup, this);
    this.#tcpOwner = {
      seconds: () => this.seconds(),
      callLater: this.callLater.bind(this),
      reportError: (error, where) => this.reportError(error, where),
      resolver: this.#resolver,
      track: (resource) => this.#owned.add(resource),
      untrack: (resource) => this.#owned.delete(resource),
    };
  }

  get running(): boolean {
    return this.#stopped !== undefined;
  }

  seconds(): number {
    return this.#clock === undefined ? performance.now() / 1000 : this.#clock.seconds();
  }

  callLater<A extends unknown[]>(
    seconds: number,
    fn: (...args: A) => void,
    ...args: A
  ): IDelayedCall {
    const delay = checkDelay(seconds);
    // Most calls (timeouts) carry no arguments: then the function itself is the call.
    const run = args.length === 0 ? (fn as () => void) : () => fn(...args);
    const call = new DelayedCall(this.seconds() + delay, run, this.#timers, fn.name);
    this.#timers.schedule(call);
    return call;
  }

  connectTCP(
    host: string,
    port: number,
    factory: IClientFactory,
    options: ConnectOptions = {},
  ): IConnector {
    const timeout = checkTimeout(options.timeout ?? DEFAULT_CONNECT_TIMEOUT_SECONDS, 'timeout');
    const connector = new TCPConnector(this.#tcpOwner, host, port, factory, timeout, options);
    connector.connect();
    return connector;
  }

  listenTCP(
    port: number,
    factory: IProtocolFactory,
    options: ListenOptions = {},
  ): Promise<IListeningPort> {
    return TCPPort.listen(this.#tcpOwner, port, factory, options);
  }

  /** Throws TLSConfigError at once for a `ca` that holds no usable certificate. */
  connectTLS(
    host: string,
    port: number,
    factory: IClientFactory,
    options: TLSConnectOptions = {},
  ): IConnector {
    const timeout = checkTimeout(options.timeout ?? DEFAULT_CONNECT_TIMEOUT_SECONDS, 'timeout');
    const kind = tlsClientKind(options);
    const connector = new TCPConnector(this.#tcpOwner, host, port, factory, timeout, options, kind);
    connector.connect();
    return connector;
  }

  listenTLS(
    port: number,
    factory: IProtocolFactory,
    options: TLSListenOptions,
  ): Promise<IListeningPort> {
    try {
      return TCPPort.listen(this.#tcpOwner, port, factory, options, tlsServerKind(options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  connectUNIX(path: string, factory: IClientFactory, options: ConnectOptions = {}): IConnector {
    const timeout = checkTimeout(options.timeout ?? DEFAULT_CONNECT_TIMEOUT_SECONDS, 'timeout');
    const connector = new TCPConnector(
      this.#tcpOwner,
      path,
      0,
      factory,
      timeout,
      options,
      UNIX_CLIENT,
    );
    connector.connect();
    return connector;
  }

  listenUNIX(
    path: string,
    factory: IProtocolFactory,
    options: UNIXListenOptions = {},
  ): Promise<IListeningPort> {
    return listenUNIX(this.#tcpOwner, path, factory, options);
  }

  run(): Promise<void> {
    if (this.running) throw new ReactorAlreadyRunningError('the reactor is already running');
    // Twisted's run() returns only when stopped; an idle interval holds Node's loop open the same
    // way, so a program that forgets to stop hangs visibly rather than exiting half-done.
    this.#keepAlive = setInterval(() => {}, MAX_TIMER_MS);
    return new Promise<void>((resolve) => {
      this.#stopped = resolve;
    });
  }

  stop(): void {
    const stopped = this.#stopped;
    if (stopped === undefined)
      throw new ReactorNotRunningError("can't stop a reactor that isn't running");
    this.#stopped = undefined;
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
    for (const call of this.#timers.pending()) call.cancel();
    for (const resource of [...this.#owned]) resource.shutdown();
    this.#resolver.clear();
    stopped();
  }

  reportError(error: unknown, where: string): void {
    try {
      this.#reportError(error, where);
    } catch {
      reportErrorToStderr(error, where);
    }
  }

  /** Wakes the timer queue after `seconds`, on Node's timers or on the injected clock. */
  #wakeAfter(seconds: number, wake: () => void): () => void {
    const clock = this.#clock;
    if (clock !== undefined) {
      const call = clock.callLater(seconds, wake);
      return () => {
        if (call.active()) call.cancel();
      };
    }
    // Whole milliseconds, and no more than a timer can hold: a wake that comes early for a far
    // deadline finds nothing due and arms again.
    const timer = setTimeout(wake, Math.min(MAX_TIMER_MS, Math.ceil(seconds * 1000)));
    return () => clearTimeout(timer);
  }

  #runDue(call: DelayedCall): void {
    try {
      call.run();
    } catch (error) {
      this.reportError(error, `callLater(${call.name || 'anonymous function'})`);
    }
  }
}

/** The shared default reactor, as Twisted's `from twisted.internet import reactor`. */
export const reactor: Reactor = new Reactor();
