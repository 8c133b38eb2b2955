import { describe, expect, it } from 'vitest';
import {
  CannotListenError,
  ConnectError,
  ConnectionAborted,
  ConnectionClosed,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  ConnectTimeoutError,
  connectErrorFrom,
  DNSLookupError,
  describeSystemError,
  dnsLookupErrorFrom,
  NO_SUCH_NAME_CODES,
  PoetryNowError,
  TimeoutError,
} from '../../../src/internet/errors.js';

function systemError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code} something`), { code });
}

describe('the error tree', () => {
  it('gives each failure a name, a stable code, its address and its cause', () => {
    const cause = systemError('ECONNREFUSED');
    const error = new ConnectionRefusedError('connection refused', {
      address: '127.0.0.1:1',
      cause,
    });
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toBeInstanceOf(PoetryNowError);
    expect(error.name).toBe('ConnectionRefusedError');
    expect(error.code).toBe('ERR_CONNECTION_REFUSED');
    expect(error.address).toBe('127.0.0.1:1');
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('127.0.0.1:1: connection refused');
  });

  it('puts timeouts under ConnectError and clean and unclean closes under ConnectionClosed', () => {
    expect(new ConnectTimeoutError('x')).toBeInstanceOf(TimeoutError);
    expect(new TimeoutError('x')).toBeInstanceOf(ConnectError);
    expect(new ConnectionDone('x')).toBeInstanceOf(ConnectionClosed);
    expect(new ConnectionAborted('x')).toBeInstanceOf(ConnectionLost);
    expect(new ConnectionDone('x')).not.toBeInstanceOf(ConnectionLost);
    expect(new CannotListenError('x').code).toBe('ERR_CANNOT_LISTEN');
  });

  it('maps Node connect errors onto the tree', () => {
    expect(connectErrorFrom(systemError('ECONNREFUSED'), 'h:1')).toBeInstanceOf(
      ConnectionRefusedError,
    );
    expect(connectErrorFrom(systemError('ENOTFOUND'), 'h:1')).toBeInstanceOf(DNSLookupError);
    expect(connectErrorFrom(systemError('EAI_AGAIN'), 'h:1')).toBeInstanceOf(DNSLookupError);
    expect(connectErrorFrom(systemError('ETIMEDOUT'), 'h:1')).toBeInstanceOf(ConnectTimeoutError);
    const other = connectErrorFrom(systemError('EHOSTUNREACH'), 'h:1');
    expect(other.constructor).toBe(ConnectError);
    expect(other.message).toBe('h:1: host unreachable');
  });

  it("reads the code of the last attempt from happy-eyeballs' AggregateError", () => {
    const aggregate = new AggregateError([
      systemError('ECONNREFUSED'),
      systemError('ECONNREFUSED'),
    ]);
    expect(connectErrorFrom(aggregate, 'localhost:1')).toBeInstanceOf(ConnectionRefusedError);
  });

  it('describes system errors in plain words', () => {
    expect(describeSystemError(systemError('ECONNRESET'))).toBe('connection reset by peer');
    expect(describeSystemError(new Error('odd'))).toBe('odd');
  });
});

describe('dnsLookupErrorFrom', () => {
  it('says "host name not found" for each no-such-name code, and names any other failure', () => {
    for (const code of NO_SUCH_NAME_CODES) {
      expect(dnsLookupErrorFrom(systemError(code), 'nowhere:1').message).toBe(
        'nowhere:1: host name not found',
      );
    }
    const other = dnsLookupErrorFrom(systemError('EAI_AGAIN'), 'nowhere:1');
    expect(other).toBeInstanceOf(DNSLookupError);
    expect(other.message).toMatch(/^nowhere:1: host name lookup failed: /);
  });
});
