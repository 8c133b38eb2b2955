// Example 6: testing a protocol without a network, and a timeout in no time.
//
// poetry-now/testing has Twisted's test doubles: a fake Clock whose time moves only when told,
// a MemoryTransport that records what is done to it instead of touching a socket, and a
// MemoryReactor (a Clock too) whose connectTCP records the attempt for the test to drive.
// Here they test example 3's TimeoutPoetryClientFactory: its protocol fed byte by byte, and its
// 30-second timeout fired at once.

import assert from 'node:assert/strict';
import { ConnectionDone } from 'poetry-now';
import { Clock, MemoryReactor, MemoryTransport } from 'poetry-now/testing';
import { PoemTimeoutError, TimeoutPoetryClientFactory } from './3-timeout.mjs';

/** A factory whose callback and errback write down what they got. */
function recordingFactory(clock) {
  const got = { poems: [], errors: [] };
  const factory = new TimeoutPoetryClientFactory(
    (poem) => got.poems.push(poem),
    (error) => got.errors.push(error),
    { timeoutSeconds: 30, reactor: clock },
  );
  return { factory, got };
}

function check(name, test) {
  test();
  console.log(`ok - ${name}`);
}

check('the protocol collects a poem fed one byte at a time, and hands it on at the close', () => {
  const { factory, got } = recordingFactory(new Clock());
  const protocol = factory.buildProtocol({ host: '127.0.0.1', port: 10000 });
  const transport = new MemoryTransport();
  protocol.makeConnection(transport);
  for (const byte of Buffer.from('Ωδή to a slow server\n')) {
    protocol.dataReceived(Buffer.from([byte]));
  }
  assert.deepEqual(got.poems, []);
  protocol.connectionLost(new ConnectionDone('connection closed cleanly'));
  // A Greek letter split across reads comes out whole: the bytes are joined before decoding.
  assert.deepEqual(got.poems, ['Ωδή to a slow server\n']);
  assert.equal(transport.value().length, 0, 'a poetry client sends nothing');
});

check('a poem that takes 30 s fails with PoemTimeoutError and its connection is closed', () => {
  const reactor = new MemoryReactor();
  const { factory, got } = recordingFactory(reactor);
  const connector = reactor.connectTCP('127.0.0.1', 10000, factory);
  const protocol = connector.accept();
  protocol.dataReceived(Buffer.from('The first line, and then nothing'));
  reactor.advance(29.9);
  assert.deepEqual(got.errors, []);
  reactor.advance(0.1);
  assert.equal(got.errors.length, 1);
  assert.ok(got.errors[0] instanceof PoemTimeoutError);
  assert.equal(got.errors[0].message, '127.0.0.1:10000: no poem after 30 s');
  assert.equal(got.errors[0].code, 'ERR_POEM_TIMEOUT');
  assert.equal(connector.transport.aborted, true, 'the connection was closed');
  // The close that follows calls neither the callback nor the errback again.
  connector.lose();
  assert.deepEqual(got.poems, []);
  assert.equal(got.errors.length, 1);
});

check('a poem that ends in time cancels the timeout', () => {
  const reactor = new MemoryReactor();
  const { factory, got } = recordingFactory(reactor);
  const connector = reactor.connectTCP('127.0.0.1', 10000, factory);
  const protocol = connector.accept();
  reactor.advance(10);
  protocol.dataReceived(Buffer.from('A short poem.\n'));
  connector.lose();
  assert.deepEqual(got.poems, ['A short poem.\n']);
  assert.deepEqual(reactor.getDelayedCalls(), [], 'no timer is left behind');
  reactor.advance(60);
  assert.deepEqual(got.errors, []);
});

console.log('all passed: 30 s of timeouts on a fake clock, and no socket opened');
