// Sizes as people write them (parseSize) and read them (formatBytes).

import { describe, expect, it } from 'vitest';
import { formatBytes, parseSize } from '../../../src/poetry/size.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

describe('parseSize', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['1048576', MiB],
    ['100B', 100],
    ['512KiB', 512 * KiB],
    ['64MiB', 64 * MiB],
    ['1GiB', GiB],
    ['2TiB', 2 * TiB],
    ['100kB', 100_000],
    ['64MB', 64_000_000],
    ['1GB', 1_000_000_000],
    ['1TB', 1e12],
    ['0MiB', 0],
  ])('reads %j as %i bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each([
    ['1K', KiB],
    ['1M', MiB],
    ['1G', GiB],
    ['1T', TiB],
  ])('reads curl’s %j in 1024s, as curl does: %i bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each([
    ['64mib', 64 * MiB],
    ['64MIB', 64 * MiB],
    ['1gb', 1e9],
    ['1Gb', 1e9],
    ['1kb', 1000],
    ['1KB', 1000],
    ['1k', KiB],
    ['1g', GiB],
    ['5b', 5],
  ])('reads the unit of %j in any case: %i bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each([
    ['64 MiB', 64 * MiB],
    [' 64MiB', 64 * MiB],
    ['64MiB ', 64 * MiB],
    ['\t1 G\n', GiB],
    [' 7 ', 7],
  ])('allows spaces around the number and the unit in %j', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each([
    ['1.5GiB', 1.5 * GiB],
    ['.5MiB', MiB / 2],
    ['0.5KiB', 512],
    ['1.5kB', 1500],
    // Exact, where floating point would make 4349999.999…
    ['4.35MB', 4_350_000],
    ['1.1MB', 1_100_000],
    // 0.3 KiB is 307.2 bytes: a poem of 307 bytes fits under either, one of 308 under neither.
    ['0.3KiB', 307],
    ['1.0000000001GB', 1_000_000_000],
  ])('reads the fraction %j, rounded down to %i whole bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it('reads the largest safe integer, and refuses one byte more', () => {
    expect(parseSize(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseSize('9007199254740992')).toBeUndefined();
    expect(parseSize('8191TiB')).toBe(8191 * TiB);
    expect(parseSize('8192TiB')).toBeUndefined();
    expect(parseSize('99999999999999999999999GB')).toBeUndefined();
  });

  it.each([
    '',
    ' ',
    'MiB',
    '-1',
    '-1MiB',
    '+1',
    '1e6',
    '0x10',
    'Infinity',
    'NaN',
    '1,000',
    '1_000',
    '1.',
    '1..5MiB',
    '1.5',
    '1.5B',
    '1 2',
    '64 MiBs',
    '64MiB/s',
    '64 Mi',
    '1KIBB',
    '1PB',
    '1PiB',
    '1bit',
    'one',
    '١٢',
  ])('refuses %j', (text) => {
    expect(parseSize(text)).toBeUndefined();
  });

  it('refuses a size above 0 that rounds down to 0, which would mean "no limit"', () => {
    expect(parseSize('0.0001KiB')).toBeUndefined();
    expect(parseSize('0.001kB')).toBe(1);
    expect(parseSize('0.0KiB')).toBe(0);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1, '1 B'],
    [1234, '1234 B'],
    [1023, '1023 B'],
    [KiB, '1 KiB'],
    [512 * KiB, '512 KiB'],
    [64 * MiB, '64 MiB'],
    [GiB, '1 GiB'],
    [4 * GiB, '4 GiB'],
    [3 * TiB, '3 TiB'],
    [1536, '1.5 KiB'],
    [1.25 * MiB, '1.25 MiB'],
    [1.5 * GiB, '1.5 GiB'],
    [1025 * KiB, '1025 KiB'],
  ])('gives %i bytes exactly: %j', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([
    [1000, '1 kB'],
    [100_000, '100 kB'],
    [1_000_000, '1 MB'],
    [1_500_000_000, '1.5 GB'],
    [64_000_000, '64 MB'],
    [1e12, '1 TB'],
    [1_050_000, '1.05 MB'],
  ])('gives %i bytes exactly in 1000s when that is shorter: %j', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([
    [64 * MiB + 1, '64 MiB'],
    [1_000_001, '977 KiB'],
    [123_456_789, '118 MiB'],
    [10_001, '9.77 KiB'],
    [12_345, '12.1 KiB'],
    [MiB - 1, '1 MiB'],
    [GiB - 1, '1 GiB'],
    [Number.MAX_SAFE_INTEGER, '8192 TiB'],
  ])('rounds %i bytes to three significant digits: %j', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('reads back what it writes, when it is exact', () => {
    for (const bytes of [0, 1, 1023, KiB, 1536, 64 * MiB, 1.25 * MiB, 100_000, 1_500_000_000]) {
      expect(parseSize(formatBytes(bytes))).toBe(bytes);
    }
  });
});
