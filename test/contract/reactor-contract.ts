// The reactor half of the contract: connectors, listening ports, delayed calls and stop(), with
// what each factory and protocol is told, in what order, on every implementation.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatAddress } from '../../src/internet/address.js';
import {
  CannotListenError,
  ConnectionAborted,
  ConnectionDone,
  ConnectionRefusedError,
  ConnectTimeoutError,
  type PoetryNowError,
  ReactorAlreadyRunningError,
  ReactorNotRunningError,
  UserCancelledError,
} from '../../src/internet/errors.js';
import type { IConnector } from '../../src/internet/interfaces.js';
import {
  type ContractImplementation,
  type ContractWorld,
  RecordingClientFactory,
  RecordingProtocol,
  RecordingServerFactory,
  UNANSWERED_HOST,
} from './harness.js';
import { connectPair } from './transport-contract.js';

/** Listens on port 0 and closes the port again: an address where nothing listens. */
async function closedPort(world: ContractWorld): Promise<number> {
  const listening = await world.reactor.listenTCP(0, new RecordingServerFactory(), {
    interface: world.host,
  });
  await listening.stopListening();
  return listening.getHost().port;
}

/** Defines the connector, port and reactor tests for `implementation`. */
export function describeReactorContract(implementation: ContractImplementation): void {
  describe(`reactor contract: ${implementation.name}`, () => {
    let world: ContractWorld;

    beforeEach(async () => {
      world = await implementation.open();
    });

    afterEach(async () => {
      await world.close();
    });

    describe('connectors', () => {
      it('connects, then tells the protocol and then the factory of a clean close, in order', async () => {
        const server = new RecordingProtocol();
        server.onMade = (p) => {
          p.transport!.write('poem');
          p.transport!.loseConnection();
        };
        const client = new RecordingProtocol();
        const connection = await connectPair(world, server, client);
        const outcome = await world.settle(connection.clientFactory.outcome);
        await world.settle(server.lost);
        expect(outcome.kind).toBe('lost');
        expect(outcome.reason).toBeInstanceOf(ConnectionDone);
        expect(connection.clientFactory.log).toEqual([
          'startFactory',
          'startedConnecting (connecting)',
          'buildProtocol (connected)',
          'connectionMade',
          'connectionLost ConnectionDone',
          'clientConnectionLost ConnectionDone (disconnected)',
          'stopFactory',
        ]);
        expect(connection.connector.state).toBe('disconnected');
        expect(client.text()).toBe('poem');
      });

      it('is in state connected while the connection is open', async () => {
        const { connector, client } = await connectPair(
          world,
          new RecordingProtocol(),
          new RecordingProtocol(),
        );
        expect(connector.state).toBe('connected');
        expect(connector.getDestination()).toEqual({ host: world.host, port: expect.any(Number) });
        client.transport!.abortConnection();
        await world.settle(client.lost);
        expect(connector.state).toBe('disconnected');
      });

      it('reports ConnectionRefusedError, naming the address, when nothing listens', async () => {
        const port = await closedPort(world);
        const factory = new RecordingClientFactory();
        const connector = world.reactor.connectTCP(world.host, port, factory);
        expect(connector.state).toBe('connecting');
        const { kind, reason } = await world.settle(factory.outcome);
        expect(kind).toBe('failed');
        expect(reason).toBeInstanceOf(ConnectionRefusedError);
        expect((reason as PoetryNowError).code).toBe('ERR_CONNECTION_REFUSED');
        expect((reason as PoetryNowError).address).toBe(formatAddress(world.host, port));
        expect(factory.log).toEqual([
          'startFactory',
          'startedConnecting (connecting)',
          'clientConnectionFailed ConnectionRefusedError (disconnected)',
          'stopFactory',
        ]);
        expect(factory.protocols).toEqual([]);
        expect(connector.state).toBe('disconnected');
      });

      it('lets a factory retry from clientConnectionFailed, and stops it only after the last attempt', async () => {
        const port = await closedPort(world);
        const factory = new RecordingClientFactory();
        let attempts = 0;
        const bothFailed = new Promise<void>((resolve) => {
          factory.onFailed = (connector) => {
            if (++attempts < 2) connector.connect();
            else resolve();
          };
        });
        world.reactor.connectTCP(world.host, port, factory);
        await world.settle(bothFailed);
        expect(factory.log).toEqual([
          'startFactory',
          'startedConnecting (connecting)',
          'clientConnectionFailed ConnectionRefusedError (disconnected)',
          'startedConnecting (connecting)',
          'clientConnectionFailed ConnectionRefusedError (disconnected)',
          'stopFactory',
        ]);
      });

      it('makes one connection, not two, when startedConnecting gives up and clientConnectionFailed retries', async () => {
        class GivesUpOnce extends RecordingClientFactory {
          #starts = 0;
          override startedConnecting(connector: IConnector): void {
            super.startedConnecting(connector);
            if (++this.#starts === 1) connector.stopConnecting();
          }
        }
        const serverFactory = new RecordingServerFactory();
        const listening = await world.reactor.listenTCP(0, serverFactory, {
          interface: world.host,
        });
        const factory = new GivesUpOnce();
        factory.onFailed = (connector, reason) => {
          if (reason instanceof UserCancelledError) connector.connect();
        };
        const client = new RecordingProtocol();
        factory.make = () => client;
        world.reactor.connectTCP(world.host, listening.getHost().port, factory, { timeout: 5 });
        await world.settle(client.made);
        await world.settle(serverFactory.connected);
        // A second attempt would show as a second connection, or as a timer left to fire.
        world.advance(10);
        await world.idle();
        expect(serverFactory.protocols).toHaveLength(1);
        expect(factory.protocols).toHaveLength(1);
        expect(world.reported).toEqual([]);
        expect(factory.log.slice(0, 4)).toEqual([
          'startFactory',
          'startedConnecting (connecting)',
          'clientConnectionFailed UserCancelledError (disconnected)',
          'startedConnecting (connecting)',
        ]);
      });

      it('reports an exception thrown by a factory hook, and still stops the factory', async () => {
        class Throwing extends RecordingClientFactory {
          override clientConnectionFailed(connector: IConnector, reason: Error): void {
            super.clientConnectionFailed(connector, reason);
            throw new Error('bad errback');
          }
        }
        const port = await closedPort(world);
        const factory = new Throwing();
        world.reactor.connectTCP(world.host, port, factory);
        await world.settle(factory.outcome);
        expect(world.reported).toEqual(['Throwing.clientConnectionFailed']);
        expect(factory.log.at(-1)).toBe('stopFactory');
      });

      it('gives up an attempt at once with UserCancelledError on stopConnecting, even with a server there', async () => {
        const serverFactory = new RecordingServerFactory();
        const listening = await world.reactor.listenTCP(0, serverFactory, {
          interface: world.host,
        });
        const factory = new RecordingClientFactory();
        const connector = world.reactor.connectTCP(world.host, listening.getHost().port, factory);
        connector.stopConnecting();
        expect(connector.state).toBe('disconnected');
        expect(factory.log).toEqual([
          'startFactory',
          'startedConnecting (connecting)',
          'clientConnectionFailed UserCancelledError (disconnected)',
          'stopFactory',
        ]);
        const { reason } = await world.settle(factory.outcome);
        expect((reason as PoetryNowError).code).toBe('ERR_CANCELLED');
        connector.stopConnecting();
        await world.idle();
        expect(factory.log).toHaveLength(4);
        expect(factory.protocols).toEqual([]);
      });

      it('gives up an attempt with UserCancelledError on disconnect while connecting', async () => {
        const factory = new RecordingClientFactory();
        const connector = world.reactor.connectTCP(UNANSWERED_HOST, 10000, factory);
        await world.idle();
        expect(connector.state).toBe('connecting');
        connector.disconnect();
        expect(factory.log).toEqual([
          'startFactory',
          'startedConnecting (connecting)',
          'clientConnectionFailed UserCancelledError (disconnected)',
          'stopFactory',
        ]);
      });

      it('closes a connection cleanly on disconnect: ConnectionDone on both sides', async () => {
        const server = new RecordingProtocol();
        const client = new RecordingProtocol();
        const { connector, clientFactory } = await connectPair(world, server, client);
        connector.disconnect();
        const outcome = await world.settle(clientFactory.outcome);
        expect(outcome).toEqual({ kind: 'lost', reason: expect.any(ConnectionDone) });
        expect(await world.settle(server.lost)).toBeInstanceOf(ConnectionDone);
        expect(clientFactory.log.slice(-3)).toEqual([
          'connectionLost ConnectionDone',
          'clientConnectionLost ConnectionDone (disconnected)',
          'stopFactory',
        ]);
      });

      it('fails an attempt with ConnectTimeoutError when the reactor clock passes its timeout', async () => {
        const factory = new RecordingClientFactory();
        const connector = world.reactor.connectTCP(UNANSWERED_HOST, 10000, factory, {
          timeout: 5,
        });
        await world.idle();
        world.advance(4.9);
        expect(connector.state).toBe('connecting');
        expect(factory.log).toEqual(['startFactory', 'startedConnecting (connecting)']);
        world.advance(0.1);
        expect(connector.state).toBe('disconnected');
        expect(factory.log).toEqual([
          'startFactory',
          'startedConnecting (connecting)',
          'clientConnectionFailed ConnectTimeoutError (disconnected)',
          'stopFactory',
        ]);
        const { reason } = await world.settle(factory.outcome);
        expect((reason as PoetryNowError).code).toBe('ERR_CONNECT_TIMEOUT');
        expect((reason as PoetryNowError).address).toBe(`${UNANSWERED_HOST}:10000`);
      });

      it('times out after 30 s by default, and never with timeout 0', async () => {
        const byDefault = new RecordingClientFactory();
        const never = new RecordingClientFactory();
        world.reactor.connectTCP(UNANSWERED_HOST, 10000, byDefault);
        const patient = world.reactor.connectTCP(UNANSWERED_HOST, 10001, never, { timeout: 0 });
        world.advance(29.9);
        expect(byDefault.log).toHaveLength(2);
        world.advance(0.1);
        expect((await world.settle(byDefault.outcome)).reason).toBeInstanceOf(ConnectTimeoutError);
        world.advance(1e6);
        expect(patient.state).toBe('connecting');
        patient.stopConnecting();
        expect((await world.settle(never.outcome)).reason).toBeInstanceOf(UserCancelledError);
      });

      it('refuses connect() while an attempt is in progress', async () => {
        const factory = new RecordingClientFactory();
        const connector = world.reactor.connectTCP(UNANSWERED_HOST, 10000, factory);
        expect(() => connector.connect()).toThrow(/connecting/);
        connector.stopConnecting();
      });
    });

    describe('listening ports', () => {
      it('starts its factory, gets a real port for port 0, and after stopListening refuses new connections but keeps made ones', async () => {
        const serverFactory = new RecordingServerFactory();
        serverFactory.make = () => {
          const protocol = new RecordingProtocol();
          protocol.onData = (p) => {
            if (p.text() === 'hello?') p.transport!.write('still here');
          };
          return protocol;
        };
        const listening = await world.reactor.listenTCP(0, serverFactory, {
          interface: world.host,
        });
        expect(serverFactory.log).toEqual(['startFactory']);
        const port = listening.getHost().port;
        expect(listening.getHost()).toEqual({ host: world.host, port });
        expect(port).toBeGreaterThan(0);
        const early = new RecordingClientFactory();
        world.reactor.connectTCP(world.host, port, early);
        await world.settle(serverFactory.connected);
        await listening.stopListening();
        expect(serverFactory.log).toEqual(['startFactory', 'stopFactory']);
        await listening.stopListening();
        expect(serverFactory.log).toHaveLength(2);

        const late = new RecordingClientFactory();
        world.reactor.connectTCP(world.host, port, late);
        expect((await world.settle(late.outcome)).reason).toBeInstanceOf(ConnectionRefusedError);

        const made = early.protocols[0]!;
        await world.settle(made.made);
        made.onData = (p) => {
          if (p.text() === 'still here') p.transport!.loseConnection();
        };
        made.transport!.write('hello?');
        expect((await world.settle(early.outcome)).reason).toBeInstanceOf(ConnectionDone);
        expect(made.text()).toBe('still here');
      });

      it('reports an exception thrown by its factory’s doStart or doStop, and still listens and stops', async () => {
        class Throwing extends RecordingServerFactory {
          override doStart(): void {
            super.doStart();
            throw new Error('doStart failed');
          }
          override doStop(): void {
            super.doStop();
            throw new Error('doStop failed');
          }
        }
        const serverFactory = new Throwing();
        const listening = await world.reactor.listenTCP(0, serverFactory, {
          interface: world.host,
        });
        expect(listening.getHost().port).toBeGreaterThan(0);
        await listening.stopListening();
        expect(world.reported).toEqual(['Throwing.doStart', 'Throwing.doStop']);
        expect(serverFactory.log).toEqual(['startFactory', 'stopFactory']);
      });

      it('rejects with CannotListenError when the port is in use', async () => {
        const first = await world.reactor.listenTCP(0, new RecordingServerFactory(), {
          interface: world.host,
        });
        const port = first.getHost().port;
        const attempt = world.reactor.listenTCP(port, new RecordingServerFactory(), {
          interface: world.host,
        });
        await expect(attempt).rejects.toBeInstanceOf(CannotListenError);
        await expect(attempt).rejects.toThrow(
          `${formatAddress(world.host, port)}: cannot listen: address already in use`,
        );
        await first.stopListening();
      });
    });

    describe('the reactor', () => {
      it('runs a delayed call when its clock reaches it, and never once cancelled', async () => {
        const { reactor } = world;
        const ran: string[] = [];
        const start = reactor.seconds();
        const due = reactor.callLater(5, (what: string) => ran.push(what), 'due');
        const cancelled = reactor.callLater(1, () => ran.push('cancelled'));
        cancelled.cancel();
        world.advance(4.9);
        expect(ran).toEqual([]);
        expect(due.active()).toBe(true);
        world.advance(0.1);
        expect(ran).toEqual(['due']);
        expect(due.active()).toBe(false);
        expect(reactor.seconds() - start).toBeCloseTo(5, 9);
      });

      it('reports an exception thrown by a delayed call instead of raising it', async () => {
        world.reactor.callLater(1, function explode() {
          throw new Error('late failure');
        });
        expect(() => world.advance(1)).not.toThrow();
        expect(world.reported).toEqual(['callLater(explode)']);
      });

      it('resolves run() on stop(), and refuses a second run or a stop while idle', async () => {
        const { reactor } = world;
        if (reactor.running) reactor.stop();
        expect(() => reactor.stop()).toThrow(ReactorNotRunningError);
        const running = reactor.run();
        expect(reactor.running).toBe(true);
        expect(() => reactor.run()).toThrow(ReactorAlreadyRunningError);
        reactor.stop();
        expect(reactor.running).toBe(false);
        await expect(world.settle(running)).resolves.toBeUndefined();
      });

      it('stop(): cancels calls, gives up attempts and stops ports at once, and aborts connections', async () => {
        const { reactor } = world;
        if (!reactor.running) void reactor.run();
        const running = reactor.running;
        expect(running).toBe(true);

        const server = new RecordingProtocol();
        const client = new RecordingProtocol();
        const open = await connectPair(world, server, client);
        const attempt = new RecordingClientFactory();
        const pending = reactor.connectTCP(UNANSWERED_HOST, 10000, attempt);
        const listener = new RecordingServerFactory();
        const listening = await reactor.listenTCP(0, listener, { interface: world.host });
        let ran = false;
        const call = reactor.callLater(1, () => {
          ran = true;
        });

        reactor.stop();
        // At once: the call, the attempt and the ports.
        expect(call.active()).toBe(false);
        expect(pending.state).toBe('disconnected');
        expect(attempt.log).toEqual([
          'startFactory',
          'startedConnecting (connecting)',
          'clientConnectionFailed UserCancelledError (disconnected)',
          'stopFactory',
        ]);
        expect(listener.log).toEqual(['startFactory', 'stopFactory']);
        expect(open.serverFactory.log).toEqual(['startFactory', 'stopFactory']);

        // As each connection closes: the protocol, then its factory.
        const outcome = await world.settle(open.clientFactory.outcome);
        expect(outcome.reason).toBeInstanceOf(ConnectionAborted);
        expect(open.clientFactory.log.slice(-3)).toEqual([
          'connectionLost ConnectionAborted',
          'clientConnectionLost ConnectionAborted (disconnected)',
          'stopFactory',
        ]);
        // The server's end was this reactor's too, so it was aborted as well.
        expect(await world.settle(server.lost)).toBeInstanceOf(ConnectionAborted);

        world.advance(10);
        expect(ran).toBe(false);
        const late = new RecordingClientFactory();
        reactor.connectTCP(world.host, listening.getHost().port, late);
        expect((await world.settle(late.outcome)).reason).toBeInstanceOf(ConnectionRefusedError);
      });
    });
  });
}
