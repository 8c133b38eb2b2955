// The poetry server on every transport (TCP, TLS, a UNIX socket), in one process with real sockets:
// the same pacing, flow control, connection cap, stall timeout and graceful shutdown on each, read
// by raw node:net and node:tls readers; and our client fetching from each.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Reactor } from '../../src/internet/reactor.js';
import { type Endpoint, formatEndpoint } from '../../src/poetry/address.js';
import { fetchPoem, fetchPoems } from '../../src/poetry/fetch.js';
import { type PoetryServer, type ServeOptions, servePoetry } from '../../src/poetry/server.js';
import { BufferPoemSource } from '../../src/poetry/server-source.js';
import { type TestCerts, testCerts } from '../helpers/certs.js';
import { connectTo, destroyEndpointSockets, readFrom, type Target } from '../helpers/endpoints.js';
import { eventually } from '../helpers/resources.js';
import { removeScratchDirs, scratchDir } from '../helpers/scratch.js';
import { binaryPoem } from '../helpers/server-memory.js';

type Transport = 'tcp' | 'tls' | 'unix';
const TRANSPORTS: readonly Transport[] = ['tcp', 'tls', 'unix'];

let certs: TestCerts;
let dir: string;
let sockets = 0;
const servers: PoetryServer[] = [];

beforeAll(async () => {
  certs = await testCerts();
  dir = await scratchDir('poetry-transports-');
});

afterEach(async () => {
  destroyEndpointSockets();
  await Promise.all(servers.splice(0).map((server) => server.shutdown(0)));
});

afterAll(removeScratchDirs);

interface Served {
  server: PoetryServer;
  reactor: Reactor;
  target: Target;
  reported: string[];
  lines: string[];
}

/** Serves `poem` on `transport` on loopback (port 0, or a fresh socket path), logging to `lines`. */
async function serve(
  transport: Transport,
  poem: Buffer,
  options: Omit<ServeOptions, 'port' | 'interface' | 'tls' | 'unix'> = {},
): Promise<Served> {
  const reported: string[] = [];
  const lines: string[] = [];
  const reactor = new Reactor({
    reportError: (error, where) => reported.push(`${where}: ${String(error)}`),
  });
  const where =
    transport === 'unix'
      ? { unix: join(dir, `s${++sockets}.sock`) }
      : {
          interface: '127.0.0.1',
          ...(transport === 'tls'
            ? { tls: { cert: certs.server.cert, key: certs.server.key } }
            : {}),
        };
  const server = await servePoetry(reactor, new BufferPoemSource(poem), {
    stallTimeout: 0,
    logger: { info: (line) => lines.push(line), reader: (line) => lines.push(line) },
    ...where,
    ...options,
  });
  servers.push(server);
  return { server, reactor, target: { endpoint: server.endpoint, ca: certs.ca }, reported, lines };
}

describe.each(TRANSPORTS)('the poetry server over %s', (transport) => {
  it('names where it serves in the form the client takes, first', async () => {
    const s = await serve(transport, Buffer.from('a poem\n'), { name: 'poem.txt' });
    const address = formatEndpoint(s.server.endpoint);
    expect(s.lines[0]).toBe(`Serving poem.txt on ${address}`);
    if (transport === 'tcp') expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    if (transport === 'tls') expect(address).toMatch(/^tls:127\.0\.0\.1:\d+$/);
    if (transport === 'unix') expect(address).toBe(`unix:${join(dir, `s${sockets}.sock`)}`);
  });

  it('paces the poem in chunks and ends it with a clean close, byte for byte', async () => {
    const poem = binaryPoem(2000, 3);
    const s = await serve(transport, poem, { delay: 0.005, numBytes: 100 });
    let reads = 0;
    const result = await readFrom(s.target, { onData: () => reads++ });
    expect(Buffer.compare(result.data, poem)).toBe(0);
    expect(result.clean).toBe(true);
    // Twenty chunks a few milliseconds apart cannot all arrive in one read.
    expect(reads).toBeGreaterThan(1);
    // The server counts the reader served once its own side of the close is done.
    expect(await eventually(() => s.server.factory.served === 1)).toBe(true);
    expect(s.reported).toEqual([]);
  });

  it('holds off for a reader that stops reading a large poem and finishes once it reads again', async () => {
    const poem = binaryPoem(8 * 1024 * 1024, 4);
    const s = await serve(transport, poem, { delay: 0 });
    let paused = false;
    const result = await readFrom(s.target, {
      onData: (_chunk, socket, received) => {
        if (!paused && received > 64 * 1024) {
          paused = true;
          socket.pause();
          setTimeout(() => socket.resume(), 300);
        }
      },
    });
    expect(paused).toBe(true);
    expect(Buffer.compare(result.data, poem)).toBe(0);
    expect(result.clean).toBe(true);
  });

  it('closes connections beyond the cap as they arrive, and logs the drop', async () => {
    const poem = Buffer.from('a slow poem\n'.repeat(20));
    const s = await serve(transport, poem, { delay: 0.05, numBytes: 10, maxConnections: 1 });
    const first = readFrom(s.target);
    expect(await eventually(() => s.server.factory.readers === 1)).toBe(true);
    const over = await readFrom(s.target).catch((error: Error) => ({
      data: Buffer.alloc(0),
      clean: false,
      error,
    }));
    expect(over.data.length).toBe(0);
    expect(s.server.factory.dropped).toBe(1);
    expect(s.lines.some((line) => line.startsWith('dropped '))).toBe(true);
    expect(Buffer.compare((await first).data, poem)).toBe(0);
  });

  it('cuts a reader that takes nothing for the stall timeout', async () => {
    const poem = binaryPoem(8 * 1024 * 1024, 5);
    const s = await serve(transport, poem, { delay: 0, stallTimeout: 0.3 });
    const stuck = await connectTo(s.target);
    stuck.pause();
    expect(await eventually(() => s.server.factory.readers === 1)).toBe(true);
    expect(await eventually(() => s.server.factory.readers === 0)).toBe(true);
    expect(
      s.lines.some((line) => / cut after \d+ of \d+ bytes: took nothing for 0.3 s/.test(line)),
    ).toBe(true);
    stuck.destroy();
    expect(s.reported).toEqual([]);
  });

  it('on shutdown stops accepting, lets a reader in flight finish at full speed, and stops', async () => {
    const poem = Buffer.from('line of a slow poem\n'.repeat(50));
    const s = await serve(transport, poem, { delay: 0.2, numBytes: 20 });
    let stopping: Promise<void> | undefined;
    const reading = readFrom(s.target, {
      onData: () => {
        stopping ??= s.server.shutdown(10);
      },
    });
    const result = await reading;
    await stopping;
    expect(Buffer.compare(result.data, poem)).toBe(0);
    expect(result.clean).toBe(true);
    await expect(connectTo(s.target)).rejects.toThrow();
    expect(s.lines.at(-1)).toBe('stopped');
    if (transport === 'unix') {
      const endpoint = s.server.endpoint as Extract<Endpoint, { transport: 'unix' }>;
      expect(existsSync(endpoint.path)).toBe(false);
    }
  });

  it('serves our own client, by callback queue and by Promise, with the address as given', async () => {
    const poem = binaryPoem(50_000, 6);
    const s = await serve(transport, poem, { delay: 0 });
    const address = formatEndpoint(s.server.endpoint);
    const reactor = new Reactor();
    const tls = { ca: certs.ca };
    const one = await fetchPoem(address, { reactor, tls });
    expect(Buffer.compare(one.bytes, poem)).toBe(0);
    expect(one.address).toBe(address);
    const many = await fetchPoems([address, s.server.endpoint, address], { reactor, tls });
    expect(many.map((r) => [r.status, r.address])).toEqual([
      ['fulfilled', address],
      ['fulfilled', address],
      ['fulfilled', address],
    ]);
  });
});
