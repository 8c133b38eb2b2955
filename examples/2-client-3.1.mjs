// Example 2, the lesson's client 3.1: a callback for the poem and an errback for the failure,
// with one address where nothing listens.
//
// Exactly one of the two is called for each getPoetry, exactly once, so the main program can
// count both and stop the reactor when poems plus errors equal the addresses: it ends whether
// the servers answered or not. (Client 3.0 would wait forever for the refused one.)

import { getPoetry, reactor } from 'poetry-now';
import { refusedAddress, startPoetryServers, stopServers } from './servers.mjs';

const addresses = [
  ...(await startPoetryServers(['the-reactor.txt', 'callback-inception.txt'])),
  await refusedAddress(),
];

const poems = [];
const errors = [];

function poemDone() {
  if (poems.length + errors.length === addresses.length) reactor.stop();
}

function gotPoem(poem) {
  poems.push(poem);
  console.log(`callback: "${poem.text.split('\n', 1)[0]}" (${poem.byteLength} bytes)`);
  poemDone();
}

function poemFailed(error) {
  errors.push(error);
  // The reason is an Error with a stable code (ERR_CONNECTION_REFUSED here), not a crash.
  console.log(`errback: ${error.name} (${error.code}): ${error.message}`);
  poemDone();
}

const running = reactor.run();
for (const { host, port } of addresses) getPoetry(host, port, gotPoem, poemFailed);
await running;

console.log(`the reactor stopped: ${poems.length} poems, ${errors.length} failed`);
await stopServers();
