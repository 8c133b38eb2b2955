// Terminal safety and colour: escaping control characters, and colours only where they belong.

import picocolors from 'picocolors';
import { formatCount } from '../timeline/format.js';

/** The colour functions the commands use (picocolors' shape). */
export type Colors = ReturnType<typeof picocolors.createColors>;

/** C0 controls but tab (U+0009) and newline (U+000A). */
const C0_BUT_TAB_AND_NEWLINE = '\\u0000-\\u0008\\u000b-\\u001f';
/** DEL and the C1 controls, CSI (U+009B) among them. */
const DEL_AND_C1 = '\\u007f-\\u009f';
/**
 * The bidirectional formatting characters, which make text on screen read in another order than
 * its bytes (the "Trojan Source" trick).
 */
const BIDI = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';

const CONTROL = new RegExp(`[${C0_BUT_TAB_AND_NEWLINE}${DEL_AND_C1}${BIDI}]`, 'g');
/** What JSON.stringify leaves raw but a terminal would act on (it escapes C0 itself). */
const JSON_UNSAFE_ON_A_TERMINAL = new RegExp(`[${DEL_AND_C1}${BIDI}]`, 'g');

/**
 * Makes text safe to show on a terminal: a hostile server cannot move the cursor, retitle the
 * window or hide lines. C0 controls (except newline and tab) and DEL are shown in caret
 * notation, as `cat -v` does (ESC as `^[`, CR as `^M`, DEL as `^?`); C1 and bidirectional
 * controls as `\u009b`, `\u202e`.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(CONTROL, (character) => {
    const code = character.charCodeAt(0);
    if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
    if (code === 0x7f) return '^?';
    return unicodeEscape(character);
  });
}

/**
 * Makes a JSON document safe to show on a terminal and still the same JSON: the characters that
 * JSON.stringify leaves raw but a terminal acts on become `\uXXXX` escapes.
 */
export function escapeJsonForTerminal(json: string): string {
  return json.replace(JSON_UNSAFE_ON_A_TERMINAL, unicodeEscape);
}

function unicodeEscape(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** A stream that may be a terminal. */
export interface MaybeTerminal {
  isTTY?: boolean;
}

/**
 * Whether to colour what goes to `stream`: only on a terminal, never with NO_COLOR set
 * (https://no-color.org) or TERM=dumb; FORCE_COLOR (other than 0) forces it on.
 */
export function useColor(stream: MaybeTerminal, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force !== 'false') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** Colour functions for `stream`: plain strings where colour does not belong. */
export function colorsFor(stream: MaybeTerminal, env: NodeJS.ProcessEnv): Colors {
  return picocolors.createColors(useColor(stream, env));
}

/** An exact count of bytes with a thousands separator, stable across locales ("1,186 bytes"). */
export function formatByteCount(bytes: number): string {
  return `${formatCount(bytes)} bytes`;
}
