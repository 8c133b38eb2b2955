// The recorder: collects a run's events from `onEvent`, on the reactor's clock, for drawing.

import { describe, expect, it } from 'vitest';
import { ConnectionDone, ConnectionRefusedError } from '../../../src/internet/errors.js';
import type { PoetryProtocol } from '../../../src/poetry/client.js';
import type { FetchEvent } from '../../../src/poetry/events.js';
import { fetchPoems } from '../../../src/poetry/fetch.js';
import { Clock, MemoryReactor } from '../../../src/testing/index.js';
import { renderTimelineSvg, TimelineRecorder } from '../../../src/timeline/index.js';
import { byClass, parseMarkup } from './markup.js';

const A = '127.0.0.1:10001';

function connecting(seconds: number, index = 0): FetchEvent {
  return { type: 'connecting', index, address: A, seconds };
}

describe('TimelineRecorder', () => {
  it("starts the run at the clock's time when made and ends it at finish()", () => {
    const clock = new Clock();
    clock.advance(12.5);
    const recorder = new TimelineRecorder(clock, [A]);
    expect(recorder.startSeconds).toBe(12.5);
    expect(recorder.endSeconds).toBeUndefined();
    clock.advance(3);
    const run = recorder.finish();
    expect(run).toEqual({ addresses: [A], events: [], startSeconds: 12.5, endSeconds: 15.5 });
    expect(recorder.endSeconds).toBe(15.5);
  });

  it('keeps the end of the first finish()', () => {
    const clock = new Clock();
    const recorder = new TimelineRecorder(clock);
    clock.advance(1);
    recorder.finish();
    clock.advance(1);
    expect(recorder.finish().endSeconds).toBe(1);
  });

  it('records every event it is told about, in order, through a detached listener', () => {
    const recorder = new TimelineRecorder(new Clock(), [A]);
    const { onEvent } = recorder;
    onEvent(connecting(0));
    onEvent({ type: 'connected', index: 0, address: A, seconds: 0.1 });
    expect(recorder.events.map((event) => event.type)).toEqual(['connecting', 'connected']);
  });

  it('records each event and then passes it on, when teed to another listener', () => {
    const recorder = new TimelineRecorder(new Clock(), [A]);
    const seen: string[] = [];
    const listener = recorder.tee((event) => {
      seen.push(`${event.type} after ${recorder.events.length} recorded`);
    });
    listener(connecting(0));
    expect(seen).toEqual(['connecting after 1 recorded']);
    expect(recorder.tee()).toBe(recorder.onEvent);
  });

  it('hands out runs that later events do not change', () => {
    const recorder = new TimelineRecorder(new Clock(), [A]);
    recorder.onEvent(connecting(0));
    const before = recorder.run();
    recorder.onEvent(connecting(1));
    expect(before.events).toHaveLength(1);
    expect(recorder.run().events).toHaveLength(2);
  });

  it('copies the addresses it is given', () => {
    const addresses = [A];
    const recorder = new TimelineRecorder(new Clock(), addresses);
    addresses.push('127.0.0.1:2');
    expect(recorder.addresses).toEqual([A]);
  });

  it('records a run of fetchPoems with chunks down to one byte, and draws a mark for each', async () => {
    const reactor = new MemoryReactor();
    reactor.advance(100);
    const addresses = ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'];
    const recorder = new TimelineRecorder(reactor, addresses);
    const results = fetchPoems(addresses, { reactor, onEvent: recorder.onEvent });
    const [first, second, third] = reactor.tcpClients;
    const one = first!.accept() as PoetryProtocol;
    const two = second!.accept() as PoetryProtocol;
    const poem = Buffer.from('The summer’s flower is to the summer sweet\n');
    // Odd sizes, down to a single byte, interleaved between the two servers.
    const sizes = [1, 7, 2, 13, 1, 5];
    let at = 0;
    for (const size of sizes) {
      reactor.advance(0.25);
      one.dataReceived(poem.subarray(at, at + size));
      two.dataReceived(poem.subarray(at, at + 1));
      at += size;
    }
    one.dataReceived(poem.subarray(at));
    first!.lose(new ConnectionDone('connection closed cleanly'));
    third!.fail(new ConnectionRefusedError('connection refused', { address: addresses[2] }));
    reactor.advance(0.5);
    two.dataReceived(poem.subarray(sizes.length));
    second!.lose(new ConnectionDone('connection closed cleanly'));
    await results;
    reactor.advance(0.1);
    const run = recorder.finish();

    expect(run.startSeconds).toBe(100);
    expect(run.endSeconds).toBeCloseTo(102.1, 9);
    const chunks = (index: number) =>
      run.events.filter((event) => event.type === 'chunk' && event.index === index);
    expect(chunks(0)).toHaveLength(sizes.length + 1);
    expect(chunks(1)).toHaveLength(sizes.length + 1);
    expect(chunks(0).map((event) => (event.type === 'chunk' ? event.bytes : 0))).toEqual([
      ...sizes,
      poem.length - sizes.reduce((a, b) => a + b, 0),
    ]);
    expect(run.events.filter((event) => event.index === 0).map((event) => event.type)).toEqual([
      'queued',
      'connecting',
      'connected',
      'firstByte',
      ...Array(sizes.length + 1).fill('chunk'),
      'done',
    ]);

    const root = parseMarkup(renderTimelineSvg(run));
    expect(byClass(root, 'lane')).toHaveLength(3);
    expect(byClass(root, 'chunk')).toHaveLength(2 * (sizes.length + 1));
    expect(byClass(root, 'failure')).toHaveLength(1);
  });
});
