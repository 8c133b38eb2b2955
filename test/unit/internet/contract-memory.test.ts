import { connectInMemory } from '../../../src/testing/loopback.js';
import {
  type ConnectedPair,
  describeTransportContract,
  type TransportHarness,
} from '../../contract/transport-contract.js';

function memoryHarness(): TransportHarness {
  return {
    async connect(server, client): Promise<ConnectedPair> {
      const pair = connectInMemory(server, client, { chunkSize: 3 });
      return {
        settle<T>(promise: Promise<T>): Promise<T> {
          pair.pump();
          // Pumping is synchronous: whatever has not settled now never will.
          return Promise.race([
            promise,
            new Promise<never>((_, reject) =>
              setImmediate(() => reject(new Error('would hang: nothing left to pump'))),
            ),
          ]);
        },
      };
    },
    async cleanup() {},
  };
}

describeTransportContract('in-memory pair', memoryHarness);
