// Floor fast server: raw node:net, sends the whole poem at once to each connection, then closes.
// Usage: node fast-server.mjs FILE  (prints "Serving FILE on 127.0.0.1:PORT"; SIGTERM stops it)
import { readFileSync } from 'node:fs';
import net from 'node:net';

const file = process.argv[2];
const poem = readFileSync(file);
const ignore = () => {};

const server = net.createServer((socket) => {
  socket.on('error', ignore);
  socket.end(poem);
});
server.listen({ port: 0, host: '127.0.0.1', backlog: 65535 }, () => {
  process.stdout.write(`Serving ${file} on 127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
