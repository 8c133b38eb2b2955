// Which JavaScript runtime runs the built commands in tests: the one switch, POETRY_TEST_RUNTIME.

import { basename } from 'node:path';
import type { TestContext } from 'vitest';

/** The runtimes the package promises to run under. */
export type RuntimeName = 'node' | 'deno' | 'bun';

export interface TestRuntime {
  readonly name: RuntimeName;
  /** The executable: a path, or a name looked up on PATH. */
  readonly executable: string;
  /** What goes between the executable and the script (Deno runs a file with `run -A -q`). */
  readonly args: readonly string[];
}

/** The runtime running this process (the test runner's own, when Deno or Bun runs it). */
function runningRuntime(): RuntimeName {
  const versions = process.versions as NodeJS.ProcessVersions & { bun?: string; deno?: string };
  return versions.deno !== undefined ? 'deno' : versions.bun !== undefined ? 'bun' : 'node';
}

/**
 * The runtime named by `value`: `node`, `deno` or `bun` (Deno and Bun looked up on PATH, `node`
 * meaning the Node running the tests), or a path to one of them, whose file name says which.
 * Unset or empty: the runtime running the tests.
 */
export function testRuntime(value: string | undefined): TestRuntime {
  const unset = value === undefined || value === '';
  const name = unset ? runningRuntime() : basename(value).replace(/\.exe$/, '');
  // The runtime running the tests is at process.execPath, not necessarily on PATH.
  const executable = unset || value === 'node' ? process.execPath : value;
  switch (name) {
    case 'node':
    case 'bun':
      return { name, executable, args: [] };
    // -A: a command reads files, listens and connects as it would under Node; Deno's permission
    // prompts are for code the user does not trust, not for a command they installed.
    // -q: on a terminal, Deno draws (and erases) a progress line of its own when loading is
    // slow, which a test would take for ours.
    case 'deno':
      return { name, executable, args: ['run', '-A', '-q'] };
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
 * `[executable, ...args]` that runs the installed package's command `name ARGS…` under RUNTIME,
 * as the README tells a user of that runtime to type it, in a project where it is installed.
 */
export function installedCommand(name: string, args: readonly string[] = []): string[] {
  switch (RUNTIME.name) {
    case 'node':
      return ['npx', '--no-install', name, ...args];
    case 'deno':
      return [RUNTIME.executable, ...RUNTIME.args, `npm:poetry-now/${name}`, ...args];
    case 'bun':
      // --bun: Bun itself, not the Node the command's #! line names.
      return [RUNTIME.executable, 'x', '--bun', name, ...args];
  }
}

/**
 * The environment for a process under RUNTIME: `env` plus, for Deno, no update check (a command
 * run by a test must not reach for the network).
 */
export function runtimeEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return RUNTIME.name === 'deno' ? { ...env, DENO_NO_UPDATE_CHECK: '1' } : env;
}

/**
 * Skips the running test under one of `runtimes`: for a case that fails there because of what
 * that runtime itself does, which `why` describes (the report shows it) and the package cannot
 * work around.
 */
export function skipUnder(
  context: TestContext,
  runtimes: readonly RuntimeName[],
  why: string,
): void {
  context.skip(runtimes.includes(RUNTIME.name), `under ${RUNTIME.name}: ${why}`);
}
