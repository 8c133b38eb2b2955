// Counts as the timeline and the commands write them: one thousands separator, no locale.

import { describe, expect, it } from 'vitest';
import { formatCount, plural } from '../../../src/timeline/format.js';

describe('formatCount', () => {
  it('groups thousands with commas', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1000)).toBe('1,000');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(Number.MAX_SAFE_INTEGER)).toBe('9,007,199,254,740,991');
  });

  it('rounds to a whole number and keeps the sign outside the groups', () => {
    expect(formatCount(1234.6)).toBe('1,235');
    expect(formatCount(-1234567)).toBe('-1,234,567');
    expect(formatCount(-999)).toBe('-999');
  });
});

describe('plural', () => {
  it('takes the singular for exactly one', () => {
    expect(plural(1, 'poem', 'poems')).toBe('1 poem');
    expect(plural(0, 'poem', 'poems')).toBe('0 poems');
    expect(plural(2048, 'byte', 'bytes')).toBe('2,048 bytes');
  });
});
