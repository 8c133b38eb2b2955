// Hands a fetch's poem, failure or event to user code, so that what user code throws is reported.

import type { ErrorReporter } from '../internet/interfaces.js';

/** What user code a fetch calls: its callback, its errback, or its event listener. */
export type Recipient = 'callback' | 'errback' | 'listener';

/**
 * Calls `fn(value)`. An exception it throws goes to `reporter` (the reactor's `reportError`),
 * named after the function and its part (`gotPoem callback`, `onEvent listener` when the
 * function has no name), and no further: the fetch and the reactor carry on.
 */
export function deliver<T>(
  reporter: { reportError: ErrorReporter },
  recipient: Recipient,
  fn: (value: T) => void,
  value: T,
): void {
  try {
    fn(value);
  } catch (error) {
    const name = fn.name || (recipient === 'listener' ? 'onEvent' : 'poem');
    reporter.reportError(error, `${name} ${recipient}`);
  }
}
