// Example 4, the lesson's second exercise: when a poem fails, say which server was the culprit.
//
// The errback is told why, not where. The lesson's answer is to give the errback more
// arguments: here each getPoetry gets an errback of its own that knows its host and port and
// passes them on. (poetry-now's errors also carry the address themselves, as `error.address`.)

import { getPoetry, reactor } from 'poetry-now';
import { refusedAddress, startPoetryServers, startSilentServer, stopServers } from './servers.mjs';

const addresses = [
  ...(await startPoetryServers(['callback-inception.txt'])),
  await refusedAddress(),
  await startSilentServer(),
];

let done = 0;
const culprits = [];

function poemDone() {
  if (++done === addresses.length) reactor.stop();
}

function gotPoem(poem, host, port) {
  console.log(`${host}:${port} sent "${poem.text.split('\n', 1)[0]}" (${poem.byteLength} bytes)`);
  poemDone();
}

function poemFailed(error, host, port) {
  culprits.push(`${host}:${port}`);
  console.log(
    `${host}:${port} is the culprit: ${error.code} (error.address says ${error.address})`,
  );
  poemDone();
}

const running = reactor.run();
for (const { host, port } of addresses) {
  getPoetry(
    host,
    port,
    (poem) => gotPoem(poem, host, port),
    (error) => poemFailed(error, host, port),
    // A server that goes quiet for half a second is given up (IdleTimeoutError).
    { timeouts: { idleSeconds: 0.5 } },
  );
}
await running;

console.log(`the reactor stopped; culprits: ${culprits.sort().join(', ')}`);
await stopServers();
