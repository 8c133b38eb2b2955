// The contract run against the real reactor over TCP on 127.0.0.1, its time on a fake clock.

import { type ContractImplementation, describeContract } from '../../contract/contract.js';
import { inetAddressOf, LOOPBACK_LISTENED, openRealWorld } from '../../contract/real-world.js';

const tcp: ContractImplementation = {
  name: 'TCP on 127.0.0.1',
  open: async () =>
    openRealWorld({
      listen: (reactor, factory, at) =>
        reactor.listenTCP(at?.getHost().port ?? 0, factory, { interface: '127.0.0.1' }),
      connect: (reactor, port, factory, options) =>
        reactor.connectTCP('127.0.0.1', port.getHost().port, factory, options),
      connectTo: (reactor, host, port, factory, options) =>
        reactor.connectTCP(host, port, factory, options),
      addressOf: inetAddressOf,
      listenedAddress: LOOPBACK_LISTENED,
      bytesToFillBuffers: 16 * 1024 * 1024,
    }),
};

describeContract(tcp);
