// Retrying a failed fetch as Twisted's ReconnectingClientFactory does: which failures, how long to wait.

import { NO_SUCH_NAME_CODES, systemErrorCode } from '../internet/errors.js';
import { checkDelay } from '../internet/limits.js';

/** The first wait before a retry, unless told otherwise. */
export const DEFAULT_RETRY_DELAY_SECONDS = 0.5;
/** Each wait is the one before times this, unless told otherwise. */
export const DEFAULT_RETRY_FACTOR = 2;
/** Each wait is moved by up to this fraction of itself, either way, unless told otherwise. */
export const DEFAULT_RETRY_JITTER = 0.1;
/** No wait is longer than this, unless told otherwise. */
export const DEFAULT_RETRY_MAX_DELAY_SECONDS = 10;
/** Retries when `retries` is given as an object without `maxRetries`. */
export const DEFAULT_MAX_RETRIES = 3;

/**
 * How a failed fetch is tried again. Retry n (from 1) waits
 * `min(maxDelaySeconds, initialDelaySeconds * factor ** (n - 1))`, moved by a uniformly random
 * fraction of itself in `[-jitter, +jitter]` (so many clients retrying at once spread out), and
 * again at most `maxDelaySeconds`.
 */
export interface RetryOptions {
  /** Tries after the first (a whole number >= 0). Default 3. */
  maxRetries?: number;
  /** The wait before the first retry, in seconds. Default 0.5. */
  initialDelaySeconds?: number;
  /** Each wait is the one before times this (a number >= 1). Default 2. */
  factor?: number;
  /** A fraction in [0, 1]: how far each wait may be moved either way. Default 0.1. */
  jitter?: number;
  /** The longest wait, in seconds. Default 10. */
  maxDelaySeconds?: number;
  /** A source of numbers in [0, 1) for the jitter. Default `Math.random`; tests inject one. */
  random?: () => number;
}

/** The retry settings of a fetch, checked and defaulted. `maxRetries` 0: no retry. */
export interface RetrySettings {
  readonly maxRetries: number;
  readonly initialDelaySeconds: number;
  readonly factor: number;
  readonly jitter: number;
  readonly maxDelaySeconds: number;
  readonly random: () => number;
}

/**
 * Checks and defaults the `retries` option: a number is `maxRetries` with the default waits.
 * Throws RangeError naming the option for a value out of range, as every option check does.
 */
export function checkRetryOptions(
  retries: number | RetryOptions | undefined,
  name = 'retries',
): RetrySettings {
  const options: RetryOptions =
    retries === undefined
      ? { maxRetries: 0 }
      : typeof retries === 'object' && retries !== null
        ? retries
        : { maxRetries: retries };
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (typeof maxRetries !== 'number' || !Number.isSafeInteger(maxRetries) || maxRetries < 0) {
    const where = typeof retries === 'object' ? `${name}.maxRetries` : name;
    throw new RangeError(`${where} must be a whole number >= 0, not ${String(maxRetries)}`);
  }
  const factor = options.factor ?? DEFAULT_RETRY_FACTOR;
  if (typeof factor !== 'number' || !(factor >= 1) || factor === Number.POSITIVE_INFINITY) {
    throw new RangeError(`${name}.factor must be a finite number >= 1, not ${String(factor)}`);
  }
  const jitter = options.jitter ?? DEFAULT_RETRY_JITTER;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new RangeError(`${name}.jitter must be a number from 0 to 1, not ${String(jitter)}`);
  }
  const random = options.random ?? Math.random;
  if (typeof random !== 'function') throw new RangeError(`${name}.random must be a function`);
  return {
    maxRetries,
    initialDelaySeconds: checkDelay(
      options.initialDelaySeconds ?? DEFAULT_RETRY_DELAY_SECONDS,
      `${name}.initialDelaySeconds`,
    ),
    factor,
    jitter,
    maxDelaySeconds: checkDelay(
      options.maxDelaySeconds ?? DEFAULT_RETRY_MAX_DELAY_SECONDS,
      `${name}.maxDelaySeconds`,
    ),
    random,
  };
}

/** The wait before retry `retry` (from 1), in seconds (see `RetryOptions`). */
export function retryDelaySeconds(settings: RetrySettings, retry: number): number {
  const cap = settings.maxDelaySeconds;
  const delay = Math.min(cap, settings.initialDelaySeconds * settings.factor ** (retry - 1));
  const moved = delay * (1 + settings.jitter * (2 * settings.random() - 1));
  return Math.min(cap, Math.max(0, moved));
}

/**
 * The failures worth another try, by their stable `code`: the server or the path to it may be
 * back in a moment. Anything not named here is never retried, so a failure class added later (a
 * certificate refused, say) is final until it is added on purpose.
 */
const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'ERR_CONNECTION_REFUSED',
  'ERR_CONNECT_TIMEOUT',
  'ERR_IDLE_TIMEOUT',
  'ERR_CONNECTION_LOST',
]);

/** System errors behind a plain `ConnectError` that say the path may work a moment later. */
const RETRYABLE_SYSTEM_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * Whether a fetch that failed with `error` may be tried again: a refused, reset or broken
 * connection (a poem cut short by a `ConnectionLost`), a connect or idle timeout, a host name
 * lookup that failed for a reason other than "not found". Never a poem too large, an empty poem
 * (a clean close), a sink failure, the total timeout, a cancel, or a code not known here.
 */
export function isRetryable(error: unknown): boolean {
  const code = systemErrorCode(error);
  if (code === undefined) return false;
  if (RETRYABLE_CODES.has(code)) return true;
  switch (code) {
    case 'ERR_POEM_INCOMPLETE':
      // Cut short by the network, not by this side (a cap or a timeout has its own code).
      return systemErrorCode((error as Error).cause) === 'ERR_CONNECTION_LOST';
    case 'ERR_DNS_LOOKUP': {
      const system = systemErrorCode((error as Error).cause);
      // "No such name", or a resolver's non-recoverable failure: asking again gives the same.
      return system !== undefined && !NO_SUCH_NAME_CODES.has(system) && system !== 'EAI_FAIL';
    }
    case 'ERR_CONNECT': {
      const system = systemErrorCode((error as Error).cause);
      return system !== undefined && RETRYABLE_SYSTEM_CODES.has(system);
    }
    default:
      return false;
  }
}
