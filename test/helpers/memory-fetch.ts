// A getPoetry fetch on a MemoryReactor, connected by hand, for driving the client protocol.

import {
  getPoetry,
  type PoetryClientOptions,
  type PoetryProtocol,
} from '../../src/poetry/client.js';
import type { Poem } from '../../src/poetry/poem.js';
import { MemoryReactor } from '../../src/testing/memory-reactor.js';

/**
 * Starts a fetch of 127.0.0.1:10000 with `options` on `options.reactor` (a new MemoryReactor
 * when absent), recording what the callback and errback get; the connection is not yet accepted.
 */
export function startFetch(options: PoetryClientOptions & { reactor?: MemoryReactor } = {}) {
  const reactor = options.reactor ?? new MemoryReactor();
  const poems: Poem[] = [];
  const errors: Error[] = [];
  const factory = getPoetry(
    '127.0.0.1',
    10000,
    (poem) => poems.push(poem),
    (error) => errors.push(error),
    { ...options, reactor },
  );
  const connector = reactor.tcpClients.at(-1)!;
  return { reactor, poems, errors, factory, connector };
}

/** Starts a fetch of 127.0.0.1:10000 with `options`, accepts its connection, and returns all. */
export function startMemoryFetch(options: Omit<PoetryClientOptions, 'reactor'> = {}) {
  const { reactor, poems, errors, connector } = startFetch(options);
  const protocol = connector.accept() as PoetryProtocol;
  return { reactor, poems, errors, connector, protocol, transport: connector.transport! };
}
