// Host names to addresses for a reactor's connectors: each name looked up once, the answer shared.

import type * as dns from 'node:dns';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import { NO_SUCH_NAME_CODES, systemErrorCode } from './errors.js';
import type { IReactorTime } from './interfaces.js';

export type LookupFunction = net.LookupFunction;

/** One address a name resolves to: an IP literal and its family. */
export interface HostAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/**
 * What a lookup of one name came to. Pending until the lookup answers; then either `addresses`
 * (at least one, in the order to try them) or `error` (what the lookup failed with).
 */
export class HostAnswer {
  addresses: readonly HostAddress[] | undefined = undefined;
  error: unknown = undefined;
  /** Reactor seconds after which the answer is asked for again. */
  expiresSeconds = Number.POSITIVE_INFINITY;
  /** Told when the answer comes; undefined once it has. */
  waiters: ((answer: HostAnswer) => void)[] | undefined = [];

  constructor(readonly host: string) {}
}

/** How long an answer is reused, in seconds on the reactor's clock. */
export const HOST_ANSWER_SECONDS = 60;

/** How many names' answers are kept at most; past it, the oldest is forgotten. */
export const HOST_ANSWER_LIMIT = 10_000;

/**
 * `localhost` is always loopback (RFC 6761), but many /etc/hosts files list only one of
 * 127.0.0.1 and ::1, so the lookup is not asked: both are tried, 127.0.0.1 first.
 */
const LOCALHOST = new HostAnswer('localhost');
LOCALHOST.addresses = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];
LOCALHOST.waiters = undefined;

const require = createRequire(import.meta.url);
let dnsModule: typeof dns | undefined;

/** node:dns, loaded when a name is first looked up: many runs use IP addresses only. */
function loadDns(): typeof dns {
  dnsModule ??= require('node:dns') as typeof dns;
  return dnsModule;
}

/**
 * A reactor's cache of host names. Each name is looked up once: connections that ask while the
 * lookup runs share it, and those that ask later reuse its answer for `HOST_ANSWER_SECONDS`.
 * The system resolver gives no TTL; a minute is long enough that a run of any number of fetches
 * to one name costs one lookup a minute, and short enough that a long-lived process (the shared
 * reactor is never stopped) sees a name move. At most `HOST_ANSWER_LIMIT`
 * names are kept, so memory does not grow with the number of names fetched from. `clear()`
 * forgets everything (the reactor calls it when it stops).
 *
 * `localhost` is never looked up (see LOCALHOST); IP literals never reach the resolver.
 */
export class HostResolver {
  readonly #lookup: LookupFunction | undefined;
  readonly #clock: Pick<IReactorTime, 'seconds'>;
  readonly #answers = new Map<string, HostAnswer>();
  #options: dns.LookupAllOptions | undefined = undefined;

  /** `lookup`: where answers come from (tests inject a fake). Default: node:dns's lookup. */
  constructor(lookup: LookupFunction | undefined, clock: Pick<IReactorTime, 'seconds'>) {
    this.#lookup = lookup;
    this.#clock = clock;
  }

  /** The answer for `host` if one is at hand (and not expired); undefined to ask `resolve`. */
  cached(host: string): HostAnswer | undefined {
    if (host === 'localhost') return LOCALHOST;
    const answer = this.#answers.get(host);
    if (answer !== undefined) {
      if (answer.waiters !== undefined) return undefined;
      if (this.#clock.seconds() < answer.expiresSeconds) return answer;
      this.#answers.delete(host);
      return undefined;
    }
    return host.toLowerCase() === 'localhost' ? LOCALHOST : undefined;
  }

  /**
   * Calls `waiter` with the answer for `host`, never before this returns: joins the lookup
   * already running for it, or starts one. For a name `cached` had no answer for.
   */
  resolve(host: string, waiter: (answer: HostAnswer) => void): void {
    const running = this.#answers.get(host);
    if (running?.waiters !== undefined) {
      running.waiters.push(waiter);
      return;
    }
    const answer = new HostAnswer(host);
    answer.waiters!.push(waiter);
    this.#keep(answer);
    let returned = false;
    const answered = (error: unknown, addresses: unknown): void => {
      const waiters = answer.waiters;
      if (waiters === undefined) return; // a lookup that answers twice
      answer.waiters = undefined;
      this.#settle(answer, error, addresses);
      // A lookup that answered at once (a fake, a cache of its own) is told on later, as the
      // real one would be: a connector's failure must not come back from connect().
      if (returned) tell(waiters, answer);
      else queueMicrotask(() => tell(waiters, answer));
    };
    const lookup = this.#lookup ?? (loadDns().lookup as LookupFunction);
    // ADDRCONFIG, as node:net asks: no IPv6 addresses on a machine with no IPv6 to reach them by.
    this.#options ??= { all: true, hints: loadDns().ADDRCONFIG };
    try {
      lookup(host, this.#options, answered as Parameters<LookupFunction>[2]);
    } catch (error) {
      answered(error, undefined);
    }
    returned = true;
  }

  /** Forgets every answer; lookups still running still tell their waiters. */
  clear(): void {
    this.#answers.clear();
  }

  /** For tests only: how many names are kept. */
  get size(): number {
    return this.#answers.size;
  }

  #keep(answer: HostAnswer): void {
    const answers = this.#answers;
    answers.delete(answer.host);
    if (answers.size >= HOST_ANSWER_LIMIT) {
      // Map order is insertion order: the first key is the answer kept longest.
      const oldest = answers.keys().next();
      if (oldest.done !== true) answers.delete(oldest.value);
    }
    answers.set(answer.host, answer);
  }

  #settle(answer: HostAnswer, error: unknown, addresses: unknown): void {
    const found = error == null ? hostAddresses(addresses) : [];
    if (found.length > 0) {
      answer.addresses = found;
    } else {
      answer.error = error ?? notFound(answer.host);
    }
    answer.expiresSeconds = this.#clock.seconds() + HOST_ANSWER_SECONDS;
    const kept = this.#answers.get(answer.host) === answer;
    // A "no such name" failure is an answer, kept like addresses. Any other (a resolver that
    // could not be reached, a process out of descriptors) fails only the connections that
    // shared the lookup, and the next connection asks again.
    const code = systemErrorCode(answer.error);
    if (
      kept &&
      answer.addresses === undefined &&
      (code === undefined || !NO_SUCH_NAME_CODES.has(code))
    ) {
      this.#answers.delete(answer.host);
    }
  }
}

function tell(waiters: ((answer: HostAnswer) => void)[], answer: HostAnswer): void {
  for (const waiter of waiters) waiter(answer);
}

/** A lookup's answer as addresses: `all: true` gives a list, a lookup that ignores it one string. */
function hostAddresses(addresses: unknown): HostAddress[] {
  const list = Array.isArray(addresses) ? addresses : [addresses];
  const found: HostAddress[] = [];
  for (const entry of list as unknown[]) {
    const address = typeof entry === 'string' ? entry : (entry as { address?: unknown })?.address;
    // Only IP literals: anything else would send node:net off to look it up again.
    const family = typeof address === 'string' ? net.isIP(address) : 0;
    if (family === 4 || family === 6) found.push({ address: address as string, family });
  }
  return found;
}

/** What a lookup that answered with no address at all amounts to. */
function notFound(host: string): Error {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
}
