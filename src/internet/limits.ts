// The checks every option of seconds, bytes or counts goes through, so one rule holds for all.
//
// Three kinds of number, each with one rule:
//
//   a limit   a timeout or a size cap: a number >= 0, where 0 and Infinity both mean "no limit"
//   a delay   how long to wait before acting (callLater, a server's pace, a grace period): a
//             finite number of seconds >= 0; Infinity is a RangeError, not "never" (a call that
//             should never run is not scheduled, and a limit that should never fire is 0)
//   a count   how many (concurrency, bytes per chunk, connections): a whole number >= 1
//
// Anything else (negative, NaN, not a number at all) throws a RangeError that names the option,
// so a typo fails where it is made instead of as a strange timeout later. Each check takes the
// value and then the option's name, and returns the value to use.

/** How a rejected value reads in a message: a string in quotes, so "5" is not taken for 5. */
function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function checkLimit(value: unknown, name: string, unit: string): number {
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new RangeError(
      `${name} must be a number of ${unit} >= 0 (0 or Infinity for no limit), not ${shown(value)}`,
    );
  }
  return value;
}

/**
 * A timeout, in seconds: 0 or Infinity for none. Returns it with "none" as 0, the form that
 * code arming a timer tests with `> 0`.
 */
export function checkTimeout(seconds: unknown, name: string): number {
  const limit = checkLimit(seconds, name, 'seconds');
  return limit === Number.POSITIVE_INFINITY ? 0 : limit;
}

/**
 * A size cap, in bytes: 0 or Infinity for none. Returns it with "none" as Infinity, the form
 * that a test of `total > cap` needs.
 */
export function checkByteLimit(bytes: unknown, name: string): number {
  const limit = checkLimit(bytes, name, 'bytes');
  return limit === 0 ? Number.POSITIVE_INFINITY : limit;
}

/** A delay, in seconds: finite and >= 0. Returns it. */
export function checkDelay(seconds: unknown, name = 'a delay'): number {
  if (typeof seconds !== 'number' || !(seconds >= 0) || seconds === Number.POSITIVE_INFINITY) {
    throw new RangeError(`${name} must be a finite number of seconds >= 0, not ${shown(seconds)}`);
  }
  return seconds;
}

/** A count: a whole number >= 1. Returns it. */
export function checkCount(count: unknown, name: string): number {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
    throw new RangeError(`${name} must be a whole number >= 1, not ${shown(count)}`);
  }
  return count;
}
