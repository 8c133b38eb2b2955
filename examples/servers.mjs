// The servers the examples fetch from, started inside the example on free loopback ports.
//
// The lesson runs each poetry server in a terminal of its own; an example starts its own here,
// so it needs nothing else running. They run on a reactor of their own: the example's main
// program stops the shared `reactor` when its poems are in, as the lesson's does, and the
// servers must not stop with it.

import { readFile } from 'node:fs/promises';
import {
  BufferPoemSource,
  Protocol,
  Reactor,
  ServerFactory,
  servePoetry,
  silentLogger,
} from 'poetry-now';

const serverReactor = new Reactor();
const running = [];

/** Stops every server this module started. Call it once the example is done. */
export async function stopServers() {
  await Promise.all(running.splice(0).map((stop) => stop()));
}

/**
 * Starts a slow poetry server for each bundled poem named (a file in poems/), each sending
 * `numBytes` every `delay` seconds, on 127.0.0.1 at a free port. Returns their addresses, as
 * `{ host, port, file }`, in the order given.
 */
export async function startPoetryServers(files, { delay = 0.1, numBytes = 60 } = {}) {
  const addresses = [];
  for (const file of files) {
    const poem = await readFile(new URL(`../poems/${file}`, import.meta.url));
    const server = await servePoetry(serverReactor, new BufferPoemSource(poem), {
      port: 0,
      interface: '127.0.0.1',
      delay,
      numBytes,
      logger: silentLogger,
    });
    running.push(() => server.shutdown(0));
    addresses.push({ ...server.getHost(), file });
  }
  return addresses;
}

/** Says nothing to its reader, ever; its factory keeps it, so the server can close it. */
class SilentProtocol extends Protocol {
  connectionMade() {
    this.factory.readers.add(this);
  }

  connectionLost(reason) {
    super.connectionLost(reason);
    this.factory.readers.delete(this);
  }
}

class SilentFactory extends ServerFactory {
  protocol = SilentProtocol;
  readers = new Set();
}

/** A server that accepts a reader and never sends it a byte: a poem that never comes. */
export async function startSilentServer() {
  const factory = new SilentFactory();
  const port = await serverReactor.listenTCP(0, factory, { interface: '127.0.0.1' });
  running.push(async () => {
    for (const reader of factory.readers) reader.transport.abortConnection();
    await port.stopListening();
  });
  return port.getHost();
}

/** An address on 127.0.0.1 where nothing listens, so connecting to it is refused. */
export async function refusedAddress() {
  const port = await serverReactor.listenTCP(0, new ServerFactory(), { interface: '127.0.0.1' });
  const address = port.getHost();
  await port.stopListening();
  return address;
}
