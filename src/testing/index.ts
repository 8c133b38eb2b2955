// Test doubles for code built on poetry-now's event layer: `import … from 'poetry-now/testing'`.

export { Clock } from './clock.js';
export {
  connectInMemory,
  LOOPBACK_HIGH_WATER_MARK,
  type LoopbackOptions,
  LoopbackPair,
  LoopbackTransport,
} from './loopback.js';
export {
  MemoryConnector,
  MemoryPort,
  MemoryReactor,
  type MemoryReactorOptions,
  type MemoryTransportKind,
} from './memory-reactor.js';
export { MemoryTransport, type MemoryTransportOptions } from './memory-transport.js';
