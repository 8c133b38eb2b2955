// A seeded, bounded fuzz of the commands' arguments: the generator, the in-process parse of
// get-poetry's arguments, and the checks every run's output must pass.

import { CommanderError } from 'commander';
import { UsageError } from '../../src/cli/command.js';
import {
  addressesToFetch,
  type GetPoetryOptions,
  getPoetryProgram,
} from '../../src/cli/get-poetry-program.js';
import type { Endpoint } from '../../src/poetry/address.js';
import { seededRandom } from './seeded-random.mjs';

export class Fuzzer {
  readonly random: () => number;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  int(limit: number): number {
    return Math.floor(this.random() * limit);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  /**
   * A C0 control character other than LF and CR: those two split a usage line in two, which
   * a test of its own covers.
   */
  control(): string {
    for (;;) {
      const code = 1 + this.int(0x1f);
      if (code !== 0x0a && code !== 0x0d) return String.fromCharCode(code);
    }
  }

  /** A string of random code points: ASCII mostly, some controls, some far beyond. */
  junk(maxLength = 12): string {
    const length = this.int(maxLength + 1);
    let text = '';
    for (let i = 0; i < length; i++) {
      const r = this.random();
      if (r < 0.7) text += String.fromCharCode(0x21 + this.int(0x5e));
      else if (r < 0.8) text += this.control();
      else if (r < 0.9) text += String.fromCodePoint(0x80 + this.int(0x800));
      else text += this.pick(['\u202e', '\u00a0', '\u0663', '\ud83c\udf39', '\u009b', ' ']);
    }
    return text;
  }
}

/** Numbers as people type them, and as they should not. */
export const NUMBERS: readonly string[] = [
  '0',
  '1',
  '2',
  '10',
  '0.5',
  '.5',
  '1.',
  '00',
  '007',
  '-1',
  '-0',
  '+1',
  '1e3',
  '1E-2',
  '0x10',
  '0b1',
  '1_000',
  '1,5',
  'NaN',
  'Infinity',
  '-Infinity',
  '',
  ' ',
  ' 1',
  '1 ',
  '\t2',
  '99999999999999999999',
  '9007199254740993',
  '1.7976931348623157e309',
  '\u0663',
  '１',
  'one',
  '5s',
  '1\t2',
];

/** Turns a token list into one printable line for failure messages. */
export function show(args: readonly string[]): string {
  return JSON.stringify(args);
}

export type ParseOutcome =
  | { kind: 'ok'; addresses: Endpoint[]; options: GetPoetryOptions }
  | { kind: 'exit0' }
  | { kind: 'usage'; message: string };

/**
 * get-poetry's argument handling, in process: the command's own program and address parser,
 * with commander's output silenced. Throws anything that is neither a usage error nor help.
 */
export function parseGetPoetryArguments(args: readonly string[]): ParseOutcome {
  const program = getPoetryProgram().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  try {
    program.parse(['node', 'get-poetry', ...args]);
    const options = program.opts<GetPoetryOptions>();
    const addresses = addressesToFetch(program.args, options);
    return { kind: 'ok', addresses, options };
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? { kind: 'exit0' } : { kind: 'usage', message: error.message };
    }
    if (error instanceof UsageError) return { kind: 'usage', message: error.message };
    throw error;
  }
}

/**
 * Whether `stderr` is a usage error as runCommand prints it: `NAME: message`, commander's
 * "(Did you mean …?)" when it has a guess, then the hint to see --help.
 */
export function isUsageError(name: string, stderr: string): boolean {
  const lines = stderr.trimEnd().split('\n');
  const hint = lines.pop();
  if (hint !== `(see '${name} --help')`) return false;
  if (lines.length === 2 && /^\(Did you mean .*\?\)$/.test(lines[1]!)) lines.pop();
  return lines.length === 1 && lines[0]!.startsWith(`${name}: `);
}

/** Whether `text` holds a C0 control other than tab and newline, or DEL: a raw terminal control. */
export function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a) || code === 0x7f) return true;
  }
  return false;
}

/** What a command printed on stderr that no user should see: stack frames and error dumps. */
export function stackTraceLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter(
      (line) => /^\s+at /.test(line) || /^\w*Error(: |$)|^node:internal|^Node\.js v/.test(line),
    );
}
