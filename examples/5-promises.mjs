// Example 5: the same job with Promises and await, the form the callbacks grow into.
//
// fetchPoem, fetchPoems and poemsAsCompleted run the reactor themselves: there is no
// reactor.run(), no counting of poems and errors, no reactor.stop(). Underneath it is still
// getPoetry, a factory, a protocol, a callback and an errback, on the one thread.

import { fetchPoem, fetchPoems, poemsAsCompleted } from 'poetry-now';
import { refusedAddress, startPoetryServers, stopServers } from './servers.mjs';

const servers = await startPoetryServers([
  'callback-inception.txt',
  'the-reactor.txt',
  'ode-to-utf8.txt',
]);
const refused = await refusedAddress();
const addresses = [...servers, refused].map(({ host, port }) => `${host}:${port}`);
const titleOf = (poem) => poem.text.split('\n', 1)[0];

// One poem: the callback is the line after await, the errback is catch.
const poem = await fetchPoem(addresses[1]);
console.log(`fetchPoem: "${titleOf(poem)}"`);
try {
  await fetchPoem(addresses[3]);
} catch (error) {
  console.log(`fetchPoem rejected: ${error.code}`);
}

// Many at once, settled in the order asked for, as Promise.allSettled would.
const results = await fetchPoems(addresses);
for (const result of results) {
  if (result.status === 'fulfilled') {
    console.log(`fetchPoems, in order: "${titleOf(result.value)}"`);
  } else {
    console.log(`fetchPoems, in order: ${result.address} failed: ${result.reason.code}`);
  }
}

// Many at once, each as soon as it ends: the shortest poem first.
for await (const result of poemsAsCompleted(addresses)) {
  const what = result.status === 'fulfilled' ? `"${titleOf(result.value)}"` : result.reason.code;
  console.log(`poemsAsCompleted, as each ends: ${what}`);
}

await stopServers();
