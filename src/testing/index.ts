// Test doubles for code built on poetry-now's event layer: `import … from 'poetry-now/testing'`.

export { Clock } from './clock.js';
export { connectInMemory, type LoopbackOptions, LoopbackPair } from './loopback.js';
export { MemoryConnector, MemoryPort, MemoryReactor } from './memory-reactor.js';
export { MemoryTransport, type MemoryTransportOptions } from './memory-transport.js';
