// The reactor over TLS on loopback: verification, its failures and their codes, the handshake
// inside the connect timeout, and how a TLS stream's end is told clean or not.

import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatAddress } from '../../../src/internet/address.js';
import {
  CertificateError,
  CertificateHostMismatchError,
  ConnectError,
  ConnectionDone,
  ConnectionLost,
  ConnectTimeoutError,
  ExpiredCertificateError,
  type PoetryNowError,
  SelfSignedCertificateError,
  TLSConfigError,
  TLSHandshakeError,
  UntrustedCertificateError,
} from '../../../src/internet/errors.js';
import type { TLSConnectOptions } from '../../../src/internet/interfaces.js';
import { Reactor } from '../../../src/internet/reactor.js';
import { checkServerIdentity } from '../../../src/internet/tls.js';
import { Clock } from '../../../src/testing/clock.js';
import { type KeyPair, type TestCerts, testCerts } from '../../helpers/certs.js';
import { greeting, OutcomeFactory, serving } from '../../helpers/outcome.js';
import { removeScratchDirs } from '../../helpers/scratch.js';

const POEM = 'The quiet of the wire, and then the words.\n';

let certs: TestCerts;
let reactor: Reactor;
/** Node servers a test opened beside the reactor's, closed after it. */
const servers: net.Server[] = [];
const sockets: net.Socket[] = [];

beforeAll(async () => {
  certs = await testCerts();
});

afterAll(removeScratchDirs);

afterEach(async () => {
  if (reactor?.running) reactor.stop();
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

function newReactor(clock?: Clock): Reactor {
  reactor = new Reactor(clock === undefined ? {} : { clock });
  void reactor.run();
  return reactor;
}

/** A reactor TLS port on `host` with `pair`, serving POEM; returns its port number. */
async function poetryPort(pair: KeyPair, host = '127.0.0.1'): Promise<number> {
  const port = await reactor.listenTLS(0, greeting(POEM), { interface: host, ...pair });
  return port.getHost().port;
}

/** Connects over TLS and waits for the end. */
async function fetchTLS(host: string, port: number, options: TLSConnectOptions = {}) {
  const factory = new OutcomeFactory();
  const connector = reactor.connectTLS(host, port, factory, options);
  const outcome = await factory.outcome;
  return { ...outcome, text: factory.text(), connector };
}

/** A node:net server of the test's own on 127.0.0.1; returns its port. */
async function rawServer(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection);
  servers.push(server);
  server.on('connection', (socket) => sockets.push(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

/** A node:tls server of the test's own, with the test CA's certificate, on 127.0.0.1. */
async function nodeTLSServer(
  onSecure: (socket: tls.TLSSocket, raw: net.Socket) => void,
): Promise<number> {
  const raws = new Map<string, net.Socket>();
  const server = tls.createServer({ ...certs.server, allowHalfOpen: true });
  servers.push(server);
  server.on('connection', (raw: net.Socket) => {
    sockets.push(raw);
    raws.set(`${raw.remoteAddress}:${raw.remotePort}`, raw);
  });
  server.on('secureConnection', (socket) => {
    onSecure(socket, raws.get(`${socket.remoteAddress}:${socket.remotePort}`)!);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

describe('checkServerIdentity', () => {
  /** A peer certificate as tls hands it over, with the SAN text Node would check given. */
  const peer = (pem: string, subjectaltname: string): tls.PeerCertificate =>
    ({ raw: new X509Certificate(pem).raw, subject: {}, subjectaltname }) as tls.PeerCertificate;

  it("takes an IPv6 host the certificate holds from the certificate itself, where Node's own check would refuse it", () => {
    // An empty SAN text stands for a Node whose check misses IPv6 (nodejs/node#64144).
    expect(tls.checkServerIdentity('::1', peer(certs.server.cert, ''))).toBeInstanceOf(Error);
    expect(checkServerIdentity('::1', peer(certs.server.cert, ''))).toBeUndefined();
    expect(checkServerIdentity('0:0:0:0:0:0:0:1', peer(certs.server.cert, ''))).toBeUndefined();
  });

  it("leaves every other answer to Node's check: another address, a name, IPv4, no raw certificate", () => {
    const server = new X509Certificate(certs.server.cert);
    const sans = server.subjectAltName ?? '';
    expect(checkServerIdentity('::2', peer(certs.server.cert, sans))).toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    expect(checkServerIdentity('::1', peer(certs.otherName.cert, ''))).toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    expect(checkServerIdentity('127.0.0.2', peer(certs.server.cert, sans))).toBeInstanceOf(Error);
    expect(checkServerIdentity('localhost', peer(certs.server.cert, sans))).toBeUndefined();
    const rawless = { subject: {}, subjectaltname: '' } as tls.PeerCertificate;
    expect(checkServerIdentity('::1', rawless)).toBeInstanceOf(Error);
  });
});

describe('a TLS client', () => {
  it('fetches over TLS from 127.0.0.1, ::1 and localhost, trusting the CA it is given', async () => {
    newReactor();
    const v4 = await poetryPort(certs.server);
    const v6 = await poetryPort(certs.server, '::1');
    for (const [host, port] of [
      ['127.0.0.1', v4],
      ['::1', v6],
      ['localhost', v4],
    ] as const) {
      const { kind, reason, text } = await fetchTLS(host, port, { ca: certs.ca });
      expect({ host, kind, text }).toEqual({ host, kind: 'lost', text: POEM });
      expect(reason).toBeInstanceOf(ConnectionDone);
    }
  });

  it('sends the host name as SNI, and no SNI for an IP address', async () => {
    newReactor();
    const names: (string | false)[] = [];
    const port = await nodeTLSServer((socket) => {
      names.push((socket as tls.TLSSocket & { servername: string | false }).servername);
      socket.end(POEM);
    });
    await fetchTLS('localhost', port, { ca: certs.ca });
    await fetchTLS('127.0.0.1', port, { ca: certs.ca });
    expect(names).toEqual(['localhost', false]);
  });

  it('refuses a certificate from a CA it does not trust (by default, the bundled CAs only)', async () => {
    newReactor();
    const port = await poetryPort(certs.server);
    const { kind, reason } = await fetchTLS('localhost', port);
    expect(kind).toBe('failed');
    expect(reason).toBeInstanceOf(UntrustedCertificateError);
    expect(reason).toBeInstanceOf(CertificateError);
    expect(reason).toBeInstanceOf(TLSHandshakeError);
    expect(reason).toBeInstanceOf(ConnectError);
    expect(reason).toMatchObject({
      code: 'ERR_TLS_CERT_UNTRUSTED',
      address: `localhost:${port}`,
      cause: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    });
  });

  it('refuses an expired certificate with ERR_TLS_CERT_EXPIRED', async () => {
    newReactor();
    const port = await poetryPort(certs.expired);
    const { reason } = await fetchTLS('127.0.0.1', port, { ca: certs.ca });
    expect(reason).toBeInstanceOf(ExpiredCertificateError);
    expect(reason).toMatchObject({
      code: 'ERR_TLS_CERT_EXPIRED',
      address: `127.0.0.1:${port}`,
      cause: { code: 'CERT_HAS_EXPIRED' },
    });
  });

  it('refuses a certificate for another host, by name and by IPv4 and IPv6 address', async () => {
    newReactor();
    const v4 = await poetryPort(certs.otherName);
    const v6 = await poetryPort(certs.otherName, '::1');
    for (const [host, port] of [
      ['localhost', v4],
      ['127.0.0.1', v4],
      ['::1', v6],
    ] as const) {
      const { reason } = await fetchTLS(host, port, { ca: certs.ca });
      expect(reason).toBeInstanceOf(CertificateHostMismatchError);
      expect(reason).toMatchObject({
        code: 'ERR_TLS_CERT_HOST_MISMATCH',
        address: formatAddress(host, port),
        cause: { code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
      });
    }
  });

  it('refuses a self-signed certificate with ERR_TLS_CERT_SELF_SIGNED, an untrusted one', async () => {
    newReactor();
    const port = await poetryPort(certs.selfSigned);
    const { reason } = await fetchTLS('localhost', port, { ca: certs.ca });
    expect(reason).toBeInstanceOf(SelfSignedCertificateError);
    expect(reason).toBeInstanceOf(UntrustedCertificateError);
    expect(reason).toMatchObject({
      code: 'ERR_TLS_CERT_SELF_SIGNED',
      cause: { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
    });
  });

  it('trusts every certificate in a ca that holds several', async () => {
    newReactor();
    const signed = await poetryPort(certs.server);
    const self = await poetryPort(certs.selfSigned);
    const ca = `${certs.ca}${certs.selfSigned.cert}`;
    expect((await fetchTLS('localhost', signed, { ca })).text).toBe(POEM);
    expect((await fetchTLS('localhost', self, { ca })).text).toBe(POEM);
  });

  it('accepts any certificate with insecure', async () => {
    newReactor();
    for (const pair of [certs.selfSigned, certs.expired, certs.otherName]) {
      const port = await poetryPort(pair);
      const { reason, text } = await fetchTLS('127.0.0.1', port, { insecure: true });
      expect(text).toBe(POEM);
      expect(reason).toBeInstanceOf(ConnectionDone);
    }
  });

  it('throws TLSConfigError at once for a ca with no certificate in it', () => {
    newReactor();
    for (const ca of [
      '',
      'not a certificate',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    ]) {
      expect(() => reactor.connectTLS('localhost', 1, new OutcomeFactory(), { ca })).toThrow(
        TLSConfigError,
      );
    }
  });

  it('fails with ConnectTimeoutError when the server accepts and never answers the handshake', async () => {
    const clock = new Clock();
    newReactor(clock);
    let accept!: () => void;
    const accepted = new Promise<void>((resolve) => {
      accept = resolve;
    });
    const port = await rawServer(() => accept());
    const factory = new OutcomeFactory();
    const connector = reactor.connectTLS('127.0.0.1', port, factory, { ca: certs.ca, timeout: 5 });
    await accepted;
    // The TCP connection is made; the handshake is not, and the attempt goes on.
    await new Promise((resolve) => setTimeout(resolve, 50));
    clock.advance(4.9);
    expect(connector.state).toBe('connecting');
    clock.advance(0.1);
    const { kind, reason } = await factory.outcome;
    expect(kind).toBe('failed');
    expect(reason).toBeInstanceOf(ConnectTimeoutError);
    expect((reason as PoetryNowError).address).toBe(`127.0.0.1:${port}`);
  });

  it('fails with TLSHandshakeError when the server resets during the handshake', async () => {
    newReactor();
    const port = await rawServer((socket) => {
      socket.once('data', () => socket.resetAndDestroy());
    });
    const { kind, reason } = await fetchTLS('127.0.0.1', port, { ca: certs.ca });
    expect(kind).toBe('failed');
    expect(reason).toBeInstanceOf(TLSHandshakeError);
    expect(reason).toMatchObject({
      code: 'ERR_TLS_HANDSHAKE',
      address: `127.0.0.1:${port}`,
      cause: { code: 'ECONNRESET' },
    });
  });

  it('fails with TLSHandshakeError when the server speaks plain text', async () => {
    newReactor();
    const plain = await reactor.listenTCP(0, greeting(POEM), { interface: '127.0.0.1' });
    const { kind, reason } = await fetchTLS('127.0.0.1', plain.getHost().port, { ca: certs.ca });
    expect(kind).toBe('failed');
    expect(reason).toBeInstanceOf(TLSHandshakeError);
    expect((reason as PoetryNowError).code).toBe('ERR_TLS_HANDSHAKE');
  });
});

describe('the end of a TLS stream', () => {
  it('is clean (ConnectionDone) after the server closes with close_notify', async () => {
    newReactor();
    const port = await nodeTLSServer((socket) => socket.end(POEM));
    const { reason, text } = await fetchTLS('127.0.0.1', port, { ca: certs.ca });
    expect(text).toBe(POEM);
    expect(reason).toBeInstanceOf(ConnectionDone);
  });

  it('is also clean when the TCP stream under it ends without close_notify: Node cannot tell a truncation', async () => {
    newReactor();
    const half = POEM.slice(0, 20);
    const port = await nodeTLSServer((socket, raw) => {
      // The bytes go out through TLS; then a FIN on the TCP socket, with no close_notify.
      socket.write(half, () => raw.end());
    });
    const { reason, text } = await fetchTLS('127.0.0.1', port, { ca: certs.ca });
    expect(text).toBe(half);
    // Pinned: a cut stream ends as a whole one would. Only a reset is reported as a loss.
    expect(reason).toBeInstanceOf(ConnectionDone);
  });

  it('is lost (ConnectionLost) when the TCP connection under it is reset', async () => {
    newReactor();
    const port = await nodeTLSServer((socket, raw) => {
      socket.write(POEM.slice(0, 20), () => raw.resetAndDestroy());
    });
    const { reason } = await fetchTLS('127.0.0.1', port, { ca: certs.ca });
    expect(reason).toBeInstanceOf(ConnectionLost);
    expect(reason).not.toBeInstanceOf(ConnectionDone);
  });

  it('is lost for the peer when a reactor TLS transport aborts', async () => {
    newReactor();
    const port = await poetryPort(certs.server);
    const aborting = await reactor.listenTLS(
      0,
      serving((transport) => {
        transport.write(POEM.slice(0, 20));
        transport.abortConnection();
      }),
      { interface: '127.0.0.1', ...certs.server },
    );
    expect((await fetchTLS('127.0.0.1', port, { ca: certs.ca })).reason).toBeInstanceOf(
      ConnectionDone,
    );
    const { reason } = await fetchTLS('127.0.0.1', aborting.getHost().port, { ca: certs.ca });
    expect(reason).toBeInstanceOf(ConnectionLost);
    expect(reason).not.toBeInstanceOf(ConnectionDone);
  });
});

describe('a TLS port', () => {
  it('rejects with TLSConfigError a key that does not match its certificate, or text that is not PEM', async () => {
    newReactor();
    const mismatched = { cert: certs.server.cert, key: certs.otherName.key };
    for (const pair of [mismatched, { cert: 'not pem', key: 'not pem' }]) {
      const attempt = reactor.listenTLS(0, greeting(POEM), { interface: '127.0.0.1', ...pair });
      await expect(attempt).rejects.toBeInstanceOf(TLSConfigError);
      await expect(attempt).rejects.toMatchObject({ code: 'ERR_TLS_CONFIG' });
    }
  });

  it('drops a reader that sends no handshake at its handshakeTimeout, and a plaintext one, and goes on serving', async () => {
    newReactor();
    const served: string[] = [];
    const port = await reactor.listenTLS(
      0,
      serving((transport) => {
        served.push('reader');
        transport.write(POEM);
        transport.loseConnection();
      }),
      { interface: '127.0.0.1', ...certs.server, handshakeTimeout: 0.2 },
    );
    const silent = net.connect(port.getHost().port, '127.0.0.1');
    const plain = net.connect(port.getHost().port, '127.0.0.1');
    sockets.push(silent, plain);
    plain.end('GET / HTTP/1.0\r\n\r\n');
    plain.resume();
    await Promise.all([once(silent, 'close'), once(plain, 'close')]);
    expect(served).toEqual([]);
    const { text } = await fetchTLS('127.0.0.1', port.getHost().port, { ca: certs.ca });
    expect(text).toBe(POEM);
    expect(served).toEqual(['reader']);
  }, 10_000);

  it('closes at once a reader that sends its FIN before the handshake is done, not at the handshake timeout', async () => {
    newReactor();
    const port = await reactor.listenTLS(0, greeting(POEM), {
      interface: '127.0.0.1',
      ...certs.server,
      handshakeTimeout: 60,
    });
    // As a client that refused the certificate does: it closes, and the server must too.
    const quitter = net.connect(port.getHost().port, '127.0.0.1');
    sockets.push(quitter);
    quitter.resume();
    quitter.end();
    await once(quitter, 'close');
    const refusing = new OutcomeFactory();
    reactor.connectTLS('127.0.0.1', port.getHost().port, refusing, {});
    expect((await refusing.outcome).reason).toBeInstanceOf(UntrustedCertificateError);
  }, 10_000);

  it('ends handshakes under way when it stops listening, and when the reactor stops', async () => {
    newReactor();
    const identity = { interface: '127.0.0.1', ...certs.server };
    const stopped = await reactor.listenTLS(0, greeting(POEM), identity);
    const running = await reactor.listenTLS(0, greeting(POEM), identity);
    const silent = [stopped, running].map((port) => {
      const socket = net.connect(port.getHost().port, '127.0.0.1');
      sockets.push(socket);
      return socket;
    });
    await Promise.all(silent.map((socket) => once(socket, 'connect')));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await stopped.stopListening();
    await once(silent[0]!, 'close');
    expect(silent[1]!.destroyed).toBe(false);
    reactor.stop();
    await once(silent[1]!, 'close');
  }, 10_000);
});
