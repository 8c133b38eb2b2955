// The contract run against the real reactor over TCP on 127.0.0.1, its time on a fake clock.

import { Reactor } from '../../../src/internet/reactor.js';
import type { LookupFunction } from '../../../src/internet/tcp.js';
import { Clock } from '../../../src/testing/clock.js';
import {
  type ContractImplementation,
  type ContractWorld,
  describeContract,
  UNANSWERED_HOST,
} from '../../contract/contract.js';

/** Longest a test waits for one thing over loopback before it fails instead of hanging. */
const SETTLE_LIMIT_MS = 10_000;

/** Never answers for UNANSWERED_HOST, so the attempt stays pending; nothing else is looked up. */
const lookup: LookupFunction = (hostname, _options, callback) => {
  if (hostname === UNANSWERED_HOST) return;
  const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
    code: 'ENOTFOUND',
  });
  (callback as (err: Error) => void)(error);
};

const tcp: ContractImplementation = {
  name: 'TCP on 127.0.0.1',
  async open(): Promise<ContractWorld> {
    const clock = new Clock();
    const reported: string[] = [];
    const reactor = new Reactor({
      clock,
      lookup,
      reportError: (_error, where) => reported.push(where),
    });
    void reactor.run();
    return {
      reactor,
      host: '127.0.0.1',
      reported,
      // More than loopback's socket buffers hold, so a reader that reads nothing stops the writer.
      bytesToFillBuffers: 16 * 1024 * 1024,
      advance: (seconds) => clock.advance(seconds),
      settle<T>(promise: Promise<T>): Promise<T> {
        let timer: NodeJS.Timeout | undefined;
        const limit = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`not settled within ${SETTLE_LIMIT_MS} ms`)),
            SETTLE_LIMIT_MS,
          );
        });
        return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
      },
      idle: () => new Promise((resolve) => setTimeout(resolve, 50)),
      async close() {
        // stop() closes every port, attempt and connection this reactor made.
        if (reactor.running) reactor.stop();
        await new Promise((resolve) => setImmediate(resolve));
      },
    };
  },
};

describeContract(tcp);
