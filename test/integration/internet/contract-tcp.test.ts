import type { IListeningPort } from '../../../src/internet/interfaces.js';
import { ClientFactory, ServerFactory } from '../../../src/internet/protocol.js';
import { Reactor } from '../../../src/internet/reactor.js';
import {
  type ConnectedPair,
  describeTransportContract,
  type RecordingProtocol,
  type TransportHarness,
} from '../../contract/transport-contract.js';

class OneProtocolServer extends ServerFactory {
  constructor(readonly serverProtocol: RecordingProtocol) {
    super();
  }
  override buildProtocol(): RecordingProtocol {
    this.serverProtocol.factory = this;
    return this.serverProtocol;
  }
}

class OneProtocolClient extends ClientFactory {
  constructor(readonly clientProtocol: RecordingProtocol) {
    super();
  }
  override buildProtocol(): RecordingProtocol {
    this.clientProtocol.factory = this;
    return this.clientProtocol;
  }
}

function tcpHarness(): TransportHarness {
  const reactor = new Reactor();
  let port: IListeningPort | undefined;
  const protocols: RecordingProtocol[] = [];
  return {
    async connect(server, client): Promise<ConnectedPair> {
      protocols.push(server, client);
      port = await reactor.listenTCP(0, new OneProtocolServer(server), { interface: '127.0.0.1' });
      reactor.connectTCP('127.0.0.1', port.getHost().port, new OneProtocolClient(client));
      await Promise.all([server.made, client.made]);
      return { settle: (promise) => promise };
    },
    async cleanup() {
      await port?.stopListening();
      for (const protocol of protocols) protocol.transport?.abortConnection();
      await Promise.all(protocols.map((p) => p.lost));
    },
  };
}

describeTransportContract('TCP on loopback', tcpHarness);
