// Runs get-poetry (under the tests' runtime) on a pseudo-terminal, through util-linux `script`,
// bounded in time.

import { type ChildProcess, spawn } from 'node:child_process';
import { cliPath } from './run-cli.js';
import { runtimeCommand, runtimeEnv } from './runtime.js';

const terminals = new Set<ChildProcess>();

/** Quotes one word for /bin/sh. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs `shell(command)` under `script`, where `command` is `get-poetry ARGS…` quoted for the shell
 * and the shell's stdin, stdout and stderr are a pty; returns the exit status and what the pty was
 * sent. `shell` adds the redirections (and any `stty`) the test needs around the command.
 */
export async function runGetPoetryOnPty(
  args: readonly string[],
  shell: (command: string) => string,
): Promise<{ status: number | null; tty: Buffer }> {
  const command = runtimeCommand(cliPath('get-poetry'), args).map(shellQuote).join(' ');
  const child = spawn('script', ['-qec', shell(command), '/dev/null'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: runtimeEnv({ ...process.env, NO_COLOR: '1', TERM: 'xterm' }),
  });
  terminals.add(child);
  const out: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    const status = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    });
    return { status, tty: Buffer.concat(out) };
  } finally {
    clearTimeout(timer);
    terminals.delete(child);
  }
}

/** Kills every `script` still running (for afterEach). */
export function killTerminals(): void {
  for (const child of terminals) child.kill('SIGKILL');
  terminals.clear();
}
