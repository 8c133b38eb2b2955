// TLS over the TCP adapter: how its sockets are opened and accepted, and what its failures mean.
// The only module of the project that imports node:tls.

import { X509Certificate } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { formatAddress } from './address.js';
import {
  CertificateError,
  CertificateHostMismatchError,
  type ConnectError,
  connectErrorFrom,
  describeSystemError,
  ExpiredCertificateError,
  SelfSignedCertificateError,
  systemErrorCode,
  TLSConfigError,
  TLSHandshakeError,
  UntrustedCertificateError,
} from './errors.js';
import type { Address, PEM, TLSConnectOptions, TLSListenOptions } from './interfaces.js';
import { checkTimeout } from './limits.js';
import type { ClientSocketKind, ServerSocketKind } from './tcp.js';

/** setTimeout's longest delay, in milliseconds. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Node's default handshake timeout is 120 s; a client that has not finished in 30 never will. */
const DEFAULT_HANDSHAKE_TIMEOUT_SECONDS = 30;

/** OpenSSL's verification results, by what they mean for the user. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
]);
const SELF_SIGNED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CRL_HAS_EXPIRED']);
/** The rest of OpenSSL's X509_V_ERR_ names that a certificate can earn. */
const OTHER_CERTIFICATE = new Set([
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'CERT_CHAIN_TOO_LONG',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'HOSTNAME_MISMATCH',
  'IP_ADDRESS_MISMATCH',
]);
/** Failures of the TCP connection under the handshake, which mean what they mean for TCP. */
const TCP_FAILURES = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'EMFILE',
  'ENFILE',
]);

/**
 * A failed TLS connection attempt as the matching ConnectError: a refused certificate as a
 * CertificateError, a handshake broken off or garbled as TLSHandshakeError, a TCP failure as
 * for TCP. Node's error is the `cause`.
 */
export function tlsConnectErrorFrom(error: unknown, address: string): ConnectError {
  const code = systemErrorCode(error) ?? '';
  const reason = describeSystemError(error);
  const options = { address, cause: error };
  if (UNTRUSTED.has(code)) {
    return new UntrustedCertificateError(`untrusted certificate: ${reason}`, options);
  }
  if (SELF_SIGNED.has(code)) {
    return new SelfSignedCertificateError(`untrusted certificate: ${reason}`, options);
  }
  if (EXPIRED.has(code)) return new ExpiredCertificateError(`certificate expired`, options);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new CertificateHostMismatchError(`certificate is for another host: ${reason}`, options);
  }
  if (OTHER_CERTIFICATE.has(code)) {
    return new CertificateError(`certificate refused: ${reason}`, options);
  }
  if (TCP_FAILURES.has(code)) return connectErrorFrom(error, address);
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new TLSHandshakeError('connection closed during the TLS handshake', options);
  }
  return new TLSHandshakeError(`TLS handshake failed: ${handshakeReason(code, reason)}`, options);
}

/**
 * OpenSSL's reason in plain words, from Node's `ERR_SSL_*` code (OpenSSL's reason, upper-cased):
 * the message is OpenSSL's whole error line, with its source file and a line break.
 */
function handshakeReason(code: string, message: string): string {
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') return 'wrong version number (not a TLS server?)';
  if (code.startsWith('ERR_SSL_')) return code.slice(8).toLowerCase().replaceAll('_', ' ');
  return message.trim().split('\n')[0] ?? message;
}

/** Secure contexts by their CA text: one is costly to make, and fetches share a few. */
const clientContexts = new Map<string, tls.SecureContext>();
/** Contexts by the very bytes a caller passed as `ca`. */
const contextsByBytes = new WeakMap<Uint8Array, tls.SecureContext>();
/** The context that trusts Node's default CAs, made when first needed. */
let defaultClientContext: tls.SecureContext | undefined;
/** Few callers trust more than one or two sets of CAs; past this, the oldest is made again. */
const MAX_CLIENT_CONTEXTS = 16;

/** The client context that trusts `ca`, or Node's default CAs; throws TLSConfigError. */
function clientContext(ca: PEM | undefined): tls.SecureContext {
  if (ca === undefined) {
    defaultClientContext ??= tls.createSecureContext();
    return defaultClientContext;
  }
  // The same bytes are usually passed to every connection: known by identity, they are not
  // decoded again.
  const known = typeof ca === 'string' ? undefined : contextsByBytes.get(ca);
  if (known !== undefined) return known;
  const text = pemText(ca);
  let context = clientContexts.get(text);
  if (context === undefined) context = newClientContext(text);
  if (typeof ca !== 'string') contextsByBytes.set(ca, context);
  return context;
}

function newClientContext(text: string): tls.SecureContext {
  checkCertificates(text, 'ca');
  let context: tls.SecureContext;
  try {
    context = tls.createSecureContext({ ca: text });
  } catch (error) {
    throw new TLSConfigError(`unusable ca: ${describeSystemError(error)}`, { cause: error });
  }
  if (clientContexts.size >= MAX_CLIENT_CONTEXTS) {
    clientContexts.delete(clientContexts.keys().next().value as string);
  }
  clientContexts.set(text, context);
  return context;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The PEM certificate blocks of `text`, in order (a CA bundle may hold several); maybe none. */
export function pemCertificates(text: string): string[] {
  return text.match(PEM_CERTIFICATE) ?? [];
}

/** Throws TLSConfigError unless `text` holds PEM certificates, every one of them readable. */
function checkCertificates(text: string, what: string): void {
  const blocks = pemCertificates(text);
  if (blocks.length === 0) throw new TLSConfigError(`${what} holds no PEM certificate`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new TLSConfigError(`${what} holds a certificate that cannot be read`, {
        cause: error,
      });
    }
  }
}

/** The TCP socket under a TLS socket, kept on it so that an abort can reset it. */
const kRaw = Symbol('rawSocket');
type TLSOverRaw = net.Socket & { [kRaw]?: net.Socket };
/** The TLS socket over a TCP socket, for the TCP socket's error listener. */
const kTLS = Symbol('tlsSocket');
type RawUnderTLS = net.Socket & { [kTLS]?: net.Socket };

/**
 * A TCP socket's error (a write of nothing that found it reset, see TCPTransport.#ended) ends
 * the TLS socket over it with that error, so the transport hears of it.
 */
function rawSocketError(this: RawUnderTLS, error: Error): void {
  this[kTLS]?.destroy(error);
}

function underlyingTCP(socket: net.Socket): net.Socket | undefined {
  const raw = (socket as TLSOverRaw)[kRaw];
  return raw === undefined || raw.destroyed ? undefined : raw;
}

/**
 * Resets the TCP connection under a TLS socket. A TLS socket cannot be reset itself, and a bare
 * close would not do: Node cannot tell a TCP FIN from TLS's close_notify, so the peer would take
 * the cut stream for a whole one. The reset waits for the next turn of the loop: closing the
 * TCP handle from inside one of the TLS layer's callbacks (an abort from connectionMade, say)
 * crashes Node 20. The TLS socket closes when the TCP one does.
 */
function resetUnderTLS(socket: net.Socket): void {
  const raw = (socket as TLSOverRaw)[kRaw];
  if (raw === undefined) socket.destroy();
  else setImmediate(resetRaw, raw, socket);
}

function resetRaw(raw: net.Socket, socket: net.Socket): void {
  // Once the TLS socket has been ended and has handed all its writes down, its shutdown of the
  // TCP socket may have been issued (it is, even while a reader that reads nothing holds the
  // bytes before it), and libuv refuses a reset after that: the TCP handle would never close,
  // nor the TLS socket over it. Close plainly then; what was written is in the kernel already.
  const shutDown = socket.writableFinished || (socket.writableEnded && socket.writableLength === 0);
  if (!raw.destroyed && !shutDown) raw.resetAndDestroy();
  socket.destroy();
}

/**
 * How a TLS connector opens its sockets: a TCP socket with the options a TCP connector would
 * use, and TLS over it with the secure context and the server's name (SNI, and the name its
 * certificate must hold; an IP literal is checked against the certificate's IP addresses and
 * sent as no SNI). The TCP socket is opened here rather than by tls.connect so that an abort can
 * reset it; tls.connect then ignores `onread`, so a TLS connection lends no read buffer. Throws
 * TLSConfigError for a `ca` that holds no usable certificate.
 */
export function tlsClientKind(options: TLSConnectOptions): ClientSocketKind {
  const secureContext = clientContext(options.ca);
  const rejectUnauthorized = options.insecure !== true;
  return {
    open(socketOptions: net.TcpNetConnectOpts, destination: Address): net.Socket {
      const { onread: _unused, ...tcpOptions } = socketOptions;
      // The TLS socket takes allowHalfOpen from the TCP socket under it.
      const raw: RawUnderTLS = net.connect(tcpOptions);
      const name = destination.host;
      const socket: TLSOverRaw = tls.connect({
        socket: raw,
        host: socketOptions.host,
        secureContext,
        rejectUnauthorized,
        checkServerIdentity,
        ...(net.isIP(name) === 0 ? { servername: name } : {}),
      });
      socket[kRaw] = raw;
      raw[kTLS] = socket;
      raw.on('error', rawSocketError);
      return socket;
    },
    connectedEvent: 'secureConnect',
    direct: (destination) => net.isIP(destination.host) !== 0,
    connectError: tlsConnectErrorFrom,
    label: (destination) => formatAddress(destination.host, destination.port),
    peerIsDestination: false,
    lendsReadBuffer: false,
    resetSocket: resetUnderTLS,
    underlying: underlyingTCP,
  };
}

/**
 * tls.checkServerIdentity, but an IPv6 literal is first looked for among the certificate's IP
 * addresses by the certificate itself (X509Certificate.checkIP). Some Node releases (22.23,
 * 24.17 and 24.18, 26.4: nodejs/node#64144) never match an IPv6 host against an IP address
 * the certificate holds, and would refuse every such server as "for another host". Only a match is
 * taken from checkIP; anything else is Node's to decide, as is every name and IPv4 host.
 */
export function checkServerIdentity(host: string, cert: tls.PeerCertificate): Error | undefined {
  if (net.isIPv6(host) && cert.raw !== undefined) {
    try {
      if (new X509Certificate(cert.raw).checkIP(host) !== undefined) return undefined;
    } catch {
      // A runtime without checkIP, or a certificate it cannot read: Node's check says why.
    }
  }
  return tls.checkServerIdentity(host, cert);
}

/** A TLS server's TCP connections still handshaking, by peer, on each of them. */
const kHandshaking = Symbol('handshaking');
type HandshakingSocket = net.Socket & { [kHandshaking]?: Map<string, net.Socket> };

function peerKey(socket: net.Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}

function forgetHandshake(this: HandshakingSocket): void {
  const handshaking = this[kHandshaking];
  const key = peerKey(this);
  if (handshaking?.get(key) === this) handshaking.delete(key);
}

/**
 * How a TLS port listens: a tls.Server with the certificate and key, whose connections are
 * handed over once their handshake is done. A handshake that fails or outlasts
 * `handshakeTimeout` ends that connection only (the protocol never hears of it). Throws
 * TLSConfigError when the certificate or key cannot be used.
 */
export function tlsServerKind(options: TLSListenOptions): ServerSocketKind {
  const identity = { cert: pemText(options.cert), key: pemText(options.key) };
  try {
    // Made here only to find out now whether the pair is usable; the server makes its own.
    tls.createSecureContext(identity);
  } catch (error) {
    throw new TLSConfigError(`unusable certificate or key: ${describeSystemError(error)}`, {
      cause: error,
    });
  }
  const handshakeSeconds = checkTimeout(
    options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT_SECONDS,
    'handshakeTimeout',
  );
  // Node reads 0 as its default of 120 s: "none" is the longest a timer holds.
  const handshakeTimeout =
    handshakeSeconds === 0
      ? MAX_TIMER_MS
      : Math.min(MAX_TIMER_MS, Math.ceil(handshakeSeconds * 1000));
  /** Each server's TCP connections still handshaking, for a port that stops to end. */
  const pending = new WeakMap<net.Server, Map<string, net.Socket>>();
  return {
    createServer(serverOptions: net.ServerOpts): net.Server {
      // Half-open only once the handshake is done: a reader that sends its FIN while still
      // handshaking (a client that refused our certificate closes so) would otherwise leave
      // its socket open until the handshake timeout, as Node reads that FIN for a half-close.
      const halfOpen = serverOptions.allowHalfOpen === true;
      const server = tls.createServer({
        ...serverOptions,
        allowHalfOpen: false,
        ...identity,
        handshakeTimeout,
      });
      // A TLS socket does not say which TCP socket it runs over, but both name the same peer.
      const handshaking = new Map<string, net.Socket>();
      pending.set(server, handshaking);
      server.on('connection', (socket: HandshakingSocket & RawUnderTLS) => {
        handshaking.set(peerKey(socket), socket);
        socket[kHandshaking] = handshaking;
        socket.on('close', forgetHandshake);
        socket.on('error', rawSocketError);
      });
      // Without a listener, Node leaves a socket whose handshake timed out open.
      server.on('tlsClientError', endFailedHandshake);
      // Before the port's own listener, which hands the socket to a transport.
      server.on('secureConnection', (socket: TLSOverRaw) => {
        socket.allowHalfOpen = halfOpen;
        const key = peerKey(socket);
        const raw: RawUnderTLS | undefined = handshaking.get(key);
        handshaking.delete(key);
        if (raw === undefined) return;
        socket[kRaw] = raw;
        raw[kTLS] = socket;
      });
      return server;
    },
    connectionEvent: 'secureConnection',
    listenOptions: (port, host, backlog) => ({ port, host, backlog }),
    label: (port, host) => formatAddress(host, port),
    stopAccepting(server: net.Server): void {
      const handshaking = pending.get(server);
      if (handshaking === undefined) return;
      // Handshakes under way, which no protocol has heard of.
      for (const socket of [...handshaking.values()]) socket.destroy();
    },
    resetSocket: resetUnderTLS,
    underlying: underlyingTCP,
  };
}

/** A reader whose handshake failed or timed out: no protocol has heard of it; it is ended. */
function endFailedHandshake(_error: Error, socket: tls.TLSSocket): void {
  socket.destroy();
}

function pemText(pem: PEM): string {
  return typeof pem === 'string' ? pem : Buffer.from(pem).toString();
}
