// Runs a built command (dist/cli/NAME.js) as a user would, collecting its output, bounded in time.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runtimeCommand, runtimeEnv } from './runtime.js';

export interface CliResult {
  /** The exit status, or null when a signal ended the process. */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface CliRun {
  readonly child: ChildProcess;
  /** Resolves when the process has exited and its output is closed. */
  readonly done: Promise<CliResult>;
  /** Resolves once stderr contains `text` (rejects if the process ends first). */
  stderrIncludes(text: string): Promise<void>;
}

export interface CliOptions {
  /** Kill the process after this many milliseconds. Default 20,000. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Run under `sh -c 'ulimit -n N; exec …'` to cap its open files. */
  maxOpenFiles?: number;
}

const running = new Set<ChildProcess>();

/** The path of a built command. */
export function cliPath(name: string): string {
  return fileURLToPath(new URL(`../../dist/cli/${name}.js`, import.meta.url));
}

/** Starts `dist/cli/NAME.js ARGS…` under the tests' runtime (POETRY_TEST_RUNTIME), stdin closed. */
export function startCli(name: string, args: readonly string[], options: CliOptions = {}): CliRun {
  const [executable, ...argv] = runtimeCommand(cliPath(name), args);
  const env = runtimeEnv({ ...process.env, NO_COLOR: '1', ...options.env });
  delete env.FORCE_COLOR;
  const child =
    options.maxOpenFiles === undefined
      ? spawn(executable!, argv, { stdio: ['ignore', 'pipe', 'pipe'], env })
      : spawn(
          '/bin/sh',
          ['-c', `ulimit -n ${options.maxOpenFiles} && exec "$0" "$@"`, executable!, ...argv],
          { stdio: ['ignore', 'pipe', 'pipe'], env },
        );
  running.add(child);
  const stdout: Buffer[] = [];
  let stderr = '';
  const waiters: { text: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
    for (const waiter of [...waiters]) {
      if (stderr.includes(waiter.text)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      running.delete(child);
      for (const waiter of waiters) {
        waiter.reject(new Error(`exited before stderr included ${JSON.stringify(waiter.text)}`));
      }
      resolve({ status, signal, stdout: Buffer.concat(stdout), stderr });
    });
  });
  return {
    child,
    done,
    stderrIncludes: (text) =>
      stderr.includes(text)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => waiters.push({ text, resolve, reject })),
  };
}

/** Runs a command to the end. */
export function runCli(
  name: string,
  args: readonly string[],
  options: CliOptions = {},
): Promise<CliResult> {
  return startCli(name, args, options).done;
}

/** Kills every command still running; call in afterEach. */
export function killRunningClis(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}
