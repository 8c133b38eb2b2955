// Floor client: raw node:net, the least work that fetches every poem and prints it as get-poetry does.
// Usage: node client.mjs [--output DIR] [--max-bytes N] [--ca FILE] ADDRESS...
// An ADDRESS is [host:]port, tls:host:port (over node:tls, checked against --ca) or unix:PATH.
// Without --output, once every fetch has ended the poems go to stdout in the order given, in
// get-poetry's format (the poem alone for one address; for more, each under a header). With
// --output DIR, each poem streams into DIR/INDEX.txt and nothing is printed. Exit status 0 when
// every address gave a poem, 1 otherwise.
//
// The same tools as ours, in fetch-one.mjs: one shared read buffer of ours' read size, and a poem
// held in memory grown in place (reserved up to --max-bytes, default ours' 64 MiB).
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { connectReading, fetchToMemory, trustCertificates } from './fetch-one.mjs';

const args = process.argv.slice(2);
let outputDir = null;
let maxBytes = 64 * 1024 * 1024;
const addresses = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--output') outputDir = args[++i];
  else if (args[i] === '--max-bytes') maxBytes = Number(args[++i]);
  else if (args[i] === '--ca') trustCertificates(readFileSync(args[++i]));
  else addresses.push(args[i]);
}

const poems = new Array(addresses.length).fill(null);
let pending = addresses.length;
let failures = 0;

function printAll() {
  const single = addresses.length === 1;
  let first = true;
  poems.forEach((poem, index) => {
    if (poem === null) return;
    if (!single) {
      process.stdout.write(`${first ? '' : '\n'}==> Task ${index + 1}: ${addresses[index]} <==\n`);
    }
    first = false;
    process.stdout.write(poem);
    if (!single && poem[poem.length - 1] !== 0x0a) process.stdout.write('\n');
  });
}

function finishOne() {
  if (--pending === 0 && outputDir === null) printAll();
}

// Written to a file as each read arrives, synchronously: to the page cache that is the least work
// (a stream would hop through the thread pool per chunk), and the poem is never held.
function fetchToFile(index, address) {
  const fd = openSync(join(outputDir, `${index}.txt`), 'w');
  let ended = false;
  const socket = connectReading(address, (bytesRead, buffer) => {
    writeSync(fd, buffer, 0, bytesRead);
    return true;
  });
  socket.on('end', () => {
    ended = true;
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closeSync(fd);
    if (!ended) failures++;
    finishOne();
  });
}

addresses.forEach((address, index) => {
  if (outputDir !== null) {
    fetchToFile(index, address);
    return;
  }
  fetchToMemory(address, maxBytes, (poem) => {
    poems[index] = poem;
    if (poem === null) failures++;
    finishOne();
  });
});
process.on('exit', () => {
  if (failures > 0 || addresses.length === 0) process.exitCode = 1;
});
