// The reactor: Twisted's event-loop face over Node's own loop (timers and node:net).

import { performance } from 'node:perf_hooks';
import { DEFAULT_CONNECT_TIMEOUT_SECONDS } from './defaults.js';
import { checkDelay, DelayedCall, type DelayedCallScheduler } from './delayed-call.js';
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
} from './interfaces.js';
import {
  type LookupFunction,
  lookupWithLocalhost,
  type OwnedResource,
  TCPConnector,
  type TCPOwner,
  TCPPort,
} from './tcp.js';

export { DEFAULT_CONNECT_TIMEOUT_SECONDS };

/** setTimeout's longest delay; a longer one fires after 1 ms instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ReactorOptions {
  /** Where exceptions from protocol, factory and user code go. Default: one line on stderr. */
  reportError?: ErrorReporter;
  /** Resolves host names for connectTCP; for tests and custom resolvers. Default dns.lookup. */
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
 * pending call, and aborts every connection and connection attempt still open; a stopped
 * reactor can run again.
 */
export class Reactor implements IReactor {
  readonly #reportError: ErrorReporter;
  readonly #clock: IReactorTime | undefined;
  /** Every pending call, with the handle that arms it: a Node timer or a fake clock's call. */
  readonly #armed = new Map<DelayedCall, NodeJS.Timeout | IDelayedCall>();
  readonly #owned = new Set<OwnedResource>();
  #stopped: (() => void) | undefined = undefined;
  #keepAlive: NodeJS.Timeout | undefined = undefined;
  readonly #tcpOwner: TCPOwner;

  constructor(options: ReactorOptions = {}) {
    this.#reportError = options.reportError ?? reportErrorToStderr;
    this.#clock = options.clock;
    this.#tcpOwner = {
      seconds: () => this.seconds(),
      callLater: (seconds, fn, ...args) => this.callLater(seconds, fn, ...args),
      reportError: (error, where) => this.reportError(error, where),
      lookup: lookupWithLocalhost(options.lookup),
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
    const call = new DelayedCall(this.seconds() + delay, run, this.#scheduler, fn.name);
    this.#armed.set(call, this.#arm(call, delay));
    return call;
  }

  connectTCP(
    host: string,
    port: number,
    factory: IClientFactory,
    options: ConnectOptions = {},
  ): IConnector {
    const timeout = checkDelay(options.timeout ?? DEFAULT_CONNECT_TIMEOUT_SECONDS);
    const connector = new TCPConnector(this.#tcpOwner, host, port, factory, timeout);
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
    for (const call of [...this.#armed.keys()]) call.cancel();
    for (const resource of [...this.#owned]) resource.shutdown();
    stopped();
  }

  reportError(error: unknown, where: string): void {
    try {
      this.#reportError(error, where);
    } catch {
      reportErrorToStderr(error, where);
    }
  }

  readonly #scheduler: DelayedCallScheduler = {
    seconds: () => this.seconds(),
    schedule: (call) => {
      this.#scheduler.unschedule(call);
      const seconds = Math.max(0, call.getTime() - this.seconds());
      this.#armed.set(call, this.#arm(call, seconds));
    },
    unschedule: (call) => {
      const handle = this.#armed.get(call);
      if (handle === undefined) return;
      this.#armed.delete(call);
      if ('cancel' in handle) {
        if (handle.active()) handle.cancel();
      } else {
        clearTimeout(handle);
      }
    },
  };

  #arm(call: DelayedCall, seconds: number): NodeJS.Timeout | IDelayedCall {
    if (this.#clock !== undefined) return this.#clock.callLater(seconds, this.#fire, call);
    // Whole milliseconds: Node keeps one timer list per distinct duration, so fractional delays
    // (a timeout computed from a fractional clock) would each get a list of their own.
    const ms = Math.ceil(seconds * 1000);
    if (ms > MAX_TIMER_MS) return setTimeout(this.#rearm, MAX_TIMER_MS, call);
    return setTimeout(this.#fire, ms, call);
  }

  /** Runs a call that has come due; one function for every call, not a closure each. */
  readonly #fire = (call: DelayedCall): void => {
    this.#armed.delete(call);
    try {
      call.run();
    } catch (error) {
      this.reportError(error, `callLater(${call.name || 'anonymous function'})`);
    }
  };

  readonly #rearm = (call: DelayedCall): void => {
    this.#scheduler.schedule(call);
  };
}

/** The shared default reactor, as Twisted's `from twisted.internet import reactor`. */
export const reactor: Reactor = new Reactor();
