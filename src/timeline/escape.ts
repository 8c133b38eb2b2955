// Text made safe for SVG and HTML, so an address or an error message cannot inject markup.

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',

  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** True for a UTF-16 code unit that XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF). */
function forbidden(code: number): boolean {
  if (code < 0x20) return code !== 0x09 && code !== 0x0a && code !== 0x0d;
  return code === 0xfffe || code === 0xffff;
}

/**
 * Escapes `text` for an XML or HTML text node or a quoted attribute. Characters XML cannot hold
 * at all (control characters, unpaired surrogates) become U+FFFD, so a hostile error message
 * cannot make the whole file unreadable either.
 */
export function escapeXml(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text[i]! + text[i + 1]!;
        i++;
      } else {
        out += '\uFFFD';
      }
    } else if ((code >= 0xdc00 && code <= 0xdfff) || forbidden(code)) {
      out += '\uFFFD';
    } else {
      const char = text[i]!;
      out += ENTITIES[char] ?? char;
    }
  }
  return out;
}

/** Whitespace runs (newlines in an error message, say) as one space, trimmed. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** At most `maxChars` characters (code points), ending in `…` when cut. */
export function truncate(text: string, maxChars: number): string {
  const chars = Array.from(text);
  if (chars.length <= maxChars) return text;
  if (maxChars <= 1) return '…'.slice(0, Math.max(0, maxChars));
  return `${chars.slice(0, maxChars - 1).join('')}…`;
}
