// A poem held in memory through the protocol: big poems, odd chunks, partial bytes, the cap.

import { describe, expect, it } from 'vitest';
import { ConnectionDone, ConnectionLost } from '../../../src/internet/errors.js';
import type { PoetryProtocol } from '../../../src/poetry/client.js';
import { PoemIncompleteError, PoemTooLargeError } from '../../../src/poetry/errors.js';
import { GROW_IN_PLACE_FROM_BYTES } from '../../../src/poetry/poem.js';
import { startMemoryFetch } from '../../helpers/memory-fetch.js';

const ADDRESS = '127.0.0.1:10000';
const BIG = Buffer.alloc(GROW_IN_PLACE_FROM_BYTES + 4321);
for (let i = 0; i < BIG.length; i++) BIG[i] = 32 + ((i * 13) % 95);

function startFetch(maxBytes?: number) {
  return startMemoryFetch({ maxBytes });
}

function feed(protocol: PoetryProtocol, bytes: Buffer, chunkSize: number): void {
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    protocol.dataReceived(bytes.subarray(offset, offset + chunkSize));
  }
}

describe('a poem held in memory', () => {
  it.each([1, 3, 7, 1000, 65_536, 65_537])(
    'is byte-exact across the grow-in-place size (chunks of %i bytes)',
    (chunkSize) => {
      const { poems, errors, connector, protocol } = startFetch(0);
      feed(protocol, BIG, chunkSize);
      connector.lose(new ConnectionDone('connection closed cleanly'));
      expect(errors).toEqual([]);
      const poem = poems[0]!;
      expect(poem.bytes.equals(BIG)).toBe(true);
      expect(poem.byteLength).toBe(BIG.length);
      expect(poem.chunkCount).toBe(Math.ceil(BIG.length / chunkSize));
      expect(poem.validUtf8).toBe(true);
      expect(poem.text).toBe(BIG.toString('latin1'));
    },
  );

  it('reports the partial bytes of a big poem when the connection is lost', () => {
    const { errors, connector, protocol } = startFetch();
    const part = BIG.subarray(0, GROW_IN_PLACE_FROM_BYTES + 17);
    feed(protocol, part, 4099);
    connector.lose(new ConnectionLost('connection reset by peer', { address: ADDRESS }));
    const error = errors[0] as PoemIncompleteError;
    expect(error).toBeInstanceOf(PoemIncompleteError);
    expect(error.partial.equals(part)).toBe(true);
    expect(error.bytesReceived).toBe(part.length);
  });

  it('accepts a big poem of exactly maxBytes and refuses the byte after', () => {
    const exact = startFetch(BIG.length);
    feed(exact.protocol, BIG, 65_536);
    exact.connector.lose(new ConnectionDone('connection closed cleanly'));
    expect(exact.poems[0]!.bytes.equals(BIG)).toBe(true);

    const over = startFetch(BIG.length - 1);
    feed(over.protocol, BIG, 65_536);
    expect(over.poems).toEqual([]);
    expect(over.errors[0]).toBeInstanceOf(PoemTooLargeError);
    expect(over.transport.aborted).toBe(true);
  });
});
