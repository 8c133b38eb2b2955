// Floor client: raw node:net, the least work that fetches every poem and prints it as get-poetry does.
// Usage: node client.mjs [--output DIR] [--max-bytes N] [host:]port...
// Without --output, once every fetch has ended the poems go to stdout in the order given, in
// get-poetry's format (the poem alone for one address; for more, each under a header). With
// --output DIR, each poem streams into DIR/INDEX.txt and nothing is printed. Exit status 0 when
// every address gave a poem, 1 otherwise.
//
// The same tools as ours: every socket reads into one shared buffer of ours' read size (net's
// `onread`), so no read allocates; a poem held in memory is copied out of it, into a Buffer of
// its own for the first read and into one resizable ArrayBuffer that grows in place after that
// (reserved up to --max-bytes, default ours' 64 MiB), never joined at the end.
import { closeSync, openSync, writeSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

// src/poetry/defaults.ts READ_BUFFER_BYTES.
const READ_BUFFER_BYTES = 256 * 1024;
const readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);

const args = process.argv.slice(2);
let outputDir = null;
let maxBytes = 64 * 1024 * 1024;
const addresses = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--output') outputDir = args[++i];
  else if (args[i] === '--max-bytes') maxBytes = Number(args[++i]);
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

function fetchToMemory(index, host, port) {
  let firstRead = null;
  let store = null;
  let view = null;
  let length = 0;
  const socket = net.connect({
    port,
    host,
    onread: {
      buffer: readBuffer,
      callback(bytesRead, buffer) {
        const end = length + bytesRead;
        if (end > maxBytes) {
          socket.destroy(new Error('poem too large'));
          return false;
        }
        if (store !== null) {
          store.resize(end);
          view.set(buffer.subarray(0, bytesRead), length);
        } else if (firstRead === null) {
          firstRead = Buffer.from(buffer.subarray(0, bytesRead));
        } else {
          store = new ArrayBuffer(end, { maxByteLength: maxBytes });
          view = new Uint8Array(store);
          view.set(firstRead);
          view.set(buffer.subarray(0, bytesRead), length);
          firstRead = null;
        }
        length = end;
        return true;
      },
    },
  });
  socket.on('end', () => {
    if (length === 0) return;
    poems[index] = store === null ? firstRead : Buffer.from(store, 0, length);
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    if (poems[index] === null) failures++;
    finishOne();
  });
}

// Written to a file as each read arrives, synchronously: to the page cache that is the least work
// (a stream would hop through the thread pool per chunk), and the poem is never held.
function fetchToFile(index, host, port) {
  const fd = openSync(join(outputDir, `${index}.txt`), 'w');
  let ended = false;
  const socket = net.connect({
    port,
    host,
    onread: {
      buffer: readBuffer,
      callback(bytesRead, buffer) {
        writeSync(fd, buffer, 0, bytesRead);
        return true;
      },
    },
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
  const colon = address.lastIndexOf(':');
  const host = colon === -1 ? '127.0.0.1' : address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  if (outputDir === null) fetchToMemory(index, host, port);
  else fetchToFile(index, host, port);
});
process.on('exit', () => {
  if (failures > 0 || addresses.length === 0) process.exitCode = 1;
});
