// The size cap: 64 MiB for a poem held in memory, none for one streamed to a sink unless given,
// and a message that gives the cap as people read it.

import { describe, expect, it } from 'vitest';
import { ConnectionDone } from '../../../src/internet/errors.js';
import { checkClientOptions, type PoetryProtocol } from '../../../src/poetry/client.js';
import { DEFAULT_MAX_BYTES } from '../../../src/poetry/defaults.js';
import { PoemTooLargeError } from '../../../src/poetry/errors.js';
import { fetchPoems, type PoemResult } from '../../../src/poetry/fetch.js';
import type { PoemSink, PoemSinkListener } from '../../../src/poetry/sink.js';
import { MemoryReactor } from '../../../src/testing/index.js';
import { startMemoryFetch } from '../../helpers/memory-fetch.js';

const MiB = 1024 * 1024;

/** A sink that keeps nothing but a count of the bytes it was given. */
class CountingSink implements PoemSink {
  bytes = 0;
  writes = 0;
  state: 'new' | 'open' | 'closed' | 'aborted' = 'new';

  start(_listener: PoemSinkListener): void {
    this.state = 'open';
  }

  write(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    this.writes++;
    return true;
  }

  close(done: (error?: Error) => void): void {
    this.state = 'closed';
    done();
  }

  abort(): void {
    this.state = 'aborted';
  }
}

/** Feeds `chunks` times the same 8 MiB buffer: big poems without holding them. */
function feedBig(protocol: PoetryProtocol, chunks: number): void {
  const chunk = Buffer.alloc(8 * MiB, 0x61);
  for (let i = 0; i < chunks; i++) protocol.dataReceived(chunk);
}

const cleanClose = (): ConnectionDone => new ConnectionDone('connection closed cleanly');

describe('the default size cap', () => {
  it('is 64 MiB for a poem held in memory', () => {
    expect(DEFAULT_MAX_BYTES).toBe(64 * MiB);
    expect(checkClientOptions({}).maxBytes).toBe(64 * MiB);
  });

  it('is none for a poem streamed to a sink', () => {
    expect(checkClientOptions({ sink: new CountingSink() }).maxBytes).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('is the one given, with a sink or without', () => {
    expect(checkClientOptions({ sink: new CountingSink(), maxBytes: MiB }).maxBytes).toBe(MiB);
    expect(checkClientOptions({ maxBytes: MiB }).maxBytes).toBe(MiB);
    expect(checkClientOptions({ sink: new CountingSink(), maxBytes: 0 }).maxBytes).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('lets a poem of 80 MiB, streamed to a sink with no maxBytes, through whole', () => {
    const sink = new CountingSink();
    const { poems, errors, protocol, connector } = startMemoryFetch({ sink });
    feedBig(protocol, 10);
    connector.lose(cleanClose());
    expect(errors).toEqual([]);
    expect(sink.bytes).toBe(80 * MiB);
    expect(sink.state).toBe('closed');
    expect(poems).toHaveLength(1);
    expect(poems[0]!.byteLength).toBe(80 * MiB);
  });

  it('caps a poem streamed to a sink at the maxBytes given', () => {
    const sink = new CountingSink();
    const { errors, protocol } = startMemoryFetch({ sink, maxBytes: DEFAULT_MAX_BYTES });
    feedBig(protocol, 9);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(PoemTooLargeError);
    expect(errors[0]!.message).toBe('127.0.0.1:10000: the poem is larger than the 64 MiB cap');
    expect(sink.bytes).toBe(64 * MiB);
    expect(sink.state).toBe('aborted');
  });

  it('has no cap for the sinks a batch makes, when no maxBytes is given', async () => {
    const reactor = new MemoryReactor();
    const sinks: CountingSink[] = [];
    const promise = fetchPoems(['127.0.0.1:1'], {
      reactor,
      sink: () => {
        const sink = new CountingSink();
        sinks.push(sink);
        return sink;
      },
    });
    const connector = reactor.tcpClients[0]!;
    const protocol = connector.accept() as PoetryProtocol;
    feedBig(protocol, 9);
    connector.lose(cleanClose());
    const [result] = (await promise) as [PoemResult];
    expect(result.status).toBe('fulfilled');
    expect(sinks[0]!.bytes).toBe(72 * MiB);
  });
});

describe('PoemTooLargeError', () => {
  it.each([
    [10, '10 B'],
    [1536, '1.5 KiB'],
    [100_000, '100 kB'],
    [MiB, '1 MiB'],
    [MiB + 1, '1 MiB'],
  ])('gives the cap of %i bytes as people read it: %s', (maxBytes, shown) => {
    const { errors, protocol } = startMemoryFetch({ maxBytes });
    protocol.dataReceived(Buffer.alloc(maxBytes + 1, 0x61));
    const error = errors[0] as PoemTooLargeError;
    expect(error).toBeInstanceOf(PoemTooLargeError);
    expect(error.message).toBe(`127.0.0.1:10000: the poem is larger than the ${shown} cap`);
    expect(error.maxBytes).toBe(maxBytes);
    expect(error.code).toBe('ERR_POEM_TOO_LARGE');
  });
});
