// The address parser: PORT, HOST:PORT, [IPv6]:PORT, tcp:, tls: and unix:, and every malformed argument it rejects.

import { describe, expect, it } from 'vitest';
import { DEFAULT_HOST, formatEndpoint, parseAddress } from '../../../src/poetry/address.js';
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
    ['tcp:10000', { host: 'localhost', port: 10000 }],
    ['tcp:127.0.0.1:10000', { host: '127.0.0.1', port: 10000 }],
    ['tcp:[::1]:10000', { host: '::1', port: 10000 }],
    ['tcp:tls:80', { host: 'tls', port: 80 }],
    ['TCP:example.org:80', { host: 'example.org', port: 80 }],
    ['tls:10000', { transport: 'tls', host: 'localhost', port: 10000 }],
    ['tls:127.0.0.1:10443', { transport: 'tls', host: '127.0.0.1', port: 10443 }],
    ['tls:poetry.example.org:443', { transport: 'tls', host: 'poetry.example.org', port: 443 }],
    ['tls:[::1]:443', { transport: 'tls', host: '::1', port: 443 }],
    ['tls:tls:443', { transport: 'tls', host: 'tls', port: 443 }],
    ['TLS:localhost:1', { transport: 'tls', host: 'localhost', port: 1 }],
    ['unix:/tmp/poems.sock', { transport: 'unix', path: '/tmp/poems.sock' }],
    ['unix:poems.sock', { transport: 'unix', path: 'poems.sock' }],
    ['unix:./a:b c.sock', { transport: 'unix', path: './a:b c.sock' }],
    ['unix:10000', { transport: 'unix', path: '10000' }],
    ['Unix:/run/p', { transport: 'unix', path: '/run/p' }],
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
    ['tls:', /missing PORT or HOST:PORT after 'tls:'/],
    ['tcp:', /missing PORT or HOST:PORT after 'tcp:'/],
    ['tls:0', /from 1 to 65535/],
    ['tls:host', /not a port number/],
    ['tls:host:', /missing port/],
    ['tls::1', /missing host/],
    ['tls:::1:443', /needs brackets/],
    ['tls:[::1]', /missing port/],
    ['tls:[localhost]:443', /not an IPv6 address/],
    ['tls:host:65536', /from 1 to 65535/],
    ['unix:', /missing the socket's path/],
    ['unix:/tmp/a\u0000b', /NUL/],
    ['tsl:host:443', /unknown transport 'tsl:'/],
    ['http://example.org:80', /unknown transport 'http:'/],
    ['ssl:host:443', /unknown transport 'ssl:'/],
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

describe('formatEndpoint', () => {
  it.each([
    [{ host: 'localhost', port: 10000 }, 'localhost:10000'],
    [{ transport: 'tcp', host: '::1', port: 7 }, '[::1]:7'],
    [{ transport: 'tls', host: '127.0.0.1', port: 443 }, 'tls:127.0.0.1:443'],
    [{ transport: 'tls', host: '::1', port: 443 }, 'tls:[::1]:443'],
    [{ transport: 'unix', path: '/tmp/poems.sock' }, 'unix:/tmp/poems.sock'],
    [{ host: 'tls', port: 443 }, 'tcp:tls:443'],
    [{ transport: 'tls', host: 'tcp', port: 443 }, 'tls:tcp:443'],
  ] as const)('names %j as %j', (endpoint, text) => {
    expect(formatEndpoint(endpoint)).toBe(text);
  });

  it.each([
    '10000',
    'tcp:host:1',
    '[::1]:7',
    'tls:7',
    'tls:[fe80::1%eth0]:22',
    'unix:/tmp/a:b.sock',
    'tcp:tls:443',
    'tcp:UNIX:80',
    'tcp:tcp:80',
  ])('gives a form that parses back to the endpoint %j came to', (argument) => {
    const endpoint = parseAddress(argument);
    expect(parseAddress(formatEndpoint(endpoint))).toEqual(endpoint);
  });
});
