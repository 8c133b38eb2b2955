// Escaping control characters for the terminal, and when to colour.

import { describe, expect, it } from 'vitest';
import {
  colorsFor,
  escapeControlCharacters,
  escapeJsonForTerminal,
  formatByteCount,
  useColor,
} from '../../../src/cli/terminal.js';

describe('escapeControlCharacters', () => {
  it('keeps newlines, tabs and ordinary text, including non-ASCII', () => {
    const text = 'Shall I compare thee\tto a summer’s day?\n世界 🌍\n';
    expect(escapeControlCharacters(text)).toBe(text);
  });

  it('shows C0 controls and DEL in caret notation', () => {
    expect(escapeControlCharacters('\x1b[2J\x1b]0;owned\x07\r\0\x7f')).toBe(
      '^[[2J^[]0;owned^G^M^@^?',
    );
  });

  it('shows C1 controls as \\u escapes so none reaches the terminal', () => {
    expect(escapeControlCharacters('a\u009b31mb\u0085')).toBe('a\\u009b31mb\\u0085');
  });

  it('leaves no control character but newline and tab in any string', () => {
    let all = '';
    for (let code = 0; code < 0x100; code++) all += String.fromCharCode(code);
    const escaped = escapeControlCharacters(all);
    const controls = [...escaped].filter((c) => {
      const code = c.charCodeAt(0);
      return (code < 0x20 && c !== '\n' && c !== '\t') || (code >= 0x7f && code <= 0x9f);
    });
    expect(controls).toEqual([]);
    expect(escaped).toContain('\n');
    expect(escaped).toContain('\t');
  });
});

describe('useColor', () => {
  it('colours a terminal only', () => {
    expect(useColor({ isTTY: true }, {})).toBe(true);
    expect(useColor({ isTTY: false }, {})).toBe(false);
    expect(useColor({}, {})).toBe(false);
  });

  it('respects NO_COLOR, TERM=dumb and FORCE_COLOR', () => {
    expect(useColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColor({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(useColor({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(useColor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColor({ isTTY: true }, { FORCE_COLOR: '0', NO_COLOR: '1' })).toBe(false);
  });

  it('gives plain strings where colour does not belong', () => {
    expect(colorsFor({ isTTY: false }, {}).red('x')).toBe('x');
    expect(colorsFor({ isTTY: true }, {}).red('x')).not.toBe('x');
  });
});

describe('bidirectional controls and JSON on a terminal', () => {
  it('shows bidirectional overrides escaped, so text reads on screen as its bytes do', () => {
    expect(escapeControlCharacters('abc\u202edcba\u2066x\u2069')).toBe(
      'abc\\u202edcba\\u2066x\\u2069',
    );
  });

  it('escapes DEL, C1 and bidi controls in JSON and leaves it the same JSON', () => {
    const json = JSON.stringify({ text: 'a\u009b31mb\u007f\u202ec\n' });
    const safe = escapeJsonForTerminal(json);
    expect(safe).not.toMatch(/[\u007f-\u009f\u202e]/);
    expect(JSON.parse(safe)).toEqual(JSON.parse(json));
  });
});

describe('formatByteCount', () => {
  it('groups thousands', () => {
    expect(formatByteCount(0)).toBe('0 bytes');
    expect(formatByteCount(1234567)).toBe('1,234,567 bytes');
  });
});
