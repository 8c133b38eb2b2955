// The address parser: PORT, HOST:PORT and [IPv6]:PORT, and every malformed argument it rejects.

import { describe, expect, it } from 'vitest';
import { DEFAULT_HOST, parseAddress } from '../../../src/poetry/address.js';
import { InvalidAddressError } from '../../../src/poetry/errors.js';

describe('parseAddress', () => {
  it.each([
    ['10000', { host: 'localhost', port: 10000 }],
    ['1', { host: 'localhost', port: 1 }],
    ['65535', { host: 'localhost', port: 65535 }],
    ['127.0.0.1:10000', { host: '127.0.0.1', port: 10000 }],
    ['localhost:10001', { host: 'localhost', port: 10001 }],
    ['poetry.example.org:7', { host: 'poetry.example.org', port: 7 }],
    ['my_host-2:80', { host: 'my_host-2', port: 80 }],
    ['[::1]:10000', { host: '::1', port: 10000 }],
    ['[2001:db8::42]:443', { host: '2001:db8::42', port: 443 }],
    ['[::ffff:127.0.0.1]:9', { host: '::ffff:127.0.0.1', port: 9 }],
    ['[fe80::1%eth0]:22', { host: 'fe80::1%eth0', port: 22 }],
  ])('parses %j', (argument, expected) => {
    expect(parseAddress(argument)).toEqual(expected);
  });

  it('connects a bare port to localhost, which finds a server on 127.0.0.1 or ::1', () => {
    expect(DEFAULT_HOST).toBe('localhost');
    expect(parseAddress('10000', '127.0.0.1')).toEqual({ host: '127.0.0.1', port: 10000 });
  });

  it.each([
    ['', /empty/],
    ['0x2711', /not a port number/],
    ['1e4', /not a port number/],
    [' 1', /not a port number/],
    ['1 ', /not a port number/],
    ['+1', /not a port number/],
    ['-1', /not a port number/],
    ['0', /from 1 to 65535/],
    ['65536', /from 1 to 65535/],
    ['99999999999', /from 1 to 65535/],
    ['localhost', /not a port number/],
    ['host:', /missing port/],
    [':1', /missing host/],
    [':', /missing host/],
    ['host:0x2711', /decimal number/],
    ['host:1e4', /decimal number/],
    ['host: 1', /decimal number/],
    ['host:0', /from 1 to 65535/],
    ['host:65536', /from 1 to 65535/],
    ['host:-5', /decimal number/],
    ['::1', /needs brackets/],
    ['::1:10000', /needs brackets/],
    ['2001:db8::1:80', /needs brackets/],
    ['[::1]', /missing port/],
    ['[::1]:', /missing port/],
    ['[::1]10000', /expected ':'/],
    ['[::1:10000', /closing/],
    ['[localhost]:10000', /not an IPv6 address/],
    ['[]:10000', /not an IPv6 address/],
    ['[::1]:0', /from 1 to 65535/],
    ['bad host:80', /not a host name/],
    ['.example:80', /not a host name/],
    ['ho$t:80', /not a host name/],
  ])('rejects %j, naming the argument', (argument, problem) => {
    let caught: unknown;
    try {
      parseAddress(argument);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidAddressError);
    const error = caught as InvalidAddressError;
    expect(error.code).toBe('ERR_INVALID_ADDRESS');
    expect(error.argument).toBe(argument);
    expect(error.message).toContain(JSON.stringify(argument));
    expect(error.message).toMatch(problem);
  });
});
