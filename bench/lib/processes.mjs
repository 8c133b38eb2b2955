// Child processes for the benchmark: measured runs (GNU time), servers, and cleanup on any exit.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';

/** GNU time reports the measured process's own numbers (%e %U %S %M), apart from this process. */
export const gnuTimeAvailable =
  existsSync(GNU_TIME) &&
  spawnSync(GNU_TIME, ['-f', '%e %U %S %M', 'true'], { encoding: 'utf8' }).status === 0;

// Every child is the leader of its own process group, so one kill by group id reaches it and
// anything it started (GNU time and the program under it).
const live = new Set();

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

export function killAll() {
  for (const child of live) killGroup(child, 'SIGKILL');
  live.clear();
}

process.on('exit', killAll);

/** The pid of the program under GNU time (its only child), or the child itself when unwrapped. */
function programPid(child, wrapped) {
  if (!wrapped) return child.pid;
  try {
    const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
    if (children) return Number(children.split(/\s+/)[0]);
  } catch {
    // Fall through: without /proc children, signal GNU time's group instead.
  }
  return null;
}

function parseGnuTime(path) {
  // Lines before the last say how the command ended ("Command exited with non-zero status 3").
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const [elapsed, user, system, maxRssKiB] = lines.at(-1).trim().split(/\s+/).map(Number);
  return { elapsedSeconds: elapsed, cpuSeconds: user + system, peakRssKiB: maxRssKiB };
}

let sequence = 0;

/**
 * Starts argv in its own process group, measured by GNU time when `measured` and available.
 * With `stdoutPath`, the program's stdout is that file (created or emptied), as a shell's `>`
 * would make it, so what it prints costs it a write to a file and nothing else.
 * Returns { child, wrapped, done } where done resolves to the measurement once it exits.
 */
function start(argv, { measured, tmp, onStdout, keepStdout = true, stdoutPath, env }) {
  const wrapped = measured && gnuTimeAvailable;
  const timeFile = join(tmp, `time-${process.pid}-${++sequence}.txt`);
  const command = wrapped ? [GNU_TIME, '-f', '%e %U %S %M', '-o', timeFile, ...argv] : argv;
  const stdoutFd = stdoutPath === undefined ? null : openSync(stdoutPath, 'w');
  const startedMs = performance.now();
  let child;
  try {
    child = spawn(command[0], command.slice(1), {
      detached: true,
      stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'],
      env: env ?? process.env,
    });
  } finally {
    // The child holds its own copy of the descriptor from here on.
    if (stdoutFd !== null) closeSync(stdoutFd);
  }
  live.add(child);
  const stdout = [];
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    if (keepStdout) stdout.push(chunk);
    onStdout?.(chunk);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => {
    stderr = (stderr + text).slice(-4000);
  });
  const done = new Promise((resolve) => {
    child.on('error', (error) => {
      live.delete(child);
      resolve({ ok: false, exitCode: null, signal: null, error: error.message, stdout: '' });
    });
    child.on('close', (exitCode, signal) => {
      const wallSeconds = (performance.now() - startedMs) / 1000;
      live.delete(child);
      const result = { exitCode, signal, wallSeconds, cpuSeconds: null, peakRssKiB: null };
      if (wrapped && existsSync(timeFile)) {
        Object.assign(result, parseGnuTime(timeFile));
        rmSync(timeFile, { force: true });
      }
      result.stdout = Buffer.concat(stdout);
      result.stderr = stderr;
      result.ok = exitCode === 0;
      resolve(result);
    });
  });
  return { child, wrapped, done };
}

/**
 * Runs argv to completion (stdout collected, or written to `stdoutPath`, or handed chunk by chunk
 * to `onStdout` and not kept). Wall time is taken here (spawn to exit, sub-millisecond); CPU
 * (user + system) and peak RSS come from GNU time and are the program's alone.
 */
export async function run(
  argv,
  { tmp, measured = true, timeoutSeconds = 120, stdoutPath, onStdout, env },
) {
  const keepStdout = onStdout === undefined;
  const { child, done } = start(argv, { measured, tmp, stdoutPath, onStdout, keepStdout, env });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child, 'SIGKILL');
  }, timeoutSeconds * 1000);
  const result = await done;
  clearTimeout(timer);
  if (timedOut) {
    result.ok = false;
    result.error = `timed out after ${timeoutSeconds} s`;
  }
  return result;
}

// ADDRESS: HOST:PORT, tls:HOST:PORT or unix:PATH, as get-poetry takes it.
const SERVING = /^Serving .* on (unix:.+?|(?:tls:)?(.+):(\d+))\s*$/m;

/**
 * Starts a server that prints "Serving FILE on ADDRESS" first, and resolves once it has, to
 * `{ address, host, port, stop }`.
 * stop() sends SIGTERM to the server itself (not to GNU time, which would die and lose the
 * figures), waits for it to exit and resolves to its measurement.
 */
export async function startServer(argv, { tmp, measured = false, startSeconds = 30 }) {
  let announced = '';
  let onAnnounce;
  const announcedPromise = new Promise((resolve) => {
    onAnnounce = resolve;
  });
  const { child, wrapped, done } = start(argv, {
    measured,
    tmp,
    onStdout: (chunk) => {
      announced += chunk.toString('utf8');
      const match = SERVING.exec(announced);
      // host and port stay those of a TCP or TLS port (0 for a UNIX socket's).
      if (match)
        onAnnounce({ address: match[1], host: match[2] ?? '', port: Number(match[3] ?? 0) });
    },
  });
  const timer = setTimeout(() => onAnnounce(null), startSeconds * 1000);
  const address = await Promise.race([announcedPromise, done.then(() => null)]);
  clearTimeout(timer);
  if (!address) {
    killGroup(child, 'SIGKILL');
    const result = await done;
    const said = `${result.stdout?.toString('utf8') ?? ''}${result.stderr ?? ''}`.trim();
    throw new Error(`server did not announce its port: ${argv.join(' ')}\n${said.slice(-1000)}`);
  }
  return {
    ...address,
    async stop() {
      const pid = programPid(child, wrapped);
      try {
        if (pid) process.kill(pid, 'SIGTERM');
        else killGroup(child, 'SIGTERM');
      } catch {
        // Already gone: done says how it ended.
      }
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
      const result = await done;
      clearTimeout(timer);
      return result;
    },
  };
}
