// get-poetry --from and --jsonl as a user runs them: the built command, real pipes and files,
// servers on loopback. What each line and record holds is tested on fakes in test/unit/cli.

import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllPeers, refusedPort, startPoetryPeer } from '../helpers/peers.js';
import { type CliResult, cliPath, killRunningClis, runCli } from '../helpers/run-cli.js';
import { runtimeCommand, runtimeEnv, skipUnder } from '../helpers/runtime.js';
import { removeScratchDirs, scratchDir } from '../helpers/scratch.js';

const children = new Set<ReturnType<typeof spawn>>();

afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  killRunningClis();
  await closeAllPeers();
  await removeScratchDirs();
});

/** Runs get-poetry with `input` on its standard input, killed after `timeoutMs`. */
function runWithInput(args: readonly string[], input: string, timeoutMs = 20_000) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  const [executable, ...argv] = runtimeCommand(cliPath('get-poetry'), args);
  const child = spawn(executable!, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: runtimeEnv(env) });
  children.add(child);
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  // The command may stop reading before the end (a bad line): that is not this test's error.
  child.stdin.on('error', () => {});
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ status, signal, stdout: Buffer.concat(stdout), stderr });
    });
  });
}

/** The records of a --jsonl output, the summary last. */
function records(result: CliResult): Record<string, unknown>[] {
  return result.stdout
    .toString()
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('get-poetry --from', () => {
  it('reads addresses from a pipe with --from -, comments, blank lines and CRLF skipped', async () => {
    const server = await startPoetryPeer('From a pipe.\n');
    const input = `# servers\r\n${server.address}\r\n\n  ${server.address}  # again\r\n${server.address}`;
    const result = await runWithInput(['--from', '-', '--jsonl'], input);
    expect(result.status).toBe(0);
    const all = records(result);
    const summary = all.pop();
    expect(all.map((r) => r.index).sort()).toEqual([1, 2, 3]);
    for (const record of all) {
      expect(record).toEqual({
        index: record.index,
        address: server.address,
        attempts: 1,
        bytes: 13,
        text: 'From a pipe.\n',
      });
    }
    expect(summary).toMatchObject({ poems: 3, failures: 0, bytes: 39 });
    expect(server.connections).toBe(3);
  });

  it('fetches the arguments first, then the lines of --from FILE, indexes counting through both', async () => {
    const first = await startPoetryPeer('First.\n');
    const second = await startPoetryPeer('Second.\n');
    const dir = await scratchDir('get-poetry-from-');
    const list = join(dir, 'servers.txt');
    await writeFile(list, `${second.address}\n${second.address}\n`);
    const result = await runCli('get-poetry', ['--from', list, '--json', first.address]);
    expect(result.status).toBe(0);
    const document = JSON.parse(result.stdout.toString());
    expect(document.poems.map((p: { index: number; text: string }) => [p.index, p.text])).toEqual([
      [1, 'First.\n'],
      [2, 'Second.\n'],
      [3, 'Second.\n'],
    ]);
  });

  it('exits 2 naming FILE:LINE for a bad line, before fetching anything from a regular file', async () => {
    const server = await startPoetryPeer('Never fetched.\n');
    const dir = await scratchDir('get-poetry-from-');
    const list = join(dir, 'poems.txt');
    // Longer than one read of the file: the bad line comes after addresses that could be fetched.
    const good = `${server.address}\n`.repeat(10_000);
    await writeFile(list, `${good}# fine\n\nlocalhost:\n${server.address}\n`);
    const result = await runCli('get-poetry', ['--from', list, '--quiet']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `get-poetry: ${list}:10003: invalid address "localhost:": missing port after ':'; expected PORT, HOST:PORT, [IPv6]:PORT, tls:HOST:PORT or unix:PATH\n(see 'get-poetry --help')\n`,
    );
    expect(server.connections).toBe(0);
  });

  it('exits 2 at a bad line of standard input, naming stdin:LINE', async () => {
    const server = await startPoetryPeer('Before the bad line.\n');
    const result = await runWithInput(
      ['--from', '-', '--jsonl'],
      `${server.address}\n${server.address}\nnot an address\n`,
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^get-poetry: stdin:3: invalid address "not an address": /);
    expect(result.stderr.split('\n')).toHaveLength(3);
  });

  it('exits 2 in one line when the list does not exist', async () => {
    const dir = await scratchDir('get-poetry-from-');
    const result = await runCli('get-poetry', ['--from', join(dir, 'missing.txt'), '10000']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `get-poetry: ${join(dir, 'missing.txt')}: cannot read the address list: no such file\n(see 'get-poetry --help')\n`,
    );
  });

  it('fetches some thousands of addresses from a file with --quiet', async () => {
    const server = await startPoetryPeer('Many.\n');
    const refused = `127.0.0.1:${await refusedPort()}`;
    const dir = await scratchDir('get-poetry-from-');
    const list = join(dir, 'many.txt');
    const lines = Array.from({ length: 3000 }, (_, i) => (i === 1234 ? refused : server.address));
    await writeFile(list, `${lines.join('\n')}\n`);
    const result = await runCli('get-poetry', ['--from', list, '--quiet', '--concurrency', '200']);
    expect(result.status).toBe(1);
    expect(result.stdout.length).toBe(0);
    expect(result.stderr).toContain('Got 2999 poems (17,994 bytes)');
    expect(result.stderr).toContain(`1 failed:\n  ${refused}: connection refused\n`);
  });
});

describe('get-poetry --jsonl', () => {
  it('ends quietly with status 141 when its reader goes away (get-poetry --jsonl … | head -1)', async () => {
    const server = await startPoetryPeer('One of many.\n');
    const dir = await scratchDir('get-poetry-jsonl-');
    const list = join(dir, 'many.txt');
    await writeFile(list, `${server.address}\n`.repeat(20_000));
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    const [executable, ...argv] = runtimeCommand(cliPath('get-poetry'), [
      '--from',
      list,
      '--jsonl',
      '--concurrency',
      '50',
    ]);
    const child = spawn(executable!, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: runtimeEnv(env),
    });
    children.add(child);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    // What `head -1` does: read a line, then close the pipe.
    let firstLine = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (firstLine === '') {
        firstLine = chunk.toString().split('\n')[0]!;
        child.stdout.destroy();
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [status, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.on('close', (code, sig) => resolve([code, sig])),
    );
    clearTimeout(timer);
    children.delete(child);
    expect(signal).toBeNull();
    expect(status).toBe(141);
    expect(stderr).toBe('');
    expect(JSON.parse(firstLine)).toMatchObject({ address: server.address, bytes: 13 });
    // Stopped early: far from every address was fetched.
    expect(server.connections).toBeLessThan(20_000);
  });
});

describe('get-poetry --from - on a pipe its writer keeps open', () => {
  /**
   * Starts `get-poetry --from - --jsonl`, writes one address and leaves its standard input open;
   * once the first record is out, `stop` ends the run. Resolves to whether the process exited
   * by itself, before the test gave up waiting (10 s) and closed its standard input.
   */
  async function exitsWithInputOpen(
    stop: (child: ReturnType<typeof spawn>, address: string) => void,
  ) {
    const server = await startPoetryPeer('Still listening.\n');
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.FORCE_COLOR;
    const [executable, ...argv] = runtimeCommand(cliPath('get-poetry'), ['--from', '-', '--jsonl']);
    const child = spawn(executable!, argv, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: runtimeEnv(env),
    });
    children.add(child);
    child.stdin.on('error', () => {});
    child.stdout.on('error', () => {});
    child.stdin.write(`${server.address}\n`);
    let stopped = false;
    child.stdout.on('data', () => {
      if (!stopped) {
        stopped = true;
        stop(child, server.address);
      }
    });
    const exited = new Promise<boolean>((resolve) => child.on('exit', () => resolve(true)));
    let giveUp: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => {
      giveUp = setTimeout(() => resolve(false), 10_000);
    });
    const byItself = await Promise.race([exited, gaveUp]);
    clearTimeout(giveUp);
    child.stdin.end();
    await exited;
    children.delete(child);
    return byItself;
  }

  // Deno 2 keeps a process alive while a destroyed process.stdin still waits on its pipe: the
  // command is done, yet exits only when the writer closes the pipe.
  const DENO_STDIN = 'Deno 2 keeps a process alive while a destroyed stdin waits on its pipe';

  it('exits on SIGINT without waiting for another line', async (context) => {
    skipUnder(context, ['deno'], DENO_STDIN);
    expect(await exitsWithInputOpen((child) => child.kill('SIGINT'))).toBe(true);
  });

  it('exits when its reader goes away, without waiting for another line', async (context) => {
    skipUnder(context, ['deno'], DENO_STDIN);
    const readerGone = (child: ReturnType<typeof spawn>, address: string): void => {
      // What `head -1` does; the next record written finds the pipe closed.
      child.stdout!.destroy();
      child.stdin!.write(`${address}\n`);
    };
    expect(await exitsWithInputOpen(readerGone)).toBe(true);
  });
});
