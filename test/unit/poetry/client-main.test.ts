// poetryMain: the tutorial's life cycle, the reactor stopped by the main program and only by it.

import { describe, expect, it } from 'vitest';
import {
  ConnectionDone,
  ConnectionRefusedError,
  ReactorAlreadyRunningError,
  UserCancelledError,
} from '../../../src/internet/errors.js';
import type { PoetryProtocol } from '../../../src/poetry/client.js';
import { InvalidAddressError } from '../../../src/poetry/errors.js';
import { poetryMain } from '../../../src/poetry/main.js';
import { type MemoryConnector, MemoryReactor } from '../../../src/testing/index.js';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function serve(connector: MemoryConnector, poem: string): void {
  const protocol = connector.accept() as PoetryProtocol;
  for (const byte of Buffer.from(poem)) protocol.dataReceived(Buffer.from([byte]));
  connector.lose(new ConnectionDone('connection closed cleanly'));
}

describe('poetryMain', () => {
  it('runs the reactor until poems plus errors equal the addresses, then stops it', async () => {
    const reactor = new MemoryReactor();
    let finished = false;
    const main = poetryMain(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], { reactor }).then(
      (result) => {
        finished = true;
        return result;
      },
    );
    expect(reactor.running).toBe(true);
    const [a, b, c] = reactor.tcpClients;
    serve(c!, 'third\n');
    b!.fail(new ConnectionRefusedError('connection refused'));
    await flush();
    expect(reactor.running).toBe(true);
    expect(finished).toBe(false);
    reactor.advance(2);
    serve(a!, 'first\n');
    expect(reactor.running).toBe(false);
    const result = await main;
    expect(result.poems.map((p) => p.text)).toEqual(['third\n', 'first\n']);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toBeInstanceOf(ConnectionRefusedError);
    expect(result.results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(result.elapsedSeconds).toBe(2);
  });

  it('keeps the results the queue builds: the same poems and errors its lists hold', async () => {
    const reactor = new MemoryReactor();
    const main = poetryMain(['[::1]:1', '127.0.0.1:2'], { reactor });
    const refused = new ConnectionRefusedError('connection refused');
    reactor.tcpClients[1]!.fail(refused);
    serve(reactor.tcpClients[0]!, 'first\n');
    const { poems, errors, results } = await main;
    expect(results).toEqual([
      { status: 'fulfilled', index: 0, address: '[::1]:1', value: poems[0] },
      { status: 'rejected', index: 1, address: '127.0.0.1:2', reason: refused },
    ]);
    expect(errors).toEqual([refused]);
    expect(poems[0]!.address).toBe('[::1]:1');
  });

  it('returns at once for no addresses, without running the reactor', async () => {
    const reactor = new MemoryReactor();
    const result = await poetryMain([], { reactor });
    expect(result.results).toEqual([]);
    expect(reactor.running).toBe(false);
  });

  it('rejects a malformed address before connecting anywhere', async () => {
    const reactor = new MemoryReactor();
    await expect(poetryMain(['10000', ':1'], { reactor })).rejects.toBeInstanceOf(
      InvalidAddressError,
    );
    expect(reactor.tcpClients).toEqual([]);
    expect(reactor.running).toBe(false);
  });

  it('refuses to run a reactor that is already running', async () => {
    const reactor = new MemoryReactor();
    const running = reactor.run();
    await expect(poetryMain(['10000'], { reactor })).rejects.toBeInstanceOf(
      ReactorAlreadyRunningError,
    );
    reactor.stop();
    await running;
  });

  it('reports what was cut off as cancelled when someone else stops the reactor', async () => {
    const reactor = new MemoryReactor();
    const main = poetryMain(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], {
      reactor,
      concurrency: 1,
    });
    serve(reactor.tcpClients[0]!, 'only\n');
    reactor.stop();
    const result = await main;
    expect(result.results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(result.errors.every((e) => e instanceof UserCancelledError)).toBe(true);
    expect(reactor.tcpClients[1]!.state).toBe('disconnected');
  });

  it('finishes every fetch even when a user event listener throws', async () => {
    const reactor = new MemoryReactor();
    const main = poetryMain(['127.0.0.1:1', '127.0.0.1:2'], {
      reactor,
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    serve(reactor.tcpClients[0]!, 'a\n');
    serve(reactor.tcpClients[1]!, 'b\n');
    const result = await main;
    expect(result.poems).toHaveLength(2);
    expect(reactor.errors.length).toBeGreaterThan(0);
  });
});
