// Floor slow server: raw node:net, NUM_BYTES every DELAY seconds per connection, then closes.
// Usage: node slow-server.mjs FILE DELAY_SECONDS NUM_BYTES
// Chunk n is written at accept + n × delay: each timer is set against that schedule, so timer
// lateness never accumulates. The connection closes with the last chunk.
import { readFileSync } from 'node:fs';
import net from 'node:net';

const [file, delaySecondsText, numBytesText] = process.argv.slice(2);
const poem = readFileSync(file);
const delayMs = Number(delaySecondsText) * 1000;
const numBytes = Number(numBytesText);
const ignore = () => {};

const server = net.createServer((socket) => {
  const startMs = performance.now();
  let next = 0;
  let timer = null;
  const tick = () => {
    const from = next * numBytes;
    next++;
    if (from + numBytes >= poem.length) {
      socket.end(poem.subarray(from));
      return;
    }
    socket.write(poem.subarray(from, from + numBytes));
    timer = setTimeout(tick, startMs + next * delayMs - performance.now());
  };
  socket.on('error', ignore);
  socket.on('close', () => clearTimeout(timer));
  tick();
});
server.listen({ port: 0, host: '127.0.0.1', backlog: 65535 }, () => {
  process.stdout.write(`Serving ${file} on 127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
