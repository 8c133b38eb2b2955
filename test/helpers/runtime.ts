// Which JavaScript runtime runs the built commands in tests: the one switch, POETRY_TEST_RUNTIME.

import { basename } from 'node:path';

/** The runtimes the package promises to run under. */
export type RuntimeName = 'node' | 'deno' | 'bun';

export interface TestRuntime {
  readonly name: RuntimeName;
  /** The executable: a path, or a name looked up on PATH. */
  readonly executable: string;
  /** What goes between the executable and the script (Deno runs a file with `run -A`). */
  readonly args: readonly string[];
}

/**
 * The runtime named by `value`: `node`, `deno` or `bun` (looked up on PATH; `node` is the Node
 * running the tests), or a path to one of them, whose file name says which. Unset or empty: Node.
 */
export function testRuntime(value: string | undefined): TestRuntime {
  if (value === undefined || value === '')
    return { name: 'node', executable: process.execPath, args: [] };
  const name = basename(value).replace(/\.exe$/, '');
  const explicit = value.includes('/');
  switch (name) {
    case 'node':
      return { name, executable: explicit ? value : process.execPath, args: [] };
    // -A: a command reads files, listens and connects as it would under Node; Deno's
    // permission prompts are for code the user does not trust, not for a CLI they installed.
    case 'deno':
      return { name, executable: value, args: ['run', '-A'] };
    case 'bun':
      return { name, executable: value, args: [] };
    default:
      throw new Error(`POETRY_TEST_RUNTIME=${value}: expected node, deno, bun or a path to one`);
  }
}

/** The runtime that runs built commands in these tests (POETRY_TEST_RUNTIME). */
export const RUNTIME: TestRuntime = testRuntime(process.env.POETRY_TEST_RUNTIME);

/** `[executable, ...args]` that runs `script ARGS…` under RUNTIME. */
export function runtimeCommand(script: string, args: readonly string[] = []): string[] {
  return [RUNTIME.executable, ...RUNTIME.args, script, ...args];
}

/**
 * The environment for a process under RUNTIME: `env` plus, for Deno, no update check (a command
 * run by a test must not reach for the network).
 */
export function runtimeEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return RUNTIME.name === 'deno' ? { ...env, DENO_NO_UPDATE_CHECK: '1' } : env;
}
