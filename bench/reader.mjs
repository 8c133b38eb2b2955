// Load-generating reader for the server capacity scenario: N concurrent raw node:net readers that
// time each chunk's arrival against the server's schedule.
// Usage: node reader.mjs --port P [--host H] --readers N --delay SECONDS --chunk-bytes B
//          --poem FILE [--timeout SECONDS]
// Prints one JSON line. Chunk n is due at start + n × delay; its lateness is the arrival of its last
// byte minus that. The server's accept time is not visible from here, and this process's own
// event-loop lag while it opens thousands of sockets would shift a start taken from the first
// byte, so each reader's start is the earliest one its arrivals allow: min over n of
// (arrival n − n × delay). Lateness is then never negative, and a server whose pacing drifts
// (a delay after each write instead of a schedule) shows as lateness growing with n. The wait
// from connect to the first byte is reported apart as firstByteMs.
import { readFileSync } from 'node:fs';
import net from 'node:net';

const options = { host: '127.0.0.1', timeout: 0 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) options[argv[i].replace(/^--/, '')] = argv[i + 1];
const host = options.host;
const port = Number(options.port);
const readers = Number(options.readers);
const delayMs = Number(options.delay) * 1000;
const chunkBytes = Number(options['chunk-bytes']);
const poem = readFileSync(options.poem);
const chunksPerPoem = Math.max(1, Math.ceil(poem.length / chunkBytes));
const scheduleMs = (chunksPerPoem - 1) * delayMs;
// Bounded: readers that are not done by then are cut off and counted as failures.
const timeoutMs = Number(options.timeout) * 1000 || scheduleMs * 3 + 30_000;

const lateness = new Float64Array(readers * chunksPerPoem);
let latenessCount = 0;
const firstByte = new Float64Array(readers);
let firstByteCount = 0;
let open = readers;
let exact = 0;
let wrong = 0;
let failed = 0;
const sockets = [];
const beganMs = performance.now();

function percentile(values, count, p) {
  if (count === 0) return null;
  const sorted = values.subarray(0, count).sort();
  return sorted[Math.min(count - 1, Math.ceil((p / 100) * count) - 1)];
}

function summarize(list, count) {
  const round = (x) => (x === null ? null : Math.round(x * 100) / 100);
  return {
    p50: round(percentile(list, count, 50)),
    p99: round(percentile(list, count, 99)),
    max: round(percentile(list, count, 100)),
  };
}

function finish() {
  clearTimeout(deadline);
  for (const result of results) check(result);
  const summary = {
    readers,
    exact,
    wrong,
    failed,
    chunksPerPoem,
    scheduleSeconds: scheduleMs / 1000,
    wallSeconds: Math.round(performance.now() - beganMs) / 1000,
    latenessMs: summarize(lateness, latenessCount),
    firstByteMs: summarize(firstByte, firstByteCount),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exitCode = exact === readers ? 0 : 1;
}

// Each reader keeps its chunks and arrival times; checking them waits for the end, so that work
// never delays another reader's chunk.
const results = [];

function read() {
  const result = {
    chunks: [],
    arrivalsMs: new Float64Array(chunksPerPoem),
    completed: 0,
    ok: false,
  };
  results.push(result);
  let connectedMs = 0;
  let received = 0;
  const socket = net.connect(port, host);
  sockets.push(socket);
  socket.on('connect', () => {
    connectedMs = performance.now();
  });
  socket.on('data', (chunk) => {
    const nowMs = performance.now();
    if (received === 0) firstByte[firstByteCount++] = nowMs - connectedMs;
    result.chunks.push(chunk);
    received += chunk.length;
    const done = received >= poem.length ? chunksPerPoem : Math.floor(received / chunkBytes);
    for (; result.completed < done; result.completed++) result.arrivalsMs[result.completed] = nowMs;
  });
  socket.on('error', () => {});
  socket.on('close', (hadError) => {
    result.ok = !hadError;
    if (--open === 0) finish();
  });
}

function check(result) {
  if (!result.ok) failed++;
  else if (poem.equals(Buffer.concat(result.chunks))) exact++;
  else wrong++;
  if (result.completed < chunksPerPoem) return;
  let startMs = Number.POSITIVE_INFINITY;
  for (let n = 0; n < chunksPerPoem; n++) {
    startMs = Math.min(startMs, result.arrivalsMs[n] - n * delayMs);
  }
  for (let n = 0; n < chunksPerPoem; n++) {
    lateness[latenessCount++] = result.arrivalsMs[n] - (startMs + n * delayMs);
  }
}

const deadline = setTimeout(() => {
  for (const socket of sockets) socket.destroy();
}, timeoutMs);
// Readers open in batches, one batch per event-loop turn, so that this process is never blocked
// for long opening sockets while earlier readers' first chunks wait unread.
const BATCH = 100;
let opened = 0;
function openBatch() {
  for (const end = Math.min(readers, opened + BATCH); opened < end; opened++) read();
  if (opened < readers) setImmediate(openBatch);
}
openBatch();
