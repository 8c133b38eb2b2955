// PoemBytesBuilder: a poem held in memory is one Buffer, byte-exact, and never held twice.

import { constants } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import {
  GROW_IN_PLACE_FROM_BYTES,
  MAX_IN_MEMORY_BYTES,
  Poem,
  PoemBytesBuilder,
} from '../../../src/poetry/poem.js';

/** Deterministic bytes that are not all alike, so a misplaced chunk shows. */
function poemBytes(length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = 32 + ((i * 7 + (i >> 9)) % 95);
  return bytes;
}

function build(bytes: Buffer, chunkSize: number, maxBytes?: number): PoemBytesBuilder {
  const builder = new PoemBytesBuilder(maxBytes);
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    builder.append(bytes.subarray(offset, offset + chunkSize));
  }
  return builder;
}

const resizable = (buffer: Buffer): boolean =>
  (buffer.buffer as ArrayBuffer & { resizable: boolean }).resizable;

describe('PoemBytesBuilder', () => {
  it.each([1, 2, 3, 7, 4096, 65_537])(
    'joins a poem crossing the grow-in-place size byte-exact (chunks of %i bytes)',
    (chunkSize) => {
      const bytes = poemBytes(GROW_IN_PLACE_FROM_BYTES + 12_345);
      const builder = build(bytes, chunkSize);
      expect(builder.byteLength).toBe(bytes.length);
      const taken = builder.take();
      expect(taken.equals(bytes)).toBe(true);
      expect(taken.length).toBe(bytes.length);
      expect(resizable(taken)).toBe(true);
    },
  );

  it.each([64, 1000])('joins a small poem from a plain list (chunks of %i bytes)', (chunkSize) => {
    const bytes = poemBytes(10_000);
    const taken = build(bytes, chunkSize).take();
    expect(taken.equals(bytes)).toBe(true);
    expect(resizable(taken)).toBe(false);
  });

  it.each([1, 3])(
    'grows a small poem in place when it comes in tiny chunks (%i bytes)',
    (chunkSize) => {
      const bytes = poemBytes(10_000);
      const taken = build(bytes, chunkSize).take();
      expect(taken.equals(bytes)).toBe(true);
      expect(resizable(taken)).toBe(true);
    },
  );

  it('switches at exactly the grow-in-place size, not a byte before', () => {
    const below = poemBytes(GROW_IN_PLACE_FROM_BYTES - 1);
    expect(resizable(build(below, 4096).take())).toBe(false);
    const at = poemBytes(GROW_IN_PLACE_FROM_BYTES);
    const taken = build(at, 4096).take();
    expect(resizable(taken)).toBe(true);
    expect(taken.equals(at)).toBe(true);
  });

  it('hands back a poem that came in one chunk as that very chunk, however big', () => {
    const chunk = poemBytes(GROW_IN_PLACE_FROM_BYTES * 2);
    const builder = new PoemBytesBuilder();
    builder.append(chunk);
    expect(builder.take()).toBe(chunk);
  });

  it('keeps chunks it was given unchanged, and its bytes apart from them', () => {
    const bytes = poemBytes(GROW_IN_PLACE_FROM_BYTES + 100);
    const copy = Buffer.from(bytes);
    const taken = build(bytes, 65_536).take();
    bytes.fill(0);
    expect(taken.equals(copy)).toBe(true);
  });

  it('reserves no more than the size cap', () => {
    const cap = GROW_IN_PLACE_FROM_BYTES + 1000;
    const bytes = poemBytes(cap);
    const taken = build(bytes, 4096, cap).take();
    expect(taken.equals(bytes)).toBe(true);
    expect((taken.buffer as ArrayBuffer & { maxByteLength: number }).maxByteLength).toBe(cap);
  });

  it('throws RangeError past its cap, in either mode', () => {
    const small = new PoemBytesBuilder(10);
    small.append(Buffer.alloc(10));
    expect(() => small.append(Buffer.alloc(1))).toThrow(RangeError);
    const cap = GROW_IN_PLACE_FROM_BYTES + 10;
    const big = build(Buffer.alloc(cap), 65_536, cap);
    expect(() => big.append(Buffer.alloc(1))).toThrow(RangeError);
    expect(big.take().length).toBe(cap);
  });

  it('never holds more than a Buffer can, cap or no cap', () => {
    const largest = Math.min(constants.MAX_LENGTH, MAX_IN_MEMORY_BYTES);
    expect(new PoemBytesBuilder().maxBytes).toBe(largest);
    expect(new PoemBytesBuilder(Number.POSITIVE_INFINITY).maxBytes).toBe(largest);
    expect(new PoemBytesBuilder(100).maxBytes).toBe(100);
  });

  it('is empty after take and after clear', () => {
    const builder = build(poemBytes(GROW_IN_PLACE_FROM_BYTES + 1), 4096);
    builder.take();
    expect(builder.byteLength).toBe(0);
    expect(builder.take().length).toBe(0);
    builder.append(Buffer.from('again'));
    expect(builder.take().toString()).toBe('again');
    builder.append(Buffer.from('dropped'));
    builder.clear();
    expect(builder.byteLength).toBe(0);
    expect(builder.take().length).toBe(0);
  });

  it('gives a Poem whose text and validUtf8 work on the grown bytes, a character split at the switch', () => {
    const head = Buffer.alloc(GROW_IN_PLACE_FROM_BYTES - 2, 'a');
    const globe = Buffer.from('🌍', 'utf8'); // 4 bytes: 2 before the switch, 2 after
    const builder = new PoemBytesBuilder();
    builder.append(head);
    for (const byte of globe) builder.append(Buffer.from([byte]));
    builder.append(Buffer.from(' ok\n'));
    const bytes = builder.take();
    expect(resizable(bytes)).toBe(true);
    const poem = new Poem({
      host: '127.0.0.1',
      port: 10000,
      address: '127.0.0.1:10000',
      bytes,
      byteLength: bytes.length,
      chunkCount: 6,
      timings: { startedSeconds: 0, connectedSeconds: 0, firstByteSeconds: 0, doneSeconds: 1 },
    });
    expect(poem.validUtf8).toBe(true);
    expect(poem.text.endsWith('a🌍 ok\n')).toBe(true);
    expect(poem.text.length).toBe(head.length + 2 + 4);
    expect(Buffer.concat([poem.bytes, Buffer.from('!')]).length).toBe(bytes.length + 1);
  });
});

describe('PoemBytesBuilder against a server that drips', () => {
  it('keeps one growing buffer, not a Buffer per byte, once many tiny chunks have come', () => {
    const builder = new PoemBytesBuilder(64 * 1024 * 1024);
    const expected: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const byte = 97 + (i % 26);
      expected.push(byte);
      builder.append(Buffer.from([byte]));
    }
    const bytes = builder.take();
    expect(bytes.equals(Buffer.from(expected))).toBe(true);
    // Copied into one store: the bytes live in a single (growable) ArrayBuffer.
    expect((bytes.buffer as ArrayBuffer & { resizable?: boolean }).resizable).toBe(true);
  });

  it('copies a lent chunk it keeps, so the buffer it came from can be read into again', () => {
    for (const size of [100, GROW_IN_PLACE_FROM_BYTES + 10]) {
      const poem = poemBytes(size * 3);
      const builder = new PoemBytesBuilder();
      const readBuffer = Buffer.alloc(size);
      for (let at = 0; at < poem.length; at += size) {
        poem.copy(readBuffer, 0, at, at + size);
        builder.append(readBuffer, true);
        readBuffer.fill(0); // the next read lands here
      }
      expect(builder.take().equals(poem)).toBe(true);
    }
  });
});
