// The contract run against the memory doubles: a MemoryReactor whose connections to its own
// ports run through LoopbackPairs, flushed until what the test waits for happens.

import { MemoryReactor } from '../../../src/testing/memory-reactor.js';
import {
  type ContractImplementation,
  type ContractWorld,
  describeContract,
} from '../../contract/contract.js';

const memory: ContractImplementation = {
  name: 'in-memory network, 3-byte reads',
  async open(): Promise<ContractWorld> {
    const reactor = new MemoryReactor({ chunkSize: 3 });
    const reported: string[] = [];
    const report = reactor.reportError.bind(reactor);
    reactor.reportError = (error, where) => {
      reported.push(where);
      report(error, where);
    };
    void reactor.run();
    /** Flushes and lets promise callbacks run; true if the network moved. */
    const turn = async (): Promise<boolean> => {
      const moved = reactor.flush();
      await new Promise((resolve) => setImmediate(resolve));
      return moved;
    };
    return {
      reactor,
      host: '127.0.0.1',
      reported,
      // Well past the pair's high-water mark, yet quick to move three bytes at a time.
      bytesToFillBuffers: 256 * 1024,
      advance: (seconds) => reactor.advance(seconds),
      async settle<T>(promise: Promise<T>): Promise<T> {
        let settled = false;
        const watched = promise.finally(() => {
          settled = true;
        });
        for (;;) {
          const moved = await turn();
          if (settled) return watched;
          // Pumping is synchronous: whatever has not settled now never will.
          if (!moved) throw new Error('would hang: nothing left to move in memory');
        }
      },
      async idle() {
        await turn();
      },
      async close() {
        if (reactor.running) reactor.stop();
      },
    };
  },
};

describeContract(memory);
