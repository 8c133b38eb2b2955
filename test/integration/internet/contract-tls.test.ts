// The contract run against the real reactor over TLS on 127.0.0.1 (the test CA's certificate
// for localhost, verified), its time on a fake clock.

import { afterAll } from 'vitest';
import { type ContractImplementation, describeContract } from '../../contract/contract.js';
import { inetAddressOf, LOOPBACK_LISTENED, openRealWorld } from '../../contract/real-world.js';
import { testCerts } from '../../helpers/certs.js';
import { removeScratchDirs } from '../../helpers/scratch.js';

afterAll(removeScratchDirs);

const tls: ContractImplementation = {
  name: 'TLS on 127.0.0.1',
  limits: {
    lentReadBuffer:
      "Node's tls.connect reads into a lent buffer (onread) only over a TCP socket it opens " +
      'itself, and such a socket cannot be reset; the TLS client opens its own, so that an ' +
      'abort resets the connection rather than pass for a clean close',
    earlyAbortUnseen:
      'a TLS client is connected once it has sent its last handshake message, before the ' +
      'server has read it; a reset then fails the handshake on the server, and no server ' +
      'protocol was ever made',
  },
  async open() {
    const certs = await testCerts();
    return openRealWorld({
      listen: (reactor, factory, at) =>
        reactor.listenTLS(at?.getHost().port ?? 0, factory, {
          interface: '127.0.0.1',
          ...certs.server,
        }),
      connect: (reactor, port, factory, options) =>
        reactor.connectTLS('127.0.0.1', port.getHost().port, factory, {
          ca: certs.ca,
          ...options,
        }),
      connectTo: (reactor, host, port, factory, options) =>
        reactor.connectTLS(host, port, factory, { ca: certs.ca, ...options }),
      addressOf: inetAddressOf,
      listenedAddress: LOOPBACK_LISTENED,
      bytesToFillBuffers: 16 * 1024 * 1024,
    });
  },
};

describeContract(tls);
