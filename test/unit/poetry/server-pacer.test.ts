// The pacer: readers due in the same millisecond share one reactor call; cancelled wake-ups
// leave no call behind; one failing wake-up does not stop the others.

import { describe, expect, it } from 'vitest';
import { type Paced, Pacer } from '../../../src/poetry/server-pacer.js';
import { MemoryReactor } from '../../../src/testing/memory-reactor.js';
import { MemoryPoetryServer } from '../../helpers/server-memory.js';

class Recorder implements Paced {
  readonly woken: { slot: number; at: number }[] = [];
  constructor(readonly reactor: MemoryReactor) {}
  chunkDue(slot: number): void {
    this.woken.push({ slot, at: this.reactor.seconds() });
  }
}

function setUp(): { reactor: MemoryReactor; pacer: Pacer; errors: unknown[] } {
  const reactor = new MemoryReactor();
  const errors: unknown[] = [];
  return { reactor, pacer: new Pacer(reactor, (error) => errors.push(error)), errors };
}

describe('Pacer', () => {
  it('wakes everything due in the same millisecond with one reactor call, at its start', () => {
    const { reactor, pacer } = setUp();
    const a = new Recorder(reactor);
    const b = new Recorder(reactor);
    const c = new Recorder(reactor);
    const slotA = pacer.schedule(a, 0.5002);
    const slotB = pacer.schedule(b, 0.5009);
    pacer.schedule(c, 0.501);
    expect(slotA).toBe(500);
    expect(slotB).toBe(500);
    expect(reactor.getDelayedCalls().map((call) => call.getTime())).toEqual([0.5, 0.501]);

    reactor.advance(0.4999);
    expect(a.woken).toEqual([]);
    reactor.advance(0.0001);
    expect(a.woken).toEqual([{ slot: 500, at: 0.5 }]);
    expect(b.woken).toEqual([{ slot: 500, at: 0.5 }]);
    expect(c.woken).toEqual([]);
    reactor.advance(0.001);
    expect(c.woken).toHaveLength(1);
    expect(reactor.getDelayedCalls()).toEqual([]);
  });

  it('keeps a time a hair below a millisecond boundary in that millisecond', () => {
    const { reactor, pacer } = setUp();
    // 0.1 × 5 computed by repeated addition lands a hair below 0.5.
    const nearlyHalf = 0.1 + 0.1 + 0.1 + 0.1 + 0.1 - 1e-12;
    expect(pacer.schedule(new Recorder(reactor), nearlyHalf)).toBe(500);
  });

  it('wakes a time already past at once', () => {
    const { reactor, pacer } = setUp();
    reactor.advance(2);
    const late = new Recorder(reactor);
    pacer.schedule(late, 1.2);
    reactor.advance(0);
    expect(late.woken).toEqual([{ slot: 1200, at: 2 }]);
  });

  it('forgets a cancelled wake-up and cancels the reactor call when its slot empties', () => {
    const { reactor, pacer } = setUp();
    const a = new Recorder(reactor);
    const b = new Recorder(reactor);
    const slot = pacer.schedule(a, 1);
    pacer.schedule(b, 1);
    pacer.cancel(a, slot);
    expect(pacer.pending).toBe(1);
    expect(reactor.getDelayedCalls()).toHaveLength(1);
    pacer.cancel(b, slot);
    expect(pacer.pending).toBe(0);
    expect(reactor.getDelayedCalls()).toEqual([]);
    reactor.advance(2);
    expect(a.woken).toEqual([]);
    expect(b.woken).toEqual([]);
    pacer.cancel(a, slot); // cancelling twice is harmless
  });

  it('opens a fresh slot when the reactor cancelled the old one (as reactor.stop() does)', () => {
    const { reactor, pacer } = setUp();
    const first = new Recorder(reactor);
    const second = new Recorder(reactor);
    pacer.schedule(first, 1);
    reactor.getDelayedCalls()[0]!.cancel();
    pacer.schedule(second, 1);
    reactor.advance(1);
    expect(second.woken).toHaveLength(1);
    expect(first.woken).toEqual([]);
  });

  it('reports a wake-up that throws and still wakes the rest of its slot', () => {
    const { reactor, pacer, errors } = setUp();
    const after = new Recorder(reactor);
    pacer.schedule(
      {
        chunkDue() {
          throw new Error('boom');
        },
      },
      1,
    );
    pacer.schedule(after, 1);
    reactor.advance(1);
    expect(errors).toEqual([new Error('boom')]);
    expect(after.woken).toHaveLength(1);
  });

  it('serves a thousand readers on one pace with one reactor call per millisecond', () => {
    const server = new MemoryPoetryServer('x'.repeat(300), { delay: 0.1, numBytes: 10 });
    for (let i = 0; i < 1000; i++) {
      server.connect();
      if (i % 100 === 99) server.reactor.advance(0.01); // ten bursts, 10 ms apart
    }
    expect(server.factory.pacer.pending).toBe(1000);
    expect(server.reactor.getDelayedCalls()).toHaveLength(10);
  });
});
