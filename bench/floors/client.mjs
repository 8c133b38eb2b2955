// Floor client: raw node:net, the least work that fetches every poem (connect, collect, join, count).
// Usage: node client.mjs [--output DIR] [--hash] [host:]port...
// Prints one JSON line: {"poems":N,"failures":N,"bytes":N} (with --hash, also each poem's sha256).
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

const args = process.argv.slice(2);
let outputDir = null;
let hash = false;
const addresses = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--output') outputDir = args[++i];
  else if (args[i] === '--hash') hash = true;
  else addresses.push(args[i]);
}

let pending = addresses.length;
let poems = 0;
let failures = 0;
let bytes = 0;
const hashes = hash ? new Array(addresses.length) : null;

function finishOne() {
  if (--pending === 0) {
    const summary = { poems, failures, bytes };
    if (hashes) summary.sha256 = hashes;
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  }
}

function fetchToMemory(index, host, port) {
  const chunks = [];
  const socket = net.connect(port, host);
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.on('end', () => {
    const poem = Buffer.concat(chunks);
    poems++;
    bytes += poem.length;
    if (hashes) hashes[index] = createHash('sha256').update(poem).digest('hex');
  });
  socket.on('error', () => failures++);
  socket.on('close', finishOne);
}

// Written to a file as each chunk arrives, synchronously: to the page cache that is the least work
// (a stream would hop through the thread pool per chunk), and the poem is never held.
function fetchToFile(index, host, port) {
  const socket = net.connect(port, host);
  const fd = openSync(join(outputDir, `${index}.txt`), 'w');
  socket.on('data', (chunk) => {
    writeSync(fd, chunk);
    bytes += chunk.length;
  });
  socket.on('end', () => poems++);
  socket.on('error', () => failures++);
  socket.on('close', () => {
    closeSync(fd);
    finishOne();
  });
}

if (addresses.length === 0) finishOne();
addresses.forEach((address, index) => {
  const colon = address.lastIndexOf(':');
  const host = colon === -1 ? '127.0.0.1' : address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  if (outputDir) fetchToFile(index, host, port);
  else fetchToMemory(index, host, port);
});
process.on('exit', () => {
  if (failures > 0 || poems !== addresses.length) process.exitCode = 1;
});
