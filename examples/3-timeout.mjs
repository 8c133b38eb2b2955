// Example 3, the lesson's first exercise: a client that gives up on a poem that takes too long.
// The timeout is written by hand with callLater, in a protocol and a factory of our own (the
// library's getPoetry has timeouts built in; here we build one to see how). When it fires, the
// factory calls the errback with an error of our own and closes the connection.
//
// Example 6 tests this factory without a network: it is exported, and the program below runs
// only when this file is run itself.

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ClientFactory, Protocol, reactor } from 'poetry-now';
import { startPoetryServers, startSilentServer, stopServers } from './servers.mjs';

/**
 * Our own error, with a name and a stable code (as every error of poetry-now has), so the
 * errback can tell a timeout from a refused connection, and the address it concerns.
 */
export class PoemTimeoutError extends Error {
  constructor(address, seconds) {
    super(`${address}: no poem after ${seconds} s`);
    this.name = 'PoemTimeoutError';
    this.code = 'ERR_POEM_TIMEOUT';
    this.address = address;
  }
}

/** The lesson's PoetryProtocol: collects the poem and hands it to the factory at the close. */
export class PoetryProtocol extends Protocol {
  chunks = [];

  dataReceived(data) {
    this.chunks.push(data);
  }

  connectionLost(reason) {
    super.connectionLost(reason);
    // (The lesson takes any close as the end of the poem; the library's own PoetryProtocol
    // takes only a clean one, and reports a poem cut short as PoemIncompleteError.)
    this.factory.poemFinished(Buffer.concat(this.chunks).toString('utf8'));
  }
}

/**
 * The lesson's PoetryClientFactory, with a timeout: `callback(poem)` or `errback(error)`, one of
 * them, once. The timer starts when connecting starts, on the reactor's clock.
 */
export class TimeoutPoetryClientFactory extends ClientFactory {
  protocol = PoetryProtocol;

  constructor(callback, errback, { timeoutSeconds, reactor: clock = reactor }) {
    super();
    this.callback = callback;
    this.errback = errback;
    this.timeoutSeconds = timeoutSeconds;
    this.clock = clock;
    this.timeoutCall = undefined;
    this.poetryProtocol = undefined;
  }

  startedConnecting(connector) {
    const { host, port } = connector.getDestination();
    this.timeoutCall = this.clock.callLater(this.timeoutSeconds, () => {
      this.timeoutCall = undefined;
      this.fail(new PoemTimeoutError(`${host}:${port}`, this.timeoutSeconds));
      // Close the connection: abort it, as nothing we could still send matters; or give up
      // connecting, if it was never made.
      if (this.poetryProtocol !== undefined) this.poetryProtocol.transport.abortConnection();
      else connector.stopConnecting();
    });
  }

  buildProtocol(addr) {
    this.poetryProtocol = super.buildProtocol(addr);
    return this.poetryProtocol;
  }

  poemFinished(poem) {
    this.cancelTimeout();
    // Take the callback and forget both, so whatever comes later calls nothing.
    const callback = this.callback;
    this.callback = this.errback = undefined;
    callback?.(poem);
  }

  clientConnectionFailed(_connector, reason) {
    this.fail(reason);
  }

  fail(error) {
    this.cancelTimeout();
    const errback = this.errback;
    this.callback = this.errback = undefined;
    errback?.(error);
  }

  cancelTimeout() {
    if (this.timeoutCall?.active()) this.timeoutCall.cancel();
    this.timeoutCall = undefined;
  }
}

/** The lesson's get_poetry, for our factory. */
export function getPoetry(host, port, callback, errback, timeoutSeconds) {
  const factory = new TimeoutPoetryClientFactory(callback, errback, { timeoutSeconds });
  reactor.connectTCP(host, port, factory);
  return factory;
}

async function main() {
  const timeoutSeconds = 1;
  // One server that sends its poem within the second, and one that never sends a byte.
  const [quick] = await startPoetryServers(['the-reactor.txt'], { delay: 0.05, numBytes: 100 });
  const silent = await startSilentServer();
  const addresses = [quick, silent];
  let done = 0;
  const poemDone = () => {
    if (++done === addresses.length) reactor.stop();
  };
  const running = reactor.run();
  for (const { host, port } of addresses) {
    getPoetry(
      host,
      port,
      (poem) => {
        console.log(`callback: "${poem.split('\n', 1)[0]}" from ${host}:${port}`);
        poemDone();
      },
      (error) => {
        console.log(
          `errback: ${error.name} (${error.code}): ${error.message}; the connection was closed`,
        );
        poemDone();
      },
      timeoutSeconds,
    );
  }
  await running;
  console.log('the reactor stopped: every getPoetry ended, in time or not');
  await stopServers();
}

if (realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
