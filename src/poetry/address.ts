// The poetry client's address grammar: [tcp:]PORT, HOST:PORT, [IPv6]:PORT, tls:… and unix:PATH.

import { formatAddress } from '../internet/address.js';
import { InvalidAddressError } from './errors.js';

/**
 * The host a bare `PORT` means. `localhost` rather than the tutorial's 127.0.0.1: the reactor
 * tries 127.0.0.1 and then ::1 for it, without a lookup, so a server on either loopback address
 * is found, and one on 127.0.0.1 at the cost of `127.0.0.1:PORT`.
 */
export const DEFAULT_HOST = 'localhost';

/**
 * A server reached by host and port: over plain TCP when `transport` is left out or `'tcp'`, over
 * TLS when it is `'tls'`. A plain `{ host, port }` (an `Address`) is a TCP endpoint.
 */
export interface HostEndpoint {
  readonly transport?: 'tcp' | 'tls';
  readonly host: string;
  readonly port: number;
}

/** A server on a UNIX socket, reached by the socket file's path (relative to the working dir). */
export interface UNIXEndpoint {
  readonly transport: 'unix';
  readonly path: string;
}

/**
 * Where a poem is fetched from: what `parseAddress` makes of an argument, and what the Promise
 * API and the queue take. Named after Twisted's endpoints (`clientFromString`), of which these
 * are the three the poetry client speaks.
 */
export type Endpoint = HostEndpoint | UNIXEndpoint;

const USAGE = 'expected PORT, HOST:PORT, [IPv6]:PORT, tls:HOST:PORT or unix:PATH';
const PORT_RANGE = 'the port must be a decimal number from 1 to 65535';

/** The prefixes that name a transport, as Twisted's endpoint strings spell them. */
const TRANSPORT_PREFIX = /^(tcp|tls|unix):/i;
/** Host names and IPv4 literals: letters, digits, '-', '_' and dots, not starting with a dot. */
const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** Loose on purpose: the connect fails clearly on a bad literal; this only keeps junk out. */
const IPV6_LITERAL = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?$/;
/**
 * The first part of `WORD:…:…` when it reads as a misspelt transport rather than the first group
 * of an IPv6 address without brackets: a word that is not 1 to 4 hex digits.
 */
const TRANSPORT_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/**
 * Parses one address argument (or `--from` line). The forms:
 *
 *   PORT, HOST:PORT, [IPv6]:PORT     TCP (a bare PORT connects to `defaultHost`)
 *   tcp:PORT, tcp:HOST:PORT, …       the same, named (so a host called `tls` can be reached)
 *   tls:PORT, tls:HOST:PORT, tls:[IPv6]:PORT   TLS to that host and port
 *   unix:PATH                        a UNIX socket; the rest of the argument is the path
 *
 * The transport prefix is matched in any case. Throws `InvalidAddressError`, whose message names
 * the whole argument and the problem, for anything else: a port must be decimal, 1 to 65535.
 */
export function parseAddress(argument: string, defaultHost: string = DEFAULT_HOST): Endpoint {
  if (argument === '') throw new InvalidAddressError(argument, `the address is empty; ${USAGE}`);
  const prefix = TRANSPORT_PREFIX.exec(argument);
  if (prefix === null) return parseHostPort(argument, argument, defaultHost);
  const rest = argument.slice(prefix[0].length);
  const transport = prefix[1]!.toLowerCase();
  if (transport === 'unix') return { transport: 'unix', path: parseSocketPath(argument, rest) };
  if (rest === '') {
    throw new InvalidAddressError(argument, `missing PORT or HOST:PORT after '${prefix[0]}'`);
  }
  const { host, port } = parseHostPort(argument, rest, defaultHost);
  return transport === 'tls' ? { transport: 'tls', host, port } : { host, port };
}

/**
 * `host:port` for TCP (as `formatAddress`; `tcp:host:port` for a host called `tcp`, `tls` or
 * `unix`), `tls:host:port`, `unix:PATH`: the form every event, error and result of a fetch names
 * it by, and one `parseAddress` reads back as the same endpoint.
 */
export function formatEndpoint(endpoint: Endpoint): string {
  if (endpoint.transport === 'unix') return `unix:${endpoint.path}`;
  const address = formatAddress(endpoint.host, endpoint.port);
  if (endpoint.transport === 'tls') return `tls:${address}`;
  // A TCP host named like a transport (`tcp:tls:443`) keeps its prefix, or it would read back
  // as that transport.
  return TRANSPORT_PREFIX.test(address) ? `tcp:${address}` : address;
}

/** `text` (all of `argument`, or what follows its transport) as PORT, HOST:PORT or [IPv6]:PORT. */
function parseHostPort(
  argument: string,
  text: string,
  defaultHost: string,
): { host: string; port: number } {
  if (text.startsWith('[')) {
    const match = /^\[([^\]]*)\](.*)$/.exec(text);
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

  const colon = text.indexOf(':');
  if (colon === -1) {
    if (!/^\d+$/.test(text)) {
      throw new InvalidAddressError(argument, `not a port number; ${USAGE}`);
    }
    return { host: defaultHost, port: parsePort(argument, text) };
  }
  const host = text.slice(0, colon);
  if (text.indexOf(':', colon + 1) !== -1) {
    if (text === argument && TRANSPORT_LIKE.test(host) && !HEX_GROUP.test(host)) {
      throw new InvalidAddressError(
        argument,
        `unknown transport '${host}:'; expected tcp:, tls: or unix: before the address`,
      );
    }
    throw new InvalidAddressError(
      argument,
      'an IPv6 address needs brackets and a port, as in [::1]:10000',
    );
  }
  const port = text.slice(colon + 1);
  if (host === '') throw new InvalidAddressError(argument, `missing host before ':'; ${USAGE}`);
  if (port === '') throw new InvalidAddressError(argument, `missing port after ':'; ${USAGE}`);
  if (!HOST_NAME.test(host)) {
    throw new InvalidAddressError(argument, `'${host}' is not a host name or IP address`);
  }
  return { host, port: parsePort(argument, port) };
}

/**
 * A UNIX socket's path, taken as it is (colons and spaces included): only an empty path and a NUL
 * byte, which no file name can hold, are refused here; a path too long for a socket fails when
 * connecting, naming it.
 */
function parseSocketPath(argument: string, path: string): string {
  if (path === '')
    throw new InvalidAddressError(argument, "missing the socket's path after 'unix:'");
  if (path.includes('\0')) throw new InvalidAddressError(argument, 'the path holds a NUL byte');
  return path;
}

/** Decimal digits only: Number() would also take '0x2711', '1e4' and ' 1'. */
function parsePort(argument: string, text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new InvalidAddressError(argument, PORT_RANGE);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new InvalidAddressError(argument, PORT_RANGE);
  return port;
}
