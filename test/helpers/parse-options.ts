// Parses get-poetry's arguments as a user typed them, for tests of its options.

import { CommanderError } from 'commander';
import { type GetPoetryOptions, getPoetryProgram } from '../../src/cli/get-poetry-program.js';

/** The options commander reads from `args` (the words after the command's name). */
export function parse(args: string[]): GetPoetryOptions {
  const program = getPoetryProgram();
  program.parse(args, { from: 'user' });
  return program.opts<GetPoetryOptions>();
}

/** The error commander throws for `args` (it never exits the process: see createProgram). */
export function parseError(args: string[]): CommanderError {
  try {
    parse(args);
  } catch (error) {
    if (error instanceof CommanderError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(args)} parsed without an error`);
}
