// Calls into user code (protocols, producers, factories) so that what it throws is reported, not raised.

import type { Address, ErrorReporter, IProtocol, IProtocolFactory } from './interfaces.js';

/** The names of `T`'s methods, optional ones included. */
export type HookName<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends (...args: never[]) => unknown ? K : never;
}[keyof T] &
  string;
export type HookArg<F, N extends number> = F extends (...args: infer P) => unknown ? P[N] : never;
type HookResult<F> = F extends (...args: never[]) => infer R ? R : never;

/** What `callHook` returns when the hook threw (the exception has been reported). */
export const THREW: unique symbol = Symbol('threw');

/**
 * Calls `target[hook](a, b)` and returns what it returns; an exception it throws is reported
 * through `reporter` as coming from `Class.hook`, and THREW is returned instead. Every call
 * into a protocol, producer or factory goes through here, in the real reactor and the memory
 * one alike. The hook is named rather than wrapped in a closure, so guarding a call allocates
 * nothing.
 */
export function callHook<T extends object, K extends HookName<T>>(
  reporter: ErrorReporter,
  target: T,
  hook: K,
  a?: HookArg<T[K], 0>,
  b?: HookArg<T[K], 1>,
): HookResult<T[K]> | typeof THREW {
  try {
    const method = target[hook] as (this: T, a: unknown, b: unknown) => HookResult<T[K]>;
    return method.call(target, a, b);
  } catch (error) {
    reporter(error, `${target.constructor.name}.${hook}`);
    return THREW;
  }
}

/**
 * The protocol `factory` builds for a connection from `peer`, or null when it refuses (returns
 * null) or throws (reported): the connection then runs a bare Protocol and is aborted, so the
 * peer still gets its one connectionLost.
 */
export function buildProtocolOrNull(
  reporter: ErrorReporter,
  factory: IProtocolFactory,
  peer: Address,
): IProtocol | null {
  const built = callHook(reporter, factory, 'buildProtocol', peer);
  return built === THREW ? null : built;
}
