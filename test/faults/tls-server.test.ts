// The poetry server over TLS against readers that misbehave before or during the handshake, in
// one process, on loopback: a plaintext reader, a handshake that stalls, garbage for a
// ClientHello, a thousand handshakes begun and abandoned. After each the server goes on serving,
// reports no error, and this process's descriptors and handles return to where they were.

import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Reactor } from '../../src/internet/reactor.js';
import { type PoetryServer, servePoetry } from '../../src/poetry/server.js';
import { BufferPoemSource } from '../../src/poetry/server-source.js';
import { type TestCerts, testCerts } from '../helpers/certs.js';
import { destroyEndpointSockets, readFrom } from '../helpers/endpoints.js';
import { eventually, holdings, leaksSince } from '../helpers/resources.js';
import { removeScratchDirs } from '../helpers/scratch.js';

const POEM = Buffer.from('I have eaten the plums that were in the icebox\n'.repeat(100));
/** The stall timeout these servers run with: it also bounds each reader's handshake. */
const STALL_SECONDS = 0.5;

let certs: TestCerts;
const servers: PoetryServer[] = [];
const raws = new Set<net.Socket>();

beforeAll(async () => {
  certs = await testCerts();
});

afterEach(async () => {
  for (const raw of raws) raw.destroy();
  raws.clear();
  destroyEndpointSockets();
  await Promise.all(servers.splice(0).map((server) => server.shutdown(0)));
});

afterAll(removeScratchDirs);

interface Served {
  server: PoetryServer;
  port: number;
  reported: string[];
}

async function serveTls(): Promise<Served> {
  const reported: string[] = [];
  const reactor = new Reactor({
    reportError: (error, where) => reported.push(`${where}: ${String(error)}`),
  });
  const server = await servePoetry(reactor, new BufferPoemSource(POEM), {
    interface: '127.0.0.1',
    tls: { cert: certs.server.cert, key: certs.server.key },
    delay: 0,
    stallTimeout: STALL_SECONDS,
  });
  servers.push(server);
  return { server, port: server.getHost().port, reported };
}

/** A plain TCP connection to the TLS port; resolves once connected. */
function rawConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const raw = net.connect({ host: '127.0.0.1', port });
    raws.add(raw);
    raw.on('close', () => raws.delete(raw));
    raw.once('connect', () => {
      raw.off('error', reject);
      raw.on('error', () => {});
      resolve(raw);
    });
    raw.once('error', reject);
  });
}

/**
 * What `raw` received by the time it closed, or by `limitMs` if it is still open then (`open`
 * true): the server must close it long before.
 */
function closed(raw: net.Socket, limitMs = 10_000): Promise<{ data: Buffer; open: boolean }> {
  const parts: Buffer[] = [];
  raw.on('data', (chunk: Buffer) => parts.push(chunk));
  return new Promise((resolve) => {
    const done = (open: boolean): void => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(parts), open });
    };
    const timer = setTimeout(() => done(true), limitMs);
    if (raw.destroyed) done(false);
    else raw.once('close', () => done(false));
  });
}

/** A good TLS reader gets the whole poem with a clean close: the server is still serving. */
async function stillServes(s: Served): Promise<void> {
  const result = await readFrom({
    endpoint: { transport: 'tls', host: '127.0.0.1', port: s.port },
    ca: certs.ca,
  });
  expect(Buffer.compare(result.data, POEM)).toBe(0);
  expect(result.clean).toBe(true);
}

/** Nothing of the reader is left: no descriptor or handle above `before`, no error reported. */
async function backToBaseline(s: Served, before: Awaited<ReturnType<typeof holdings>>) {
  expect(await eventually(() => s.server.factory.readers === 0)).toBe(true);
  expect(await leaksSince(before)).toEqual({});
  expect(s.reported).toEqual([]);
}

describe('the TLS server against readers that misbehave in the handshake', () => {
  it('closes a plaintext reader that waits for a poem at the stall timeout, and sends it nothing', async () => {
    const s = await serveTls();
    const before = await holdings();
    const raw = await rawConnect(s.port);
    const got = await closed(raw);
    expect(got).toEqual({ data: Buffer.alloc(0), open: false });
    await stillServes(s);
    await backToBaseline(s, before);
  });

  it('closes a plaintext reader that talks at once, without a byte of the poem', async () => {
    const s = await serveTls();
    const before = await holdings();
    const raw = await rawConnect(s.port);
    raw.write('GET /poem HTTP/1.0\r\n\r\n');
    const got = await closed(raw);
    expect(got.open).toBe(false);
    expect(got.data.includes(POEM.subarray(0, 20))).toBe(false);
    await stillServes(s);
    await backToBaseline(s, before);
  });

  it('cuts a reader whose ClientHello stops halfway at the stall timeout', async () => {
    const s = await serveTls();
    const before = await holdings();
    const raw = await rawConnect(s.port);
    // A handshake record header that promises 512 bytes, and 10 of them.
    raw.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]), Buffer.alloc(10, 1)]));
    const got = await closed(raw);
    expect(got).toEqual({ data: Buffer.alloc(0), open: false });
    await stillServes(s);
    await backToBaseline(s, before);
  });

  it('closes a reader that sends garbage instead of a ClientHello', async () => {
    const s = await serveTls();
    const before = await holdings();
    const raw = await rawConnect(s.port);
    raw.write(Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37 + 11) % 256)));
    const got = await closed(raw);
    expect(got.open).toBe(false);
    expect(got.data.includes(POEM.subarray(0, 20))).toBe(false);
    await stillServes(s);
    await backToBaseline(s, before);
  });

  it('survives 1,000 readers that begin a handshake and vanish, and gives every descriptor back', async () => {
    const s = await serveTls();
    const before = await holdings();
    const WAVE = 100;
    for (let started = 0; started < 1000; started += WAVE) {
      await Promise.all(
        Array.from(
          { length: WAVE },
          (_, i) =>
            new Promise<void>((resolve) => {
              const socket = tls.connect({ host: '127.0.0.1', port: s.port, ca: certs.ca });
              socket.on('error', () => {});
              socket.once('close', () => resolve());
              // Half of them as soon as the ClientHello is sent, half a moment into the handshake.
              socket.once('connect', () => {
                if (i % 2 === 0) socket.destroy();
                else setImmediate(() => socket.destroy());
              });
            }),
        ),
      );
    }
    await stillServes(s);
    await backToBaseline(s, before);
  }, 60_000);
});
