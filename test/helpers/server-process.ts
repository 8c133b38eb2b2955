// Runs the built poetry-server command as a user would, reads its output, and always cleans up.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { destroyHostileReaders } from './readers.js';
import { runtimeCommand, runtimeEnv } from './runtime.js';
import { destroyAllReaders } from './server-reader.js';

/**
 * The built command (`npm test` builds first), run under the tests' runtime (POETRY_TEST_RUNTIME);
 * POETRY_SERVER_CLI points at another build.
 */
export const SERVER_CLI =
  process.env.POETRY_SERVER_CLI ??
  fileURLToPath(new URL('../../dist/cli/poetry-server.js', import.meta.url));

const children = new Set<ChildProcess>();

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /**
   * Run without the power to read any file (root's CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH),
   * so file permissions apply even when the tests run as root. Unlike switching to another
   * user, the server can still read the checkout wherever it is.
   */
  obeyFilePermissions?: boolean;
}

/**
 * A running poetry-server. Its stdout is read as it comes (a pipe nobody drains would block
 * the server on its log lines), and kept line by line in `lines`.
 */
export class ServerProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<Exit>;
  #partial = '';
  #waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  constructor(args: string[], options: SpawnOptions = {}) {
    if (!existsSync(SERVER_CLI)) {
      throw new Error(`${SERVER_CLI} is missing: build first (npx tsc -p tsconfig.build.json)`);
    }
    const command = runtimeCommand(SERVER_CLI, args);
    if (options.obeyFilePermissions && process.getuid?.() === 0) {
      // setpriv (util-linux) execs the server with those two capabilities out of its bounding set.
      command.unshift('setpriv', '--bounding-set', '-dac_override,-dac_read_search');
    }
    this.child = spawn(command[0]!, command.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: runtimeEnv(),
    });
    children.add(this.child);
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (text: string) => this.#onStdout(text));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (text: string) => {
      this.stderr += text;
    });
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        children.delete(this.child);
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the first line (seen or to come) that passes `test`. */
  waitForLine(test: (line: string) => boolean, what = 'a line'): Promise<string> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { test, resolve };
      this.#waiters.push(waiter);
      void this.exited.then(() => {
        if (this.#waiters.includes(waiter)) {
          reject(
            new Error(
              `poetry-server exited before printing ${what}; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`,
            ),
          );
        }
      });
    });
  }

  /** Lines that pass `test`, once there are at least `count` of them. */
  async waitForLines(test: (line: string) => boolean, count: number): Promise<string[]> {
    for (;;) {
      const matching = this.lines.filter(test);
      if (matching.length >= count) return matching;
      await this.waitForLine((line) => test(line) && !matching.includes(line), `${count} lines`);
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  #onStdout(text: string): void {
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop()!;
    for (const line of parts) {
      this.lines.push(line);
      for (const waiter of [...this.#waiters]) {
        if (waiter.test(line)) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  }
}

export interface ServingServer extends ServerProcess {
  host: string;
  port: number;
}

const SERVING = /^Serving (.*) on (\[[^\]]+\]|[^:]+):(\d+)$/;

/** Starts poetry-server and resolves once it prints `Serving FILE on HOST:PORT`. */
export async function startServer(
  args: string[],
): Promise<ServerProcess & { host: string; port: number }> {
  const server = new ServerProcess(args);
  const first = await server.waitForLine(() => true, 'its first line');
  const match = SERVING.exec(first);
  if (match === null) throw new Error(`unexpected first line: ${first}`);
  const host = match[2]!.replace(/^\[|\]$/g, '');
  return Object.assign(server, { host, port: Number(match[3]) });
}

/** Runs poetry-server to its end; for inputs it must refuse. */
export async function runServer(
  args: string[],
  options: SpawnOptions = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const server = new ServerProcess(args, options);
  const exit = await server.exited;
  return { ...exit, stdout: server.lines.join('\n'), stderr: server.stderr };
}

/** Kills every server still running (for afterEach) and waits until each has exited. */
export async function killAllServers(): Promise<void> {
  const running = [...children];
  await Promise.all(
    running.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
          }
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** Closes every reader the helpers opened and kills every server still running (for afterEach). */
export async function stopServersAndReaders(): Promise<void> {
  destroyAllReaders();
  destroyHostileReaders();
  await killAllServers();
}
