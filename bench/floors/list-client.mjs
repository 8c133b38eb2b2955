// Floor list client: raw node:net, the least work that fetches every address of a file with a plain queue.
// Usage: node list-client.mjs --from FILE [--concurrency N] [--jsonl | --quiet]
// Reads FILE as a stream, one address a line (HOST:PORT; blank lines and # comments skipped),
// and keeps at most N fetches in flight (default 512), starting the next as one ends. With
// --jsonl, one JSON object per fetch as it ends (index counting from 1, address, and bytes and
// text, or code and message), then a summary (poems, failures, bytes, elapsedSeconds), as
// get-poetry's; with --quiet, only the summary line on stderr, as get-poetry's. Nothing of a
// finished fetch is kept but counters. Exit status 0 when every address gave a poem, 1 otherwise.
//
// The same tools as ours, in fetch-one.mjs: one shared read buffer of ours' read size, and a poem
// grown in place, never joined.
import { createReadStream } from 'node:fs';
import { fetchToMemory } from './fetch-one.mjs';

// Ours' default --max-bytes.
const MAX_BYTES = 64 * 1024 * 1024;
// Output is gathered and written once it reaches this size, or at the end of the turn.
const FLUSH_CHARS = 64 * 1024;
const COMPACT_AFTER = 16 * 1024;

const args = process.argv.slice(2);
let from = null;
let concurrency = 512;
let jsonl = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--from') from = args[++i];
  else if (args[i] === '--concurrency') concurrency = Number(args[++i]);
  else if (args[i] === '--jsonl') jsonl = true;
  else if (args[i] !== '--quiet') {
    process.stderr.write(`list-client: unknown argument ${args[i]}\n`);
    process.exit(2);
  }
}
if (from === null || !(concurrency >= 1)) {
  process.stderr.write(
    'Usage: node list-client.mjs --from FILE [--concurrency N] [--jsonl | --quiet]\n',
  );
  process.exit(2);
}

const startedMs = performance.now();
let poems = 0;
let failures = 0;
let bytesTotal = 0;
let inFlight = 0;
let nextIndex = 0;
let inputEnded = false;

// --- output ------------------------------------------------------------------------------------

let pendingOutput = '';
let flushScheduled = false;
// A reader slower than the fetches: no new fetch starts until stdout drains, so what waits to be
// written is bounded by the fetches in flight, not by the number of addresses.
let outputBlocked = false;

function flush() {
  flushScheduled = false;
  if (pendingOutput === '') return;
  const written = process.stdout.write(pendingOutput);
  pendingOutput = '';
  if (!written && !outputBlocked) {
    outputBlocked = true;
    process.stdout.once('drain', onDrain);
  }
}

function onDrain() {
  outputBlocked = false;
  startFetches();
}

function emit(line) {
  pendingOutput += line;
  if (pendingOutput.length >= FLUSH_CHARS) flush();
  else if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

// --- the addresses: a stream of lines, paused while enough are waiting -------------------------

const waiting = [];
let waitingAt = 0;
let carry = '';
const input = createReadStream(from, { encoding: 'latin1' });

function takeLine(line) {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (text === '' || text[0] === '#') return;
  waiting.push(text);
}

input.on('data', (chunk) => {
  const lines = (carry + chunk).split('\n');
  carry = lines.pop();
  for (const line of lines) takeLine(line);
  if (waiting.length - waitingAt >= concurrency) input.pause();
  startFetches();
});
input.on('end', () => {
  takeLine(carry);
  inputEnded = true;
  startFetches();
});
input.on('error', (error) => {
  process.stderr.write(`list-client: ${from}: ${error.message}\n`);
  process.exit(2);
});

function startFetches() {
  while (!outputBlocked && inFlight < concurrency && waitingAt < waiting.length) {
    const address = waiting[waitingAt];
    waiting[waitingAt++] = undefined;
    inFlight++;
    fetchOne(nextIndex++, address);
  }
  // The queue's taken head is dropped now and then, so it holds only the lines not yet started.
  if (waitingAt === waiting.length) {
    waiting.length = 0;
    waitingAt = 0;
  } else if (waitingAt >= COMPACT_AFTER) {
    waiting.splice(0, waitingAt);
    waitingAt = 0;
  }
  if (!inputEnded && input.isPaused() && waiting.length - waitingAt < concurrency) input.resume();
  if (inputEnded && inFlight === 0 && waitingAt === waiting.length) finishRun();
}

// --- one fetch ---------------------------------------------------------------------------------

function fetchOne(index, address) {
  fetchToMemory(address, MAX_BYTES, (poem, failure) => {
    if (poem !== null && failure === null) {
      poems++;
      bytesTotal += poem.length;
      if (jsonl) {
        const text = poem.toString('utf8');
        emit(`${JSON.stringify({ index: index + 1, address, bytes: poem.length, text })}\n`);
      }
    } else {
      failures++;
      if (jsonl) {
        const code = failure?.code ?? 'CONNECTION_LOST';
        const message = failure?.message ?? 'the connection closed before the poem ended';
        emit(`${JSON.stringify({ index: index + 1, address, code, message })}\n`);
      }
    }
    inFlight--;
    startFetches();
  });
}

let finished = false;

function finishRun() {
  if (finished) return;
  finished = true;
  const elapsedSeconds = (performance.now() - startedMs) / 1000;
  if (jsonl) {
    emit(`${JSON.stringify({ poems, failures, bytes: bytesTotal, elapsedSeconds })}\n`);
    flush();
  }
  process.stderr.write(
    `Got ${poems} poems (${bytesTotal} bytes) in ${elapsedSeconds.toFixed(3)} s; ${failures} failed.\n`,
  );
  process.exitCode = failures > 0 || nextIndex === 0 ? 1 : 0;
}
