// Numbers, times and failures as the timeline (and the commands' output) write them.

import type { FailedEvent } from '../poetry/events.js';
import { oneLine } from './escape.js';

/** A whole number with thousands separators, the same on every machine (no locale). */
export function formatCount(value: number): string {
  const sign = value < 0 ? '-' : '';
  const digits = String(Math.abs(Math.round(value)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `n` and the noun that goes with it: "1 poem", "1,024 bytes". */
export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** Seconds since the start, to the millisecond. */
export function sec(seconds: number): string {
  return seconds.toFixed(3);
}

/** A value for `data-seconds`: seconds since the start, to the microsecond. */
export function dataSeconds(seconds: number): string {
  return String(Number(seconds.toFixed(6)));
}

/** The error's class and message, without the `host:port: ` the message starts with. */
export function failureReason(event: FailedEvent): string {
  const error = event.error as Error | undefined;
  if (error === undefined || error === null) return 'failed';
  let message = oneLine(String(error.message ?? ''));
  // The error may name the address it resolved to rather than the one asked for.
  const errorAddress = (error as { address?: unknown }).address;
  for (const address of [errorAddress, event.address]) {
    if (typeof address !== 'string' || address === '') continue;
    if (message.startsWith(`${address}: `)) message = message.slice(address.length + 2);
  }
  const name = oneLine(String(error.name ?? ''));
  if (name === '' || name === 'Error') return message === '' ? 'failed' : message;
  return message === '' ? name : `${name}: ${message}`;
}
