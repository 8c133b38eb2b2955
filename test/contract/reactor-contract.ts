// The reactor half of the contract: connectors, listening ports, delayed calls and stop(), with
// what each factory and protocol is told, in what order, on every implementation.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AddressInUseError,
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
import type {
  ConnectOptions,
  IClientFactory,
  IConnector,
  IListeningPort,
} from '../../src/internet/interfaces.js';
import {
  type ContractImplementation,
  type ContractWorld,
  RecordingClientFactory,
  RecordingProtocol,
  RecordingServerFactory,
} from './harness.js';
import { connectPair } from './transport-contract.js';

/** Listens on a fresh address and stops again: an address where nothing listens. */
async function closedPort(world: ContractWorld): Promise<IListeningPort> {
  const listening = await world.listen(new RecordingServerFactory());
  await listening.stopListening();
  return listening;
}

/** Defines the connector, port and reactor tests for `implementation`. */
export function describeReactorContract(implementation: ContractImplementation): void {
  describe(`reactor contract: ${implementation.name}`, () => {
    let world: ContractWorld;
    const cannotHoldPending = implementation.limits?.pendingAttempt;
    /** A test that needs an attempt held pending: skipped, with the reason, where none can be. */
    const itPending = (name: string, test: () => Promise<void>): void => {
      if (cannotHoldPending === undefined) it(name, test);
      else it.skip(`${name} (not on this transport: ${cannotHoldPending})`, test);
    };
    /** An attempt that stays pending (world.connectNowhere); only in itPending tests. */
    const connectNowhere = (
      factory: IClientFactory,
      options?: ConnectOptions,
      n?: number,
    ): IConnector => world.connectNowhere!(factory, options, n);

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
        const { connector, client, listening } = await connectPair(
          world,
          new RecordingProtocol(),
          new RecordingProtocol(),
        );
        expect(connector.state).toBe('connected');
        expect(connector.getDestination()).toEqual(listening.getHost());
        client.transport!.abortConnection();
        await world.settle(client.lost);
        expect(connector.state).toBe('disconnected');
      });

      it('reports ConnectionRefusedError, naming the address, when nothing listens', async () => {
        const closed = await closedPort(world);
        const factory = new RecordingClientFactory();
        const connector = world.connect(closed, factory);
        expect(connector.state).toBe('connecting');
        const { kind, reason } = await world.settle(factory.outcome);
        expect(kind).toBe('failed');
        expect(reason).toBeInstanceOf(ConnectionRefusedError);
        expect((reason as PoetryNowError).code).toBe('ERR_CONNECTION_REFUSED');
        expect((reason as PoetryNowError).address).toBe(world.addressOf(closed));
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
        const closed = await closedPort(world);
        const factory = new RecordingClientFactory();
        let attempts = 0;
        const bothFailed = new Promise<void>((resolve) => {
          factory.onFailed = (connector) => {
            if (++attempts < 2) connector.connect();
            else resolve();
          };
        });
        world.connect(closed, factory);
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
        const listening = await world.listen(serverFactory);
        const factory = new GivesUpOnce();
        factory.onFailed = (connector, reason) => {
          if (reason instanceof UserCancelledError) connector.connect();
        };
        const client = new RecordingProtocol();
        factory.make = () => client;
        world.connect(listening, factory, { timeout: 5 });
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
        const closed = await closedPort(world);
        const factory = new Throwing();
        world.connect(closed, factory);
        await world.settle(factory.outcome);
        expect(world.reported).toEqual(['Throwing.clientConnectionFailed']);
        expect(factory.log.at(-1)).toBe('stopFactory');
      });

      it('gives up an attempt at once with UserCancelledError on stopConnecting, even with a server there', async () => {
        const serverFactory = new RecordingServerFactory();
        const listening = await world.listen(serverFactory);
        const factory = new RecordingClientFactory();
        const connector = world.connect(listening, factory);
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

      itPending(
        'gives up an attempt with UserCancelledError on disconnect while connecting',
        async () => {
          const factory = new RecordingClientFactory();
          const connector = connectNowhere(factory);
          await world.idle();
          expect(connector.state).toBe('connecting');
          connector.disconnect();
          expect(factory.log).toEqual([
            'startFactory',
            'startedConnecting (connecting)',
            'clientConnectionFailed UserCancelledError (disconnected)',
            'stopFactory',
          ]);
        },
      );

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

      itPending(
        'fails an attempt with ConnectTimeoutError when the reactor clock passes its timeout',
        async () => {
          const factory = new RecordingClientFactory();
          const connector = connectNowhere(factory, { timeout: 5 });
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
          expect((reason as PoetryNowError).address).toBe(world.nowhereAddress!());
        },
      );

      itPending('times out after 30 s by default, and never with timeout 0', async () => {
        const byDefault = new RecordingClientFactory();
        const never = new RecordingClientFactory();
        connectNowhere(byDefault);
        const patient = connectNowhere(never, { timeout: 0 }, 1);
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
        // No connection is made before this test's code yields, so any destination will do.
        const connector =
          world.connectNowhere?.(factory) ??
          world.connect(await world.listen(new RecordingServerFactory()), factory);
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
        const listening = await world.listen(serverFactory);
        expect(serverFactory.log).toEqual(['startFactory']);
        expect(listening.getHost()).toEqual(world.listenedAddress);
        // A real port, not the 0 asked for.
        expect(world.addressOf(listening)).not.toMatch(/:0$/);
        const early = new RecordingClientFactory();
        world.connect(listening, early);
        await world.settle(serverFactory.connected);
        await listening.stopListening();
        expect(serverFactory.log).toEqual(['startFactory', 'stopFactory']);
        await listening.stopListening();
        expect(serverFactory.log).toHaveLength(2);

        const late = new RecordingClientFactory();
        world.connect(listening, late);
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
        const listening = await world.listen(serverFactory);
        expect(listening.getHost()).toEqual(world.listenedAddress);
        await listening.stopListening();
        expect(world.reported).toEqual(['Throwing.doStart', 'Throwing.doStop']);
        expect(serverFactory.log).toEqual(['startFactory', 'stopFactory']);
      });

      it('rejects with AddressInUseError, a CannotListenError, when the address is in use', async () => {
        const first = await world.listen(new RecordingServerFactory());
        const attempt = world.listenAt(first, new RecordingServerFactory());
        await expect(attempt).rejects.toBeInstanceOf(CannotListenError);
        await expect(attempt).rejects.toBeInstanceOf(AddressInUseError);
        await expect(attempt).rejects.toMatchObject({
          code: 'ERR_ADDRESS_IN_USE',
          address: world.addressOf(first),
        });
        await expect(attempt).rejects.toThrow(`${world.addressOf(first)}: cannot listen: `);
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
        const listener = new RecordingServerFactory();
        const listening = await world.listen(listener);
        // Where no attempt can be held pending, one not yet answered will do: stop() comes first.
        const pending = world.connectNowhere?.(attempt) ?? world.connect(listening, attempt);
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
        world.connect(listening, late);
        expect((await world.settle(late.outcome)).reason).toBeInstanceOf(ConnectionRefusedError);
      });
    });
  });
}
