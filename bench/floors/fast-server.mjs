// Floor fast server: raw node:net (node:tls with --tls), sends the whole poem at once to each
// connection, then closes.
// Usage: node fast-server.mjs [--tls CERT KEY | --unix PATH] FILE
// Prints "Serving FILE on 127.0.0.1:PORT" (tls:127.0.0.1:PORT, unix:PATH); SIGTERM stops it.
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

const args = process.argv.slice(2);
let credentials = null;
let path = null;
if (args[0] === '--tls') {
  credentials = { cert: readFileSync(args[1]), key: readFileSync(args[2]) };
  args.splice(0, 3);
} else if (args[0] === '--unix') {
  path = args[1];
  args.splice(0, 2);
}
const file = args[0];
const poem = readFileSync(file);
const ignore = () => {};

function serve(socket) {
  socket.on('error', ignore);
  socket.end(poem);
}

// Over TLS the poem goes once the handshake is done ('secureConnection'), as any TLS server's.
const server =
  credentials === null ? net.createServer(serve) : tls.createServer(credentials, serve);
server.on('tlsClientError', ignore);
if (path !== null) {
  rmSync(path, { force: true });
  server.listen({ path, backlog: 65535 }, () => {
    process.stdout.write(`Serving ${file} on unix:${path}\n`);
  });
} else {
  server.listen({ port: 0, host: '127.0.0.1', backlog: 65535 }, () => {
    const scheme = credentials === null ? '' : 'tls:';
    process.stdout.write(`Serving ${file} on ${scheme}127.0.0.1:${server.address().port}\n`);
  });
}
process.on('SIGTERM', () => {
  if (path !== null) rmSync(path, { force: true });
  process.exit(0);
});
