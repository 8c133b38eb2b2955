// What the commands' shared start-up counts as the reader of their output going away.

import { describe, expect, it } from 'vitest';
import { isReaderGone } from '../../../src/cli/command.js';

function codeError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code });
}

describe('isReaderGone', () => {
  it('is true for a closed pipe (EPIPE) and for the writes after it (ERR_STREAM_DESTROYED)', () => {
    expect(isReaderGone(codeError('EPIPE'))).toBe(true);
    expect(isReaderGone(codeError('ERR_STREAM_DESTROYED'))).toBe(true);
  });

  it('is false for a write after our own end(), a full disk, and a code-less error', () => {
    expect(isReaderGone(codeError('ERR_STREAM_WRITE_AFTER_END'))).toBe(false);
    expect(isReaderGone(codeError('ENOSPC'))).toBe(false);
    expect(isReaderGone(new Error('odd'))).toBe(false);
    expect(isReaderGone(undefined)).toBe(false);
  });
});
