// Example 1, the lesson's client 3.0: getPoetry with a callback, and a main program that stops
// the reactor once every poem is in.
//
// getPoetry(host, port, callback) asks the reactor to connect; the reactor makes a
// PoetryClientFactory's PoetryProtocol for the connection, feeds it each chunk, and when the
// server closes the connection the factory hands the whole poem to the callback. Nothing here
// waits: getPoetry returns at once, and the one thread runs callbacks as servers speak.

import { getPoetry, reactor } from 'poetry-now';
import { startPoetryServers, stopServers } from './servers.mjs';

const addresses = await startPoetryServers([
  'the-reactor.txt',
  'callback-inception.txt',
  'ode-to-utf8.txt',
]);

// The lesson's poetry_main.
const poems = [];

function gotPoem(poem) {
  poems.push(poem);
  const title = poem.text.split('\n', 1)[0];
  console.log(`got "${title}" (${poem.byteLength} bytes) from ${poem.address}`);
  // Only the main program knows how many poems it wants, so only it stops the reactor.
  if (poems.length === addresses.length) reactor.stop();
}

const running = reactor.run();
for (const { host, port } of addresses) {
  // A callback only, as in client 3.0: were a server down, no callback would ever come for it,
  // poems would never reach addresses.length, and this program would wait forever.
  // Example 2 adds the errback that fixes it.
  getPoetry(host, port, gotPoem);
}
await running;

console.log(`the reactor stopped: ${poems.length} poems, fetched at once on one thread`);
await stopServers();
