// One contract for transports, run against the real TCP transport and the in-memory pair, so the
// fakes cannot drift from the real thing.

import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionAborted, ConnectionDone, ConnectionLost } from '../../src/internet/errors.js';
import { Protocol } from '../../src/internet/protocol.js';

/** A protocol that records its lifecycle and lets a test script it. */
export class RecordingProtocol extends Protocol {
  readonly events: string[] = [];
  readonly received: Buffer[] = [];
  reason: Error | undefined = undefined;
  readonly lost: Promise<Error>;
  readonly made: Promise<void>;
  onMade: ((protocol: RecordingProtocol) => void) | undefined = undefined;
  onData: ((protocol: RecordingProtocol) => void) | undefined = undefined;
  #resolveLost!: (reason: Error) => void;
  #resolveMade!: () => void;

  constructor() {
    super();
    this.lost = new Promise((resolve) => {
      this.#resolveLost = resolve;
    });
    this.made = new Promise((resolve) => {
      this.#resolveMade = resolve;
    });
  }

  text(): string {
    return Buffer.concat(this.received).toString('utf8');
  }

  override connectionMade(): void {
    this.events.push('connectionMade');
    this.#resolveMade();
    this.onMade?.(this);
  }

  override dataReceived(data: Buffer): void {
    this.events.push('dataReceived');
    this.received.push(Buffer.from(data));
    this.onData?.(this);
  }

  override connectionLost(reason: Error): void {
    super.connectionLost(reason);
    this.events.push('connectionLost');
    this.reason = reason;
    this.#resolveLost(reason);
  }
}

/** A RecordingProtocol that survives the peer's half-close (Twisted's IHalfCloseableProtocol). */
export class HalfCloseableProtocol extends RecordingProtocol {
  onReadClosed: ((protocol: RecordingProtocol) => void) | undefined = undefined;

  readConnectionLost(): void {
    this.events.push('readConnectionLost');
    this.onReadClosed?.(this);
  }
}

export interface ConnectedPair {
  /** Lets the connection run until `promise` settles (the memory pair pumps; TCP just waits). */
  settle<T>(promise: Promise<T>): Promise<T>;
}

export interface TransportHarness {
  connect(server: RecordingProtocol, client: RecordingProtocol): Promise<ConnectedPair>;
  cleanup(): Promise<void>;
}

/** Defines the contract's tests for the transports `makeHarness` connects. */
export function describeTransportContract(name: string, makeHarness: () => TransportHarness): void {
  describe(`transport contract: ${name}`, () => {
    let harness: TransportHarness;

    afterEach(async () => {
      await harness.cleanup();
    });

    async function connect(server: RecordingProtocol, client: RecordingProtocol) {
      harness = makeHarness();
      return harness.connect(server, client);
    }

    it('delivers bytes in order, then ConnectionDone on both sides after loseConnection', async () => {
      const server = new RecordingProtocol();
      const client = new RecordingProtocol();
      server.onMade = (p) => {
        p.transport!.write('first line\n');
        p.transport!.write(Buffer.from('second line\n'));
        p.transport!.loseConnection();
      };
      const pair = await connect(server, client);
      const clientReason = await pair.settle(client.lost);
      const serverReason = await pair.settle(server.lost);
      expect(client.text()).toBe('first line\nsecond line\n');
      expect(clientReason).toBeInstanceOf(ConnectionDone);
      expect(serverReason).toBeInstanceOf(ConnectionDone);
    });

    it('gives the peer ConnectionLost and the aborting side ConnectionAborted on abortConnection', async () => {
      const server = new RecordingProtocol();
      const client = new RecordingProtocol();
      server.onMade = (p) => p.transport!.write('partial');
      client.onData = (p) => p.transport!.abortConnection();
      const pair = await connect(server, client);
      const clientReason = await pair.settle(client.lost);
      const serverReason = await pair.settle(server.lost);
      expect(clientReason).toBeInstanceOf(ConnectionAborted);
      expect(serverReason).toBeInstanceOf(ConnectionLost);
      expect(serverReason).not.toBeInstanceOf(ConnectionDone);
    });

    it("gives each side the other's address as its peer", async () => {
      const server = new RecordingProtocol();
      const client = new RecordingProtocol();
      await connect(server, client);
      expect(client.transport!.getPeer()).toEqual(server.transport!.getHost());
      expect(server.transport!.getPeer()).toEqual(client.transport!.getHost());
      client.transport!.abortConnection();
    });

    it('calls connectionMade first and connectionLost exactly once, last', async () => {
      const server = new RecordingProtocol();
      const client = new RecordingProtocol();
      server.onMade = (p) => {
        p.transport!.write('x');
        p.transport!.loseConnection();
        p.transport!.loseConnection();
      };
      const pair = await connect(server, client);
      await pair.settle(client.lost);
      await pair.settle(server.lost);
      for (const events of [client.events, server.events]) {
        expect(events[0]).toBe('connectionMade');
        expect(events.at(-1)).toBe('connectionLost');
        expect(events.filter((e) => e === 'connectionLost')).toHaveLength(1);
      }
      expect(client.events).toContain('dataReceived');
    });

    it('tells a half-closeable protocol that its peer finished, before the connection ends', async () => {
      const server = new HalfCloseableProtocol();
      const client = new RecordingProtocol();
      client.onMade = (p) => p.transport!.loseConnection();
      server.onReadClosed = (p) => p.transport!.loseConnection();
      const pair = await connect(server, client);
      await pair.settle(client.lost);
      const serverReason = await pair.settle(server.lost);
      expect(server.events).toEqual(['connectionMade', 'readConnectionLost', 'connectionLost']);
      expect(serverReason).toBeInstanceOf(ConnectionDone);
    });

    it('ignores writes after the connection is lost', async () => {
      const server = new RecordingProtocol();
      const client = new RecordingProtocol();
      server.onMade = (p) => p.transport!.loseConnection();
      const pair = await connect(server, client);
      await pair.settle(client.lost);
      await pair.settle(server.lost);
      expect(() => server.transport!.write('too late')).not.toThrow();
      expect(client.received).toEqual([]);
    });
  });
}
