// The contract run against the real reactor over UNIX sockets in a scratch directory, its time
// on a fake clock.

import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { type ContractImplementation, describeContract } from '../../contract/contract.js';
import { openRealWorld } from '../../contract/real-world.js';
import { removeScratchDirs, scratchDir } from '../../helpers/scratch.js';

afterAll(removeScratchDirs);

/** Why no UNIX connection attempt can be held pending, for the cases that need one. */
const UNIX_CONNECTS_AT_ONCE =
  'the kernel answers a UNIX connect at once (connected, or refused: no file, nobody listening, ' +
  'a full queue), so no attempt stays pending for a timeout or a disconnect to end';

const unix: ContractImplementation = {
  name: 'UNIX sockets',
  limits: { pendingAttempt: UNIX_CONNECTS_AT_ONCE },
  async open() {
    const dir = await scratchDir('poetry-contract-');
    let sockets = 0;
    return openRealWorld({
      listen: (reactor, factory, at) =>
        reactor.listenUNIX(at?.getHost().host ?? join(dir, `${++sockets}.sock`), factory),
      connect: (reactor, port, factory, options) =>
        reactor.connectUNIX(port.getHost().host, factory, options),
      addressOf: (port) => port.getHost().host,
      listenedAddress: { host: expect.stringMatching(/\.sock$/), port: 0 },
      // Past what a UNIX socket pair buffers (the send buffer, 208 KiB by default on Linux).
      bytesToFillBuffers: 16 * 1024 * 1024,
    });
  },
};

describeContract(unix);
