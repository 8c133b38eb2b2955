// A contract world on the real reactor, its time on a fake clock, for one transport: TCP, TLS or
// a UNIX socket, each told by how it listens and connects.

import { expect } from 'vitest';
import { formatAddress } from '../../src/internet/address.js';
import type {
  ConnectOptions,
  IClientFactory,
  IConnector,
  IListeningPort,
  IProtocolFactory,
} from '../../src/internet/interfaces.js';
import { Reactor } from '../../src/internet/reactor.js';
import type { LookupFunction } from '../../src/internet/resolver.js';
import { Clock } from '../../src/testing/clock.js';
import { type ContractWorld, UNANSWERED_HOST } from './harness.js';

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

/** How one transport listens and connects on a reactor. */
export interface RealTransport {
  /** Listens where `at` listened, or on a fresh address. */
  listen(reactor: Reactor, factory: IProtocolFactory, at?: IListeningPort): Promise<IListeningPort>;
  connect(
    reactor: Reactor,
    port: IListeningPort,
    factory: IClientFactory,
    options: ConnectOptions,
  ): IConnector;
  addressOf(port: IListeningPort): string;
  listenedAddress: object;
  /** Connects to `host:port`, for an attempt to a name nobody answers; absent for UNIX sockets. */
  connectTo?(
    reactor: Reactor,
    host: string,
    port: number,
    factory: IClientFactory,
    options: ConnectOptions,
  ): IConnector;
  /** More than loopback's buffers hold, so a reader that reads nothing stops the writer. */
  bytesToFillBuffers: number;
}

/** A fresh reactor, running, with `transport`'s way of listening and connecting. */
export function openRealWorld(transport: RealTransport): ContractWorld {
  const clock = new Clock();
  const reported: string[] = [];
  const reactor = new Reactor({
    clock,
    lookup,
    reportError: (_error, where) => reported.push(where),
  });
  void reactor.run();
  const connectTo = transport.connectTo;
  return {
    reactor,
    reported,
    bytesToFillBuffers: transport.bytesToFillBuffers,
    listenedAddress: transport.listenedAddress,
    advance: (seconds) => clock.advance(seconds),
    listen: (factory) => transport.listen(reactor, factory),
    listenAt: (port, factory) => transport.listen(reactor, factory, port),
    connect: (port, factory, options = {}) => transport.connect(reactor, port, factory, options),
    addressOf: (port) => transport.addressOf(port),
    ...(connectTo === undefined
      ? {}
      : {
          connectNowhere: (factory: IClientFactory, options: ConnectOptions = {}, n = 0) =>
            connectTo(reactor, UNANSWERED_HOST, 10000 + n, factory, options),
          nowhereAddress: (n = 0) => formatAddress(UNANSWERED_HOST, 10000 + n),
        }),
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
}

/** Listening on 127.0.0.1: any port but 0. */
export const LOOPBACK_LISTENED = { host: '127.0.0.1', port: expect.any(Number) };

/** `host:port` of a port listening on an IP interface. */
export function inetAddressOf(port: IListeningPort): string {
  const { host, port: number } = port.getHost();
  return formatAddress(host, number);
}
