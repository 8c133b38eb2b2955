import { describe, expect, it } from 'vitest';
import { formatAddress as exported } from '../../../src/index.js';
import { formatAddress } from '../../../src/internet/address.js';

describe('formatAddress', () => {
  it('brackets IPv6 literals in addresses', () => {
    expect(formatAddress('::1', 10000)).toBe('[::1]:10000');
    expect(formatAddress('127.0.0.1', 10000)).toBe('127.0.0.1:10000');
  });

  it('leaves host names as they are', () => {
    expect(formatAddress('localhost', 1)).toBe('localhost:1');
  });

  it('is exported from the package', () => {
    expect(exported).toBe(formatAddress);
  });
});
