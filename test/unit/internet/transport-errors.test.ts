// How TLS, UNIX and listening failures map to the error tree: from Node's codes, no sockets.

import { describe, expect, it } from 'vitest';
import {
  AddressInUseError,
  CannotListenError,
  CertificateError,
  CertificateHostMismatchError,
  ConnectError,
  ConnectionRefusedError,
  ConnectTimeoutError,
  cannotListenErrorFrom,
  ExpiredCertificateError,
  SelfSignedCertificateError,
  TLSHandshakeError,
  UntrustedCertificateError,
} from '../../../src/internet/errors.js';
import { tlsConnectErrorFrom } from '../../../src/internet/tls.js';
import { unixConnectErrorFrom } from '../../../src/internet/unix.js';

function nodeError(code: string): Error {
  return Object.assign(new Error(`${code} from node`), { code });
}

describe('TLS connect failures', () => {
  it.each([
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', UntrustedCertificateError, 'ERR_TLS_CERT_UNTRUSTED'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', UntrustedCertificateError, 'ERR_TLS_CERT_UNTRUSTED'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', SelfSignedCertificateError, 'ERR_TLS_CERT_SELF_SIGNED'],
    ['SELF_SIGNED_CERT_IN_CHAIN', SelfSignedCertificateError, 'ERR_TLS_CERT_SELF_SIGNED'],
    ['CERT_HAS_EXPIRED', ExpiredCertificateError, 'ERR_TLS_CERT_EXPIRED'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', CertificateHostMismatchError, 'ERR_TLS_CERT_HOST_MISMATCH'],
    ['CERT_NOT_YET_VALID', CertificateError, 'ERR_TLS_CERTIFICATE'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', TLSHandshakeError, 'ERR_TLS_HANDSHAKE'],
    ['ECONNRESET', TLSHandshakeError, 'ERR_TLS_HANDSHAKE'],
    ['ECONNREFUSED', ConnectionRefusedError, 'ERR_CONNECTION_REFUSED'],
    ['ETIMEDOUT', ConnectTimeoutError, 'ERR_CONNECT_TIMEOUT'],
  ] as const)(
    'reads %s as %s, a ConnectError naming the address with Node’s error as cause',
    (code, type, stable) => {
      const cause = nodeError(code);
      const error = tlsConnectErrorFrom(cause, 'localhost:10000');
      expect(error).toBeInstanceOf(type);
      expect(error).toBeInstanceOf(ConnectError);
      expect(error.code).toBe(stable);
      expect(error.address).toBe('localhost:10000');
      expect(error.cause).toBe(cause);
      expect(error.message.startsWith('localhost:10000: ')).toBe(true);
    },
  );

  it('keeps certificate failures apart from other handshake failures', () => {
    expect(tlsConnectErrorFrom(nodeError('ECONNRESET'), 'a:1')).not.toBeInstanceOf(
      CertificateError,
    );
    expect(tlsConnectErrorFrom(nodeError('CERT_HAS_EXPIRED'), 'a:1')).toBeInstanceOf(
      TLSHandshakeError,
    );
  });
});

describe('UNIX connect failures', () => {
  it.each(['ENOENT', 'ECONNREFUSED', 'EAGAIN'])('reads %s as ConnectionRefusedError', (code) => {
    const error = unixConnectErrorFrom(nodeError(code), '/run/poems.sock');
    expect(error).toBeInstanceOf(ConnectionRefusedError);
    expect(error.address).toBe('/run/poems.sock');
  });

  it('reads anything else as the matching ConnectError', () => {
    const error = unixConnectErrorFrom(nodeError('EACCES'), '/run/poems.sock');
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).not.toBeInstanceOf(ConnectionRefusedError);
    expect(error.message).toBe('/run/poems.sock: permission denied');
  });
});

describe('listening failures', () => {
  it('reads EADDRINUSE as AddressInUseError, and the rest as CannotListenError', () => {
    const inUse = cannotListenErrorFrom(nodeError('EADDRINUSE'), '127.0.0.1:10000');
    expect(inUse).toBeInstanceOf(AddressInUseError);
    expect(inUse).toBeInstanceOf(CannotListenError);
    expect(inUse.code).toBe('ERR_ADDRESS_IN_USE');
    expect(inUse.message).toBe('127.0.0.1:10000: cannot listen: address already in use');
    const denied = cannotListenErrorFrom(nodeError('EACCES'), '127.0.0.1:80');
    expect(denied).not.toBeInstanceOf(AddressInUseError);
    expect(denied.code).toBe('ERR_CANNOT_LISTEN');
  });
});
