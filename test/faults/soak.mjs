#!/usr/bin/env node
// The soak of issue 7: our client fetches without pause from a pool of our servers (over TCP, TLS
// and UNIX sockets) and of misbehaving peers, with seeded random faults, then checks that nothing
// was lost or leaked.
// Usage: node test/faults/soak.mjs [--seconds N] [--seed N] [--concurrency N]
// Runs the BUILT package (dist/): `npm run build` first. Loopback only; exits 1 when anything
// is wrong, 2 for a usage error.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../helpers/seeded-random.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');
const USAGE = `Usage: node test/faults/soak.mjs [--seconds N] [--seed N] [--concurrency N]
  --seconds N      how long to keep fetching (default 60); then in-flight fetches finish
  --seed N         the seed of every random choice (default: from the clock, printed)
  --concurrency N  fetches in flight at once (default 64)`;

// --- options --------------------------------------------------------------------------------

function fatal(message) {
  process.stderr.write(`soak: ${message}\n(see 'node test/faults/soak.mjs --help')\n`);
  process.exit(2);
}

function parseOptions(argv) {
  const options = { seconds: 60, seed: Date.now() % 0x100000000, concurrency: 64 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    const [name, inline] = arg.split('=', 2);
    const key = { '--seconds': 'seconds', '--seed': 'seed', '--concurrency': 'concurrency' }[name];
    if (key === undefined) fatal(`unknown option '${arg}'`);
    const value = inline ?? argv[++i];
    if (value === undefined || !/^\d+(\.\d+)?$/.test(value)) {
      fatal(`${name} takes a number, got '${value ?? ''}'`);
    }
    options[key] = Number(value);
  }
  if (options.seconds <= 0) fatal('--seconds must be more than 0');
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    fatal('--concurrency must be a whole number >= 1');
  }
  options.seed = Math.floor(options.seed) >>> 0;
  return options;
}

const options = parseOptions(process.argv.slice(2));
if (!existsSync(join(DIST, 'poetry', 'client.js'))) {
  process.stderr.write('soak: dist/ is missing; run `npm run build` first\n');
  process.exit(2);
}

// --- what a process holds open --------------------------------------------------------------

function openFds() {
  return readdirSync('/proc/self/fd').length;
}

function handleCounts() {
  const counts = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

// libuv keeps one spare descriptor per event loop from the first listen on (to shed
// connections when out of descriptors): let it take it now, so it is part of the baseline.
{
  const warmUp = net.createServer();
  await new Promise((resolve) => warmUp.listen({ host: '127.0.0.1', port: 0 }, resolve));
  await new Promise((resolve) => warmUp.close(resolve));
}
// stdout and stderr get their handles when first used: before the baseline, not during the run.
process.stdout.write('');
process.stderr.write('');
// Measured before anything of the soak exists: everything it opens must be closed again.
const fdsAtStart = openFds();
const handlesAtStart = handleCounts();

// The package's public API, as a user of the library would import it.
const { BufferPoemSource, formatEndpoint, getPoetryAt, openPoemFile, Reactor, servePoetry } =
  await import(join(DIST, 'index.js'));

// --- seeded randomness ----------------------------------------------------------------------

const random = seededRandom(options.seed);
const chance = (p) => random() < p;
const between = (low, high) => low + random() * (high - low);

function poemOf(length, salt) {
  const lines = [];
  let size = 0;
  for (let n = 0; size < length; n++) {
    const line = `${salt} line ${n}: ${'ab cd ef '.repeat(1 + (n % 7))}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, length);
}

function binaryOf(length, seed) {
  const next = seededRandom(seed);
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(next() * 256);
  return bytes;
}

// --- the pool: our servers ------------------------------------------------------------------

const reported = [];
const recordError = (error, where) => reported.push(`${where}: ${error?.stack ?? error}`);
const serverReactor = new Reactor({ reportError: recordError });
const clientReactor = new Reactor({ reportError: recordError });
const workDir = mkdtempSync(join(tmpdir(), 'poetry-soak-'));

// A CA and certificates for the TLS servers, made by the repository's script (it needs openssl);
// without them the soak runs its TCP and UNIX targets only, and says so.
const certsDir = join(workDir, 'certs');
const madeCerts = spawnSync('sh', [join(ROOT, 'scripts/make-test-certs.sh'), certsDir], {
  encoding: 'utf8',
  timeout: 60_000,
});
const certs =
  madeCerts.status === 0
    ? Object.fromEntries(
        ['ca.pem', 'server.pem', 'server.key', 'expired.pem', 'expired.key'].map((name) => [
          name,
          readFileSync(join(certsDir, name), 'utf8'),
        ]),
      )
    : null;
if (certs === null) {
  process.stdout.write(
    `soak: no TLS targets (make-test-certs.sh: ${`${madeCerts.stderr ?? madeCerts.error}`.trim()})\n`,
  );
}
const trust = certs === null ? undefined : { ca: certs['ca.pem'] };

const MAX_BYTES = 2 * 1024 * 1024;
const IDLE_SECONDS = 0.5;
const CONNECT_SECONDS = 1;

/** Each target: where it is, its weight in the draw, and what a fetch from it may end with. */
const targets = [];
const servers = [];

async function addServer(name, source, poem, serveOptions, extra = {}) {
  const server = await servePoetry(serverReactor, source, {
    interface: '127.0.0.1',
    stallTimeout: 5,
    ...serveOptions,
  });
  const entry = { server, source, cuts: 0 };
  servers.push(entry);
  targets.push({
    name,
    endpoint: server.endpoint,
    weight: extra.weight ?? 3,
    poem,
    errors: extra.errors ?? [],
    ours: entry,
  });
}

const smallPoem = poemOf(20_000, 'fast');
await addServer('our server, fast', new BufferPoemSource(smallPoem), smallPoem, { delay: 0 });
const pacedPoem = poemOf(600, 'paced');
await addServer('our server, paced', new BufferPoemSource(pacedPoem), pacedPoem, {
  delay: 0.01,
  numBytes: 50,
});
const bigPoem = binaryOf(1024 * 1024, options.seed);
await addServer(
  'our server, 1 MiB',
  new BufferPoemSource(bigPoem),
  bigPoem,
  { delay: 0 },
  { weight: 1 },
);
const filePoem = binaryOf(300 * 1024, options.seed + 1);
const filePath = join(workDir, 'poem.bin');
writeFileSync(filePath, filePoem);
await addServer(
  'our server, from disk',
  await openPoemFile(filePath, { inMemoryLimitBytes: 64 * 1024 }),
  filePoem,
  { delay: 0 },
);
const crowdedPoem = poemOf(5000, 'crowded');
await addServer(
  'our server, 3 readers at most',
  new BufferPoemSource(crowdedPoem),
  crowdedPoem,
  { delay: 0.005, numBytes: 500, maxConnections: 3 },
  // Readers over the limit are closed as they arrive: a clean close with nothing sent.
  { errors: ['ERR_EMPTY_POEM'], weight: 1 },
);

const v6Poem = poemOf(3000, 'ipv6');
try {
  await addServer('our server, on ::1', new BufferPoemSource(v6Poem), v6Poem, {
    delay: 0,
    interface: '::1',
  });
} catch {
  // No IPv6 loopback on this machine: the other targets still run.
}

const unixPoem = poemOf(8000, 'unix');
await addServer('our server, on a UNIX socket', new BufferPoemSource(unixPoem), unixPoem, {
  delay: 0,
  unix: join(workDir, 'poems.sock'),
});
const unixPacedPoem = poemOf(600, 'unix paced');
await addServer(
  'our server, on a UNIX socket, paced',
  new BufferPoemSource(unixPacedPoem),
  unixPacedPoem,
  { delay: 0.01, numBytes: 50, unix: join(workDir, 'paced.sock') },
  { weight: 2 },
);
if (certs !== null) {
  const identity = { cert: certs['server.pem'], key: certs['server.key'] };
  const tlsPoem = poemOf(20_000, 'tls');
  await addServer('our server, over TLS', new BufferPoemSource(tlsPoem), tlsPoem, {
    delay: 0,
    tls: identity,
  });
  const tlsPacedPoem = poemOf(600, 'tls paced');
  await addServer(
    'our server, over TLS, paced',
    new BufferPoemSource(tlsPacedPoem),
    tlsPacedPoem,
    { delay: 0.01, numBytes: 50, tls: identity },
    { weight: 2 },
  );
  await addServer(
    'our server, over TLS, 1 MiB',
    new BufferPoemSource(bigPoem),
    bigPoem,
    { delay: 0, tls: identity },
    { weight: 1 },
  );
}

// --- the pool: misbehaving peers ------------------------------------------------------------

const peerServers = [];
const peerSockets = new Set();

async function addPeer(name, onConnection, expected, weight = 1) {
  const server = net.createServer(onConnection);
  server.on('connection', (socket) => {
    peerSockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => peerSockets.delete(socket));
  });
  await new Promise((resolve) =>
    server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, resolve),
  );
  peerServers.push(server);
  const { port } = server.address();
  targets.push({ name, endpoint: { host: '127.0.0.1', port }, weight, ...expected });
}

/**
 * A misbehaving peer at a tls: address: `onConnection` gets the raw TCP socket, and `secureOn(raw,
 * identity)` layers TLS on it, tracked too (the TLS socket takes the TCP one's handle over, so
 * destroying the raw socket alone would leave it open).
 */
function secureOn(raw, identity) {
  const secure = new tls.TLSSocket(raw, { isServer: true, ...identity });
  peerSockets.add(secure);
  secure.on('error', () => {});
  secure.on('close', () => peerSockets.delete(secure));
  return secure;
}

async function addTlsPeer(name, onConnection, expected, weight = 1) {
  await addPeer(name, onConnection, expected, weight);
  const target = targets.at(-1);
  target.endpoint = { transport: 'tls', ...target.endpoint };
}

const timers = new Set();
function later(ms, fn) {
  const timer = setTimeout(() => {
    timers.delete(timer);
    fn();
  }, ms);
  timers.add(timer);
}

const hostile = Buffer.concat([
  Buffer.from('title\x1b]0;owned\x07\x1b[2J\x1b[31mred\0nul\u009b31m \u202eevil\u202c\r\n'),
  Buffer.from([0x9b, 0x07, 0xff, 0xfe, 0x0a]),
]);
const lastBytePoem = poemOf(40_000, 'last-byte');
const flood = Buffer.alloc(64 * 1024, 'All work and no play makes Jack a dull boy.\n');

await addPeer('accepts and never sends', () => {}, { errors: ['ERR_IDLE_TIMEOUT'] });
await addPeer(
  'half the poem, then a reset',
  (socket) =>
    socket.write(lastBytePoem.subarray(0, 20_000), () => later(5, () => socket.resetAndDestroy())),
  // A reset that arrives before the connect is seen fails the connection itself.
  { errors: ['ERR_POEM_INCOMPLETE', 'ERR_CONNECT'] },
);
await addPeer('closes without a byte', (socket) => socket.end(), { errors: ['ERR_EMPTY_POEM'] });
await addPeer(
  'trickles a byte every 0.1 s',
  (socket) => {
    const drip = Buffer.from('drip\n');
    let sent = 0;
    const next = () => {
      if (socket.destroyed) return;
      if (sent === drip.length) {
        socket.end();
        return;
      }
      socket.write(drip.subarray(sent, sent + 1));
      sent++;
      later(100, next);
    };
    next();
  },
  { poem: Buffer.from('drip\n') },
);
await addPeer(
  'sends forever',
  (socket) => {
    const pump = () => {
      while (!socket.destroyed && socket.write(flood)) {
        // until the socket buffer is full
      }
    };
    socket.on('drain', pump);
    pump();
  },
  { errors: ['ERR_POEM_TOO_LARGE'] },
);
await addPeer('sends hostile bytes', (socket) => socket.end(hostile), { poem: hostile });
await addPeer(
  'closes right after the last byte',
  (socket) => socket.end(lastBytePoem, () => socket.destroy()),
  { poem: lastBytePoem },
  2,
);
if (certs !== null) {
  const expired = { cert: certs['expired.pem'], key: certs['expired.key'] };
  const identity = { cert: certs['server.pem'], key: certs['server.key'] };
  await addTlsPeer('TLS with an expired certificate', (raw) => secureOn(raw, expired), {
    errors: ['ERR_TLS_CERT_EXPIRED'],
  });
  await addTlsPeer('plaintext at a tls: address', (socket) => socket.end(lastBytePoem), {
    errors: ['ERR_TLS_HANDSHAKE'],
  });
  await addTlsPeer(
    'TLS, half the poem, then a reset',
    (raw) => {
      const secure = secureOn(raw, identity);
      secure.once('secure', () =>
        secure.write(lastBytePoem.subarray(0, 20_000), () => later(5, () => raw.resetAndDestroy())),
      );
    },
    // As over TCP; a reset before the handshake is done breaks the handshake.
    { errors: ['ERR_POEM_INCOMPLETE', 'ERR_TLS_HANDSHAKE'] },
  );
}
// A server that never accepts: a child process listens with a backlog of 1 and blocks its
// event loop; two connections fill the queue, so the kernel drops every further SYN.
const UNACCEPTING = `
const net = require('node:net');
const server = net.createServer();
server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
  process.stdout.write(server.address().port + '\\n', () => {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.argv[1]));
    process.exit(0);
  });
});
`;
const unaccepting = spawn(
  process.execPath,
  ['-e', UNACCEPTING, String((options.seconds + 30) * 1000)],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const unacceptingExited = new Promise((resolve) => unaccepting.once('exit', resolve));
const unacceptingPort = await new Promise((resolve, reject) => {
  let text = '';
  unaccepting.stdout.setEncoding('utf8');
  unaccepting.stdout.on('data', (chunk) => {
    text += chunk;
    if (text.includes('\n')) resolve(Number(text.trim()));
  });
  unaccepting.once('exit', () => reject(new Error('the unaccepting peer exited early')));
});
const fillers = [];
await Promise.all(
  [0, 1, 2].map(
    () =>
      new Promise((resolve) => {
        const socket = net.connect({ host: '127.0.0.1', port: unacceptingPort });
        fillers.push(socket);
        socket.on('error', () => {});
        socket.once('connect', resolve);
        setTimeout(resolve, 300);
      }),
  ),
);
targets.push({
  name: 'never accepts (listen queue full)',
  endpoint: { host: '127.0.0.1', port: unacceptingPort },
  weight: 1,
  errors: ['ERR_CONNECT_TIMEOUT'],
});
{
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  targets.push({
    name: 'nothing listens',
    endpoint: { host: '127.0.0.1', port },
    weight: 1,
    errors: ['ERR_CONNECTION_REFUSED'],
  });
}

// --- misbehaving readers against our servers, in the background -----------------------------

const readers = new Set();
const readerTally = { started: 0, wrongBytes: 0 };
const READER_KINDS = ['disconnect', 'reset', 'half-close', 'never-read', 'send-data'];

function startHostileReader() {
  const entry = servers[Math.floor(random() * servers.length)];
  const target = targets.find((t) => t.ours === entry);
  const kind = READER_KINDS[Math.floor(random() * READER_KINDS.length)];
  const { endpoint } = target;
  const secure = endpoint.transport === 'tls';
  const socket =
    endpoint.transport === 'unix'
      ? net.connect({ path: endpoint.path, allowHalfOpen: true })
      : secure
        ? tls.connect({ host: endpoint.host, port: endpoint.port, ca: certs['ca.pem'] })
        : net.connect({ host: endpoint.host, port: endpoint.port, allowHalfOpen: true });
  readers.add(socket);
  readerTally.started++;
  const parts = [];
  socket.on('error', () => {});
  socket.once(secure ? 'secureConnect' : 'connect', () => {
    if (kind === 'half-close') socket.end();
    if (kind === 'never-read') {
      socket.pause();
      later(between(50, 1500), () => socket.destroy());
    }
    if (kind === 'send-data') socket.write(flood.subarray(0, 8192));
  });
  socket.on('data', (chunk) => {
    parts.push(chunk);
    if (kind === 'disconnect') socket.destroy();
    // Only a TCP socket can be reset; a TLS or UNIX reader just leaves.
    if (kind === 'reset') {
      if (endpoint.transport === undefined) socket.resetAndDestroy();
      else socket.destroy();
    }
  });
  socket.on('end', () => socket.end());
  socket.once('close', () => {
    readers.delete(socket);
    const got = Buffer.concat(parts);
    // However a reader behaves, what it got is the start of the poem and nothing else.
    if (Buffer.compare(got, target.poem.subarray(0, got.length)) !== 0) readerTally.wrongBytes++;
  });
}

// --- the client, fetching without pause ------------------------------------------------------

const totalWeight = targets.reduce((sum, t) => sum + t.weight, 0);
function drawTarget() {
  let r = random() * totalWeight;
  for (const target of targets) {
    r -= target.weight;
    if (r < 0) return target;
  }
  return targets[targets.length - 1];
}

const tally = {
  fetches: 0,
  ended: 0,
  poems: 0,
  poemBytes: 0,
  twice: 0,
  wrong: 0,
  cancels: 0,
  tightTimeouts: 0,
  serverCuts: 0,
  /** Poems cut short by a cut of their UNIX server: a UNIX socket cannot tell a cut from an end. */
  unixCutShort: 0,
  failures: {},
};
const wrongs = [];
let inFlight = 0;
let stopping = false;
let drained = () => {};

/** The address as the client names it: HOST:PORT, tls:HOST:PORT or unix:PATH. */
function label(target) {
  target.label ??= formatEndpoint(target.endpoint);
  return target.label;
}

function startFetch() {
  const target = drawTarget();
  const id = ++tally.fetches;
  inFlight++;
  const allowed = new Set(target.errors ?? []);
  const cutsAtStart = target.ours?.cuts ?? 0;
  const fetchOptions = {
    reactor: clientReactor,
    maxBytes: MAX_BYTES,
    timeouts: { connectSeconds: CONNECT_SECONDS, idleSeconds: IDLE_SECONDS, totalSeconds: 10 },
    tls: trust,
  };
  const fault = random();
  if (fault < 0.04) {
    tally.cancels++;
    const controller = new AbortController();
    fetchOptions.signal = controller.signal;
    later(between(0, 150), () => controller.abort(new Error('the soak cancelled it')));
    allowed.add('ERR_CANCELLED');
  } else if (fault < 0.08) {
    tally.tightTimeouts++;
    fetchOptions.timeouts = { ...fetchOptions.timeouts, totalSeconds: between(0.001, 0.05) };
    allowed.add('ERR_POEM_TIMEOUT');
  }
  let endings = 0;
  const wrong = (what) => {
    tally.wrong++;
    if (wrongs.length < 20)
      wrongs.push(`fetch ${id} from ${target.name} (${label(target)}): ${what}`);
  };
  const ended = () => {
    endings++;
    if (endings > 1) {
      tally.twice++;
      wrong('ended twice');
      return;
    }
    tally.ended++;
    inFlight--;
    if (stopping) {
      if (inFlight === 0) drained();
    } else {
      startFetch();
    }
  };
  getPoetryAt(
    target.endpoint,
    label(target),
    (poem) => {
      if (endings === 0) {
        tally.poems++;
        tally.poemBytes += poem.byteLength;
        if (target.poem === undefined)
          wrong(`a poem of ${poem.byteLength} bytes from a server that sends none`);
        else if (Buffer.compare(poem.bytes, target.poem) !== 0) {
          // A UNIX socket has no reset: a server that cuts its readers ends their streams, and
          // what they read is the start of the poem. Still checked: exactly its first bytes.
          const cut = (target.ours?.cuts ?? 0) !== cutsAtStart;
          const start = target.poem.subarray(0, poem.byteLength);
          if (
            cut &&
            target.endpoint.transport === 'unix' &&
            Buffer.compare(poem.bytes, start) === 0
          ) {
            tally.unixCutShort++;
          } else {
            wrong(`a poem of ${poem.byteLength} bytes that is not the ${target.poem.length} sent`);
          }
        }
      }
      ended();
    },
    (error) => {
      if (endings === 0) {
        const code = error?.code ?? 'no code';
        tally.failures[code] = (tally.failures[code] ?? 0) + 1;
        const cut = (target.ours?.cuts ?? 0) !== cutsAtStart;
        // A cut during a TLS handshake breaks the handshake.
        if (cut) allowed.add('ERR_POEM_INCOMPLETE').add('ERR_CONNECT').add('ERR_TLS_HANDSHAKE');
        if (!allowed.has(code)) wrong(`${code}: ${error?.message}`);
        else if (code !== 'ERR_CANCELLED' && error.address !== label(target)) {
          wrong(`the error names ${error.address}, not ${label(target)}`);
        } else if (code !== 'ERR_CANCELLED' && !error.message.startsWith(`${label(target)}: `)) {
          wrong(`the message does not start with the address: ${error.message}`);
        }
      }
      ended();
    },
    fetchOptions,
  );
}

function cutSomeServer() {
  const entry = servers[Math.floor(random() * servers.length)];
  entry.cuts++;
  tally.serverCuts++;
  entry.server.cutNow();
}

// --- the run --------------------------------------------------------------------------------

process.stdout.write(
  `soak: ${options.seconds} s, seed ${options.seed}, ${options.concurrency} fetches in flight, ` +
    `${targets.length} targets (${servers.length} our servers, ${targets.length - servers.length} misbehaving)\n`,
);
const startedAt = performance.now();
const background = setInterval(() => {
  if (chance(0.5)) startHostileReader();
  if (chance(0.5)) startHostileReader();
}, 20);
const cutter = setInterval(() => {
  if (chance(0.5)) cutSomeServer();
}, 1000);

for (let i = 0; i < options.concurrency; i++) startFetch();
await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
stopping = true;
clearInterval(background);
clearInterval(cutter);
const allEnded = new Promise((resolve) => {
  drained = resolve;
  if (inFlight === 0) resolve();
});
// Every fetch has a total timeout of 10 s: one still running after 15 s is lost.
let drainTimer;
const drainLimit = new Promise((resolve) => {
  drainTimer = setTimeout(resolve, 15_000);
});
await Promise.race([allEnded, drainLimit]);
clearTimeout(drainTimer);
const lost = inFlight;
const elapsedSeconds = (performance.now() - startedAt) / 1000;

// --- close everything, then look for leaks ---------------------------------------------------

for (const socket of readers) socket.destroy();
for (const timer of timers) clearTimeout(timer);
timers.clear();
const served = servers.reduce((sum, s) => sum + s.server.factory.served, 0);
const dropped = servers.reduce((sum, s) => sum + s.server.factory.dropped, 0);
const hangs = [];
/** Waits for `promise`, but at most `ms`: a step that hangs is reported, not waited for. */
async function bounded(promise, ms, what) {
  let timer;
  const limit = new Promise((resolve) => {
    timer = setTimeout(resolve, ms, 'hung');
  });
  const outcome = await Promise.race([promise.then(() => 'done'), limit]);
  clearTimeout(timer);
  if (outcome === 'hung') hangs.push(`${what} did not finish within ${ms / 1000} s`);
}
for (const { server } of servers) {
  await bounded(
    server.shutdown(0),
    5000,
    `shutdown of the server on ${formatEndpoint(server.endpoint)} (${server.factory.readers} readers left)`,
  );
}
await bounded(Promise.all(servers.map((s) => s.source.close())), 5000, 'closing the poem sources');
for (const socket of peerSockets) socket.destroy();
for (const socket of fillers) socket.destroy();
unaccepting.kill('SIGKILL');
await unacceptingExited;
unaccepting.stdout.destroy();
await bounded(
  Promise.all(peerServers.map((s) => new Promise((resolve) => s.close(resolve)))),
  5000,
  'closing the misbehaving peers',
);
rmSync(workDir, { recursive: true, force: true });

function leaks() {
  const found = [];
  const fds = openFds();
  if (fds > fdsAtStart) found.push(`file descriptors: ${fdsAtStart} at start, ${fds} now`);
  const handles = handleCounts();
  for (const [type, count] of Object.entries(handles)) {
    const before = handlesAtStart[type] ?? 0;
    if (count > before) found.push(`${type} handles: ${before} at start, ${count} now`);
  }
  return found;
}
let leaked = leaks();
for (let i = 0; i < 100 && leaked.length > 0; i++) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  leaked = leaks();
}

// --- report ---------------------------------------------------------------------------------

const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const failureLines = Object.entries(tally.failures)
  .sort((a, b) => b[1] - a[1])
  .map(([code, count]) => `  ${code.padEnd(24)} ${count}`);
const ok =
  lost === 0 &&
  tally.wrong === 0 &&
  tally.twice === 0 &&
  leaked.length === 0 &&
  reported.length === 0 &&
  readerTally.wrongBytes === 0 &&
  hangs.length === 0 &&
  tally.ended === tally.fetches;
const report = [
  `fetches   ${tally.fetches} in ${elapsedSeconds.toFixed(1)} s (ended ${tally.ended}, lost ${lost}, ended twice ${tally.twice})`,
  `poems     ${tally.poems} (${mib(tally.poemBytes)} MiB), each compared byte for byte with what was sent` +
    (tally.unixCutShort === 0
      ? ''
      : ` (${tally.unixCutShort} from UNIX servers cut while they sent: their first bytes, as a UNIX socket cannot tell a cut from an end)`),
  `failures  ${tally.ended - tally.poems}, by code:`,
  ...failureLines,
  `faults    ${tally.cancels} cancels, ${tally.tightTimeouts} tight total timeouts, ${tally.serverCuts} server cuts, ${readerTally.started} misbehaving readers`,
  `servers   ${served} poems served whole, ${dropped} readers dropped over the limit, ${readerTally.wrongBytes} readers given a wrong byte`,
  `errors    ${reported.length} reported by the reactors`,
  `hangs     ${hangs.length === 0 ? 'none: every server shut down, every peer closed' : hangs.join('; ')}`,
  `leaks     ${leaked.length === 0 ? `none (${fdsAtStart} descriptors at start and end)` : leaked.join('; ')}`,
  `wrong     ${tally.wrong} outcomes not allowed for their target${tally.wrong === 0 ? '' : ' (listed below)'}`,
  `lost: ${lost}`,
];
process.stdout.write(`${report.join('\n')}\n`);
for (const line of wrongs) process.stdout.write(`WRONG ${line}\n`);
for (const line of reported.slice(0, 5)) process.stdout.write(`REPORTED ${line}\n`);
process.stdout.write(`soak: ${ok ? 'OK' : 'FAILED'}\n`);

const resultsDir = join(ROOT, '.soak');
mkdirSync(resultsDir, { recursive: true });
const result = {
  date: new Date().toISOString(),
  node: process.version,
  seconds: options.seconds,
  seed: options.seed,
  concurrency: options.concurrency,
  ok,
  fetches: tally.fetches,
  ended: tally.ended,
  lost,
  endedTwice: tally.twice,
  wrong: tally.wrong,
  poems: tally.poems,
  unixCutShort: tally.unixCutShort,
  poemBytes: tally.poemBytes,
  failures: tally.failures,
  faults: {
    cancels: tally.cancels,
    tightTimeouts: tally.tightTimeouts,
    serverCuts: tally.serverCuts,
    misbehavingReaders: readerTally.started,
  },
  served,
  dropped,
  reportedErrors: reported.length,
  leaks: leaked,
  hangs,
  wrongs,
  checksum: createHash('sha256').update(JSON.stringify(tally)).digest('hex').slice(0, 12),
};
writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(resultsDir, 'latest.txt'), `${report.join('\n')}\n`);
// Exit now rather than when the event loop empties: after a hang or a leak, something is still
// open by definition, and the soak must end (in CI above all) with its verdict.
process.exit(ok ? 0 : 1);
