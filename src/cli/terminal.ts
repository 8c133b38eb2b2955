// Terminal safety and colour: escaping control characters, and colours only where they belong.

import picocolors from 'picocolors';

/** The colour functions the commands use (picocolors' shape). */
export type Colors = ReturnType<typeof picocolors.createColors>;

/** C0 controls except tab and newline, DEL, and the C1 controls (U+0080 to U+009F). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Makes text safe to show on a terminal: a hostile server cannot move the cursor, retitle the
 * window or hide lines. C0 controls (except newline and tab) and DEL are shown in caret
 * notation, as `cat -v` does (ESC as `^[`, CR as `^M`, DEL as `^?`); C1 controls as `\u009b`.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(CONTROL, (character) => {
    const code = character.charCodeAt(0);
    if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
    if (code === 0x7f) return '^?';
    return `\\u${code.toString(16).padStart(4, '0')}`;
  });
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
