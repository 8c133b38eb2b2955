// One tree of failures for the event layer, each with a stable `code` and the address it concerns.

export interface PoetryErrorOptions {
  /** `host:port` of the connection or port the failure concerns. */
  address?: string;
  cause?: unknown;
}

/** The root of every failure this package raises or hands to an errback. */
export class PoetryNowError extends Error {
  /** A stable identifier, safe to compare against; messages may change. */
  readonly code: string = 'ERR_POETRY_NOW';
  /** `host:port` of the connection or port the failure concerns, when there is one. */
  readonly address: string | undefined;

  constructor(message: string, options: PoetryErrorOptions = {}) {
    super(
      options.address === undefined ? message : `${options.address}: ${message}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = new.target.name;
    this.address = options.address;
  }
}

// ---------------------------------------------------------------- connecting

/** A connection could not be made. */
export class ConnectError extends PoetryNowError {
  override readonly code: string = 'ERR_CONNECT';
}

/** Nothing listens at the address (the peer answered with a reset). */
export class ConnectionRefusedError extends ConnectError {
  override readonly code: string = 'ERR_CONNECTION_REFUSED';
}

/** The host name could not be resolved to an address. */
export class DNSLookupError extends ConnectError {
  override readonly code: string = 'ERR_DNS_LOOKUP';
}

/** Something took longer than it was allowed to. */
export class TimeoutError extends ConnectError {
  override readonly code: string = 'ERR_TIMEOUT';
}

/** The connection was not made within the connect timeout. */
export class ConnectTimeoutError extends TimeoutError {
  override readonly code: string = 'ERR_CONNECT_TIMEOUT';
}

/** The connection attempt was given up by `stopConnecting`, `disconnect` or a cancel. */
export class UserCancelledError extends ConnectError {
  override readonly code: string = 'ERR_CANCELLED';
}

/**
 * The TLS handshake failed: the server is not speaking TLS, it broke off the handshake (a reset
 * or a close), or the two sides found nothing in common.
 */
export class TLSHandshakeError extends ConnectError {
  override readonly code: string = 'ERR_TLS_HANDSHAKE';
}

/** The server's certificate was refused; the subclasses say why. (Twisted's CertificateError.) */
export class CertificateError extends TLSHandshakeError {
  override readonly code: string = 'ERR_TLS_CERTIFICATE';
}

/** The certificate does not chain to a trusted CA. */
export class UntrustedCertificateError extends CertificateError {
  override readonly code: string = 'ERR_TLS_CERT_UNTRUSTED';
}

/** The certificate is signed by itself (or its chain ends in a CA nobody trusts). */
export class SelfSignedCertificateError extends UntrustedCertificateError {
  override readonly code: string = 'ERR_TLS_CERT_SELF_SIGNED';
}

/** The certificate's validity ended. */
export class ExpiredCertificateError extends CertificateError {
  override readonly code: string = 'ERR_TLS_CERT_EXPIRED';
}

/** The certificate is valid, but for other names than the host connected to. */
export class CertificateHostMismatchError extends CertificateError {
  override readonly code: string = 'ERR_TLS_CERT_HOST_MISMATCH';
}

// ---------------------------------------------------------------- connections ending

/** A connection ended; its subclasses say whether cleanly. */
export class ConnectionClosed extends PoetryNowError {
  override readonly code: string = 'ERR_CONNECTION_CLOSED';
}

/** The connection was closed cleanly (FIN after the last byte). Not a failure. */
export class ConnectionDone extends ConnectionClosed {
  override readonly code: string = 'ERR_CONNECTION_DONE';
}

/** The connection ended abnormally: reset, broken, or aborted. */
export class ConnectionLost extends ConnectionClosed {
  override readonly code: string = 'ERR_CONNECTION_LOST';
}

/** This side aborted the connection (`abortConnection`), dropping anything unsent. */
export class ConnectionAborted extends ConnectionLost {
  override readonly code: string = 'ERR_CONNECTION_ABORTED';
}

// ---------------------------------------------------------------- listening and the reactor

/** A port could not be listened on: in use, a bad interface, no permission. */
export class CannotListenError extends PoetryNowError {
  override readonly code: string = 'ERR_CANNOT_LISTEN';
}

/** The address is taken: a TCP port bound already, or a UNIX socket file that answers. */
export class AddressInUseError extends CannotListenError {
  override readonly code: string = 'ERR_ADDRESS_IN_USE';
}

/**
 * TLS options that cannot be used: a certificate, key or CA that is not PEM, or a key that does
 * not match its certificate.
 */
export class TLSConfigError extends PoetryNowError {
  override readonly code: string = 'ERR_TLS_CONFIG';
}

/** `stop()` was called on a reactor that is not running. */
export class ReactorNotRunningError extends PoetryNowError {
  override readonly code: string = 'ERR_REACTOR_NOT_RUNNING';
}

/** `run()` was called on a reactor that is already running. */
export class ReactorAlreadyRunningError extends PoetryNowError {
  override readonly code: string = 'ERR_REACTOR_ALREADY_RUNNING';
}

/** A delayed call was cancelled, reset or delayed after it had already run. */
export class AlreadyCalledError extends PoetryNowError {
  override readonly code: string = 'ERR_ALREADY_CALLED';
}

/** A delayed call was cancelled, reset or delayed after it had been cancelled. */
export class AlreadyCancelledError extends PoetryNowError {
  override readonly code: string = 'ERR_ALREADY_CANCELLED';
}

/** The errno-style code of a Node.js system error, if it has one. */
export function systemErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    // Node's happy-eyeballs connect rejects with an AggregateError of per-address errors.
    const errors = (error as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0)
      return systemErrorCode(errors[errors.length - 1]);
  }
  return undefined;
}

/**
 * `error` as a `PoetryNowError`, so that every failure handed to user code (an errback, a
 * rejected result, a `failed` event) has a `code` and an `address`: itself when it is one
 * already, otherwise `wrap(error, address)`, which keeps `error` as the `cause`. The default
 * wrap makes a plain `PoetryNowError` (`ERR_POETRY_NOW`) whose message is `error`'s in plain
 * words; a caller that knows what failed passes a closer one (`connectErrorFrom`,
 * `connectionLostFrom`).
 */
export function asPoetryError(
  error: unknown,
  address: string | undefined,
  wrap: (error: unknown, address: string) => PoetryNowError = foreignError,
): PoetryNowError {
  if (error instanceof PoetryNowError) return error;
  return wrap(error, address ?? '');
}

function foreignError(error: unknown, address: string): PoetryNowError {
  return new PoetryNowError(describeSystemError(error), {
    address: address === '' ? undefined : address,
    cause: error,
  });
}

/** Turns a Node.js connect error into the matching `ConnectError`. */
export function connectErrorFrom(error: unknown, address: string): ConnectError {
  const code = systemErrorCode(error);
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectionRefusedError('connection refused', { address, cause: error });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NODATA':
    case 'EAI_NONAME':
      return new DNSLookupError('host name not found', { address, cause: error });
    case 'ETIMEDOUT':
      return new ConnectTimeoutError('connection timed out', { address, cause: error });
    default:
      return new ConnectError(describeSystemError(error), { address, cause: error });
  }
}

/** Turns a failure to listen into a `CannotListenError` (`AddressInUseError` when taken). */
export function cannotListenErrorFrom(error: unknown, address: string): CannotListenError {
  const message = `cannot listen: ${describeSystemError(error)}`;
  return systemErrorCode(error) === 'EADDRINUSE'
    ? new AddressInUseError(message, { address, cause: error })
    : new CannotListenError(message, { address, cause: error });
}

/**
 * The codes of a host name lookup that answered "no such name": an answer, the same next time
 * (so kept by the resolver and not retried), unlike a resolver that could not be reached.
 */
export const NO_SUCH_NAME_CODES: ReadonlySet<string> = new Set([
  'ENOTFOUND',
  'EAI_NONAME',
  'EAI_NODATA',
]);

/** Turns a failed host name lookup into a `DNSLookupError` for the connection to `address`. */
export function dnsLookupErrorFrom(error: unknown, address: string): DNSLookupError {
  const code = systemErrorCode(error);
  if (code !== undefined && NO_SUCH_NAME_CODES.has(code)) {
    return new DNSLookupError('host name not found', { address, cause: error });
  }
  return new DNSLookupError(`host name lookup failed: ${describeSystemError(error)}`, {
    address,
    cause: error,
  });
}

/** Turns the error that ended an open connection into a `ConnectionLost`. */
export function connectionLostFrom(error: unknown, address: string | undefined): ConnectionLost {
  return new ConnectionLost(describeSystemError(error), { address, cause: error });
}

const plainWords: Record<string, string> = {
  ECONNRESET: 'connection reset by peer',
  EPIPE: 'connection broken (peer went away)',
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this machine',
  EACCES: 'permission denied',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
};

/** A short description of a system error in plain words. */
export function describeSystemError(error: unknown): string {
  const code = systemErrorCode(error);
  if (code !== undefined && code in plainWords) return plainWords[code]!;
  if (error instanceof Error && error.message !== '') return error.message;
  return code ?? String(error);
}
