// The poetry layer on every transport, on the fake reactor: an address's transport picks
// connectTCP, connectTLS or connectUNIX (and listenTCP/TLS/UNIX), the TLS options reach only TLS,
// and every event, error, result and log line names the address as the client takes it.

import { describe, expect, it } from 'vitest';
import {
  CertificateHostMismatchError,
  ConnectionDone,
  UntrustedCertificateError,
} from '../../../src/internet/errors.js';
import { getPoetryAt, type PoetryProtocol } from '../../../src/poetry/client.js';
import type { FetchEvent } from '../../../src/poetry/events.js';
import { fetchPoem, fetchPoems } from '../../../src/poetry/fetch.js';
import { servePoetry } from '../../../src/poetry/server.js';
import { BufferPoemSource } from '../../../src/poetry/server-source.js';
import { type MemoryConnector, MemoryReactor } from '../../../src/testing/index.js';
import type { MemoryPort } from '../../../src/testing/memory-reactor.js';
import { RecordingLogger } from '../../helpers/server-memory.js';

const CA =
  '-----BEGIN CERTIFICATE-----\nnot checked by the fake reactor\n-----END CERTIFICATE-----\n';

/** Serves `poem` on a recorded connection attempt, in bytes of one, and closes cleanly. */
function serve(connector: MemoryConnector, poem: string): void {
  const protocol = connector.accept() as PoetryProtocol;
  for (const byte of Buffer.from(poem)) protocol.dataReceived(Buffer.from([byte]));
  connector.lose(new ConnectionDone('connection closed cleanly'));
}

describe('fetching by transport', () => {
  it('fetches a tls: address with connectTLS, passing the trust and the connect timeout', async () => {
    const reactor = new MemoryReactor();
    const events: FetchEvent[] = [];
    const promise = fetchPoem('tls:poetry.example.org:443', {
      reactor,
      tls: { ca: CA },
      timeouts: { connectSeconds: 7 },
      onEvent: (event) => events.push(event),
    });
    expect(reactor.tcpClients).toEqual([]);
    const connector = reactor.tlsClients[0]!;
    expect(connector.getDestination()).toEqual({ host: 'poetry.example.org', port: 443 });
    expect(connector.options).toMatchObject({ ca: CA, timeout: 7 });
    expect(connector.options).not.toHaveProperty('insecure', true);
    serve(connector, 'over TLS\n');
    const poem = await promise;
    expect(poem.text).toBe('over TLS\n');
    expect(poem.address).toBe('tls:poetry.example.org:443');
    expect([poem.host, poem.port]).toEqual(['poetry.example.org', 443]);
    expect(new Set(events.map((event) => event.address))).toEqual(
      new Set(['tls:poetry.example.org:443']),
    );
  });

  it('passes --insecure on to the TLS connection, and never to TCP or UNIX ones', async () => {
    const reactor = new MemoryReactor();
    const tls = { insecure: true };
    const fetching = fetchPoems(['tls:[::1]:7', '127.0.0.1:7', 'unix:/run/p.sock'], {
      reactor,
      tls,
    });
    expect(reactor.tlsClients[0]!.options).toMatchObject({ insecure: true });
    expect(reactor.tcpClients[0]!.options).not.toHaveProperty('insecure');
    expect(reactor.unixClients[0]!.options).not.toHaveProperty('insecure');
    serve(reactor.tlsClients[0]!, 'a');
    serve(reactor.tcpClients[0]!, 'b');
    serve(reactor.unixClients[0]!, 'c');
    const results = await fetching;
    expect(
      results.map((r) => [r.address, r.status === 'fulfilled' ? r.value.text : r.reason]),
    ).toEqual([
      ['tls:[::1]:7', 'a'],
      ['127.0.0.1:7', 'b'],
      ['unix:/run/p.sock', 'c'],
    ]);
  });

  it('fetches a unix: address with connectUNIX, naming the fetch unix:PATH', async () => {
    const reactor = new MemoryReactor();
    const events: FetchEvent[] = [];
    const promise = fetchPoem('unix:/tmp/poems.sock', {
      reactor,
      onEvent: (event) => events.push(event),
    });
    const connector = reactor.unixClients[0]!;
    expect(connector.getDestination()).toEqual({ host: '/tmp/poems.sock', port: 0 });
    serve(connector, 'local\n');
    const poem = await promise;
    expect(poem.address).toBe('unix:/tmp/poems.sock');
    expect([poem.host, poem.port]).toEqual(['/tmp/poems.sock', 0]);
    expect(events.map((event) => [event.type, event.address])).toContainEqual([
      'connecting',
      'unix:/tmp/poems.sock',
    ]);
  });

  it('takes endpoints as objects, as parseAddress makes them', async () => {
    const reactor = new MemoryReactor();
    const tls = fetchPoem({ transport: 'tls', host: 'h', port: 1 }, { reactor });
    const unix = fetchPoem({ transport: 'unix', path: 'rel.sock' }, { reactor });
    const tcp = fetchPoem({ transport: 'tcp', host: 'h', port: 2 }, { reactor });
    serve(reactor.tlsClients[0]!, 't');
    serve(reactor.unixClients[0]!, 'u');
    serve(reactor.tcpClients[0]!, 'p');
    expect([(await tls).address, (await unix).address, (await tcp).address]).toEqual([
      'tls:h:1',
      'unix:rel.sock',
      'h:2',
    ]);
  });

  it.each([
    ['an untrusted certificate', new UntrustedCertificateError('untrusted certificate')],
    ['a certificate for another host', new CertificateHostMismatchError('wrong host')],
  ])(
    'ends a fetch refused for %s at once, never retried, naming the address',
    async (_name, reason) => {
      const reactor = new MemoryReactor();
      const events: FetchEvent[] = [];
      const promise = fetchPoem('tls:h:443', {
        reactor,
        retries: 3,
        onEvent: (event) => events.push(event),
      });
      reactor.tlsClients[0]!.fail(reason);
      const error = await promise.catch((e: unknown) => e);
      expect(error).toBe(reason);
      expect(events.some((event) => event.type === 'retrying')).toBe(false);
      expect(reactor.tlsClients).toHaveLength(1);
    },
  );

  it('names a fetch the caller named already with its own string', () => {
    const reactor = new MemoryReactor();
    const factory = getPoetryAt(
      { transport: 'unix', path: '/p' },
      'unix:/p',
      () => {},
      () => {},
      { reactor },
    );
    expect(factory.address).toBe('unix:/p');
    expect(factory.destination).toEqual({ transport: 'unix', path: '/p' });
  });
});

describe('serving by transport', () => {
  it('serves over TLS with the certificate and key, the stall timeout bounding handshakes', async () => {
    const reactor = new MemoryReactor();
    const logger = new RecordingLogger();
    const server = await servePoetry(reactor, new BufferPoemSource('x'), {
      interface: '127.0.0.1',
      tls: { cert: 'CERT', key: 'KEY' },
      stallTimeout: 12,
      maxConnections: 5,
      logger,
      name: 'x.txt',
    });
    expect(reactor.tcpServers).toEqual([]);
    const port = reactor.tlsServers[0] as MemoryPort;
    expect(port.options).toMatchObject({
      interface: '127.0.0.1',
      cert: 'CERT',
      key: 'KEY',
      handshakeTimeout: 12,
      maxConnections: 5,
    });
    expect(server.endpoint).toEqual({ transport: 'tls', host: '127.0.0.1', port: 40000 });
    expect(logger.all).toEqual(['Serving x.txt on tls:127.0.0.1:40000']);
  });

  it('leaves the handshake timeout to the event layer when stalls are never cut', async () => {
    const reactor = new MemoryReactor();
    await servePoetry(reactor, new BufferPoemSource('x'), {
      tls: { cert: 'CERT', key: 'KEY' },
      stallTimeout: 0,
    });
    expect((reactor.tlsServers[0] as MemoryPort).options).not.toHaveProperty('handshakeTimeout', 0);
  });

  it('serves on a UNIX socket, names it unix:PATH, and its readers by number', async () => {
    const reactor = new MemoryReactor();
    const logger = new RecordingLogger();
    const server = await servePoetry(reactor, new BufferPoemSource('a poem\n'), {
      unix: '/tmp/poems.sock',
      delay: 0,
      logger,
      name: 'p.txt',
    });
    expect(reactor.tcpServers).toEqual([]);
    expect(reactor.unixServers[0]!.getHost()).toEqual({ host: '/tmp/poems.sock', port: 0 });
    expect(server.endpoint).toEqual({ transport: 'unix', path: '/tmp/poems.sock' });
    expect(logger.all[0]).toBe('Serving p.txt on unix:/tmp/poems.sock');
    const fetched = fetchPoems(['unix:/tmp/poems.sock', 'unix:/tmp/poems.sock'], { reactor });
    reactor.flush();
    const results = await fetched;
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.text : r.reason))).toEqual([
      'a poem\n',
      'a poem\n',
    ]);
    expect(logger.all.filter((line) => line.endsWith(' connected')).sort()).toEqual([
      'reader #1 connected',
      'reader #2 connected',
    ]);
  });

  it('carries a poem over TLS in memory from our server to our client', async () => {
    const reactor = new MemoryReactor();
    const server = await servePoetry(reactor, new BufferPoemSource('secret poem\n'), {
      interface: '127.0.0.1',
      tls: { cert: 'CERT', key: 'KEY' },
      delay: 0,
    });
    const { port } = server.getHost();
    const fetched = fetchPoem(`tls:127.0.0.1:${port}`, { reactor, tls: { ca: CA } });
    reactor.flush();
    expect((await fetched).text).toBe('secret poem\n');
  });
});
