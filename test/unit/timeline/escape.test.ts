// Escaping text for SVG and HTML, and keeping it short.

import { describe, expect, it } from 'vitest';
import { escapeXml, oneLine, truncate } from '../../../src/timeline/escape.js';

describe('escapeXml', () => {
  it('escapes the five markup characters', () => {
    expect(escapeXml(`<a href="x">Tom & Jerry's</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;',
    );
  });

  it('escapes an ampersand that already looks like an entity', () => {
    expect(escapeXml('&amp;')).toBe('&amp;amp;');
  });

  it('replaces control characters and unpaired surrogates, keeps tabs, newlines and emoji', () => {
    expect(escapeXml('a\u0000b\u001bc\td\ne\r')).toBe('a\ufffdb\ufffdc\td\ne\r');
    expect(escapeXml('x\ud800y\udc00z')).toBe('x\ufffdy\ufffdz');
    expect(escapeXml('poem 📜 ok')).toBe('poem 📜 ok');
    expect(escapeXml('\ufffe\uffff')).toBe('\ufffd\ufffd');
  });
});

describe('oneLine and truncate', () => {
  it('puts a message on one line', () => {
    expect(oneLine('  first\n\tsecond  third\r\n')).toBe('first second third');
  });

  it('cuts long text with an ellipsis, counting characters, not UTF-16 units', () => {
    expect(truncate('abcdef', 6)).toBe('abcdef');
    expect(truncate('abcdefg', 6)).toBe('abcde…');
    expect(truncate('📜📜📜📜', 3)).toBe('📜📜…');
    expect(truncate('abc', 1)).toBe('…');
  });
});
