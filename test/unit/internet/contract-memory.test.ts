// The contract run against the memory doubles: a MemoryReactor whose connections to its own
// ports run through LoopbackPairs, flushed until what the test waits for happens, over each of
// its transports (TLS and UNIX sockets carry the bytes as TCP does in memory; they differ in
// addresses, and a UNIX attempt is refused at once where nothing listens).

import { expect } from 'vitest';
import { formatAddress } from '../../../src/internet/address.js';
import type { IListeningPort } from '../../../src/internet/interfaces.js';
import { MemoryReactor } from '../../../src/testing/memory-reactor.js';
import {
  type ContractImplementation,
  type ContractWorld,
  describeContract,
  UNANSWERED_HOST,
} from '../../contract/contract.js';

type Kind = 'tcp' | 'tls' | 'unix';

const HOST = '127.0.0.1';
/** Stands in for PEM: the memory reactor keeps TLS options and never reads them. */
const IDENTITY = { cert: 'memory certificate', key: 'memory key' };

function inetAddressOf(port: IListeningPort): string {
  return formatAddress(port.getHost().host, port.getHost().port);
}

function memory(kind: Kind): ContractImplementation {
  return {
    name: `in-memory network over ${kind.toUpperCase()}, 3-byte reads`,
    ...(kind === 'unix'
      ? {
          limits: {
            pendingAttempt:
              'as a real UNIX socket, an attempt is answered at once (connected or refused)',
            noReset: 'as a real UNIX socket, it cannot reset: the peer of an abort reads the end',
          },
        }
      : kind === 'tls'
        ? { limits: { lentReadBuffer: 'as the real TLS client, it lends no read buffer' } }
        : {}),
    open: async () => open(kind),
  };
}

async function open(kind: Kind): Promise<ContractWorld> {
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
  let sockets = 0;
  const listen = (factory: Parameters<ContractWorld['listen']>[0], at?: IListeningPort) => {
    const port = at?.getHost().port ?? 0;
    if (kind === 'tcp') return reactor.listenTCP(port, factory, { interface: HOST });
    if (kind === 'tls') return reactor.listenTLS(port, factory, { interface: HOST, ...IDENTITY });
    return reactor.listenUNIX(at?.getHost().host ?? `/memory/${++sockets}.sock`, factory);
  };
  const connectTo = (
    host: string,
    port: number,
    factory: Parameters<ContractWorld['connect']>[1],
    options: Parameters<ContractWorld['connect']>[2] = {},
  ) =>
    kind === 'tls'
      ? reactor.connectTLS(host, port, factory, options)
      : reactor.connectTCP(host, port, factory, options);
  return {
    reactor,
    reported,
    // Well past the pair's high-water mark, yet quick to move three bytes at a time.
    bytesToFillBuffers: 256 * 1024,
    listenedAddress:
      kind === 'unix'
        ? { host: expect.stringMatching(/\.sock$/), port: 0 }
        : { host: HOST, port: expect.any(Number) },
    advance: (seconds) => reactor.advance(seconds),
    listen: (factory) => listen(factory),
    listenAt: (port, factory) => listen(factory, port),
    connect: (port, factory, options) =>
      kind === 'unix'
        ? reactor.connectUNIX(port.getHost().host, factory, options)
        : connectTo(HOST, port.getHost().port, factory, options),
    addressOf: (port) => (kind === 'unix' ? port.getHost().host : inetAddressOf(port)),
    ...(kind === 'unix'
      ? {}
      : {
          connectNowhere: (factory, options, n = 0) =>
            connectTo(UNANSWERED_HOST, 10000 + n, factory, options),
          nowhereAddress: (n = 0) => formatAddress(UNANSWERED_HOST, 10000 + n),
        }),
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
}

describeContract(memory('tcp'));
describeContract(memory('tls'));
describeContract(memory('unix'));
