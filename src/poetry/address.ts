// Parses the poetry client's address arguments: PORT, HOST:PORT and [IPv6]:PORT.

import type { Address } from '../internet/interfaces.js';
import { InvalidAddressError } from './errors.js';

/**
 * The host a bare `PORT` means. `localhost` rather than the tutorial's 127.0.0.1: the reactor
 * tries 127.0.0.1 and then ::1 for it, without a lookup, so a server on either loopback address
 * is found, and one on 127.0.0.1 at the cost of `127.0.0.1:PORT`.
 */
export const DEFAULT_HOST = 'localhost';

const USAGE = 'expected PORT, HOST:PORT or [IPv6]:PORT';
const PORT_RANGE = 'the port must be a decimal number from 1 to 65535';

/** Host names and IPv4 literals: letters, digits, '-', '_' and dots, not starting with a dot. */
const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** Loose on purpose: the connect fails clearly on a bad literal; this only keeps junk out. */
const IPV6_LITERAL = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?$/;

/**
 * Parses one address argument. Throws `InvalidAddressError`, whose message names the argument
 * and the problem, for anything but a decimal port from 1 to 65535 with an optional host (an
 * IPv6 literal in brackets). A bare `PORT` connects to `defaultHost`.
 */
export function parseAddress(argument: string, defaultHost: string = DEFAULT_HOST): Address {
  if (argument === '') throw new InvalidAddressError(argument, `the address is empty; ${USAGE}`);

  if (argument.startsWith('[')) {
    const match = /^\[([^\]]*)\](.*)$/.exec(argument);
    if (match === null) throw new InvalidAddressError(argument, `no closing ']'; ${USAGE}`);
    const [, host = '', rest = ''] = match;
    if (!IPV6_LITERAL.test(host)) {
      throw new InvalidAddressError(argument, `'${host}' in brackets is not an IPv6 address`);
    }
    if (rest === '' || rest === ':') {
      throw new InvalidAddressError(argument, `missing port after ']'; ${USAGE}`);
    }
    if (!rest.startsWith(':')) throw new InvalidAddressError(argument, `expected ':' after ']'`);
    return { host, port: parsePort(argument, rest.slice(1)) };
  }

  const colon = argument.indexOf(':');
  if (colon === -1) {
    if (!/^\d+$/.test(argument)) {
      throw new InvalidAddressError(argument, `not a port number; ${USAGE}`);
    }
    return { host: defaultHost, port: parsePort(argument, argument) };
  }
  if (argument.indexOf(':', colon + 1) !== -1) {
    throw new InvalidAddressError(
      argument,
      'an IPv6 address needs brackets and a port, as in [::1]:10000',
    );
  }
  const host = argument.slice(0, colon);
  const port = argument.slice(colon + 1);
  if (host === '') throw new InvalidAddressError(argument, `missing host before ':'; ${USAGE}`);
  if (port === '') throw new InvalidAddressError(argument, `missing port after ':'; ${USAGE}`);
  if (!HOST_NAME.test(host)) {
    throw new InvalidAddressError(argument, `'${host}' is not a host name or IP address`);
  }
  return { host, port: parsePort(argument, port) };
}

/** Decimal digits only: Number() would also take '0x2711', '1e4' and ' 1'. */
function parsePort(argument: string, text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new InvalidAddressError(argument, PORT_RANGE);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new InvalidAddressError(argument, PORT_RANGE);
  return port;
}
