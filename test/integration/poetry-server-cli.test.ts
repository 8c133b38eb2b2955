// The poetry-server command's contract with its user: help, bad input (status 2), ports it
// cannot have (status 1), and stopping on SIGTERM or Ctrl-C with readers in flight (status 0).

import { readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME } from '../helpers/runtime.js';
import { removeScratchDirs, scratchDir } from '../helpers/scratch.js';
import { binaryPoem, expectSameBytes } from '../helpers/server-memory.js';
import { runServer, startServer, stopServersAndReaders } from '../helpers/server-process.js';
import { connectRaw, readPoem } from '../helpers/server-reader.js';

const ODE = fileURLToPath(new URL('../fixtures/server/multibyte-ode.txt', import.meta.url));
const ODE_BYTES = readFileSync(ODE);
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

let dir: string;
const listeners = new Set<net.Server>();

/** 16 MiB: over the in-memory limit, so it is streamed from disk, and more than sockets buffer. */
let longPoem: string;

beforeAll(async () => {
  dir = await scratchDir('poetry-server-cli-');
  longPoem = join(dir, 'long.bin');
  await writeFile(longPoem, binaryPoem(16 << 20, 3));
});

afterEach(async () => {
  await stopServersAndReaders();
  for (const listener of listeners) listener.close();
  listeners.clear();
});

afterAll(removeScratchDirs);

/** Holds a port on 127.0.0.1 for the length of the test. */
function holdPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const listener = net.createServer();
    listeners.add(listener);
    listener.once('error', reject);
    listener.listen(0, '127.0.0.1', () => resolve((listener.address() as net.AddressInfo).port));
  });
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const listener = net.createServer();
    listener.once('error', () => resolve(false));
    listener.listen(port, '127.0.0.1', () => listener.close(() => resolve(true)));
  });
}

describe('poetry-server --help and --version', () => {
  it('prints every option and exits 0 on --help', async () => {
    const result = await runServer(['--help']);
    expect(result.code).toBe(0);
    for (const option of [
      '--port',
      '--iface',
      '--delay',
      '--num-bytes',
      '--max-connections',
      '--backlog',
      '--quiet',
      '--version',
      'somaxconn',
    ]) {
      expect(result.stdout).toContain(option);
    }
  });

  it('prints the version and exits 0 on --version', async () => {
    const result = await runServer(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: VERSION });
  });
});

describe('poetry-server refuses bad input with one line and status 2', () => {
  const cases: [string, () => Promise<string[]>, RegExp][] = [
    ['a missing file', async () => [join(dir, 'nope.txt')], /no such file: .*nope\.txt/],
    [
      'a directory',
      async () => {
        const path = join(dir, 'a-directory');
        await mkdir(path, { recursive: true });
        return [path];
      },
      /a-directory is a directory, not a poem/,
    ],
    ['no FILE at all', async () => [], /missing required argument 'FILE'/],
    ['two files', async () => [ODE, ODE], /too many arguments/],
    [
      '--num-bytes 0',
      async () => ['--num-bytes', '0', ODE],
      /--num-bytes.*expected a whole number >= 1, got '0'/,
    ],
    ['--num-bytes -5', async () => ['--num-bytes', '-5', ODE], /--num-bytes.*'-5'/],
    ['--num-bytes 2.5', async () => ['--num-bytes', '2.5', ODE], /--num-bytes.*'2\.5'/],
    [
      '--delay -1',
      async () => ['--delay', '-1', ODE],
      /--delay.*expected a number of seconds >= 0, got '-1'/,
    ],
    ['--delay soon', async () => ['--delay', 'soon', ODE], /--delay.*'soon'/],
    ['--port 65536', async () => ['--port', '65536', ODE], /--port.*from 0 to 65535, got '65536'/],
    ['--port -1', async () => ['--port', '-1', ODE], /--port.*'-1'/],
    ['--port http', async () => ['--port', 'http', ODE], /--port.*'http'/],
    ['--max-connections 0', async () => ['--max-connections', '0', ODE], /--max-connections/],
    ['--backlog none', async () => ['--backlog', 'none', ODE], /--backlog/],
    ['an unknown option', async () => ['--slowly', ODE], /unknown option '--slowly'/],
  ];

  it.each(cases)('%s', async (_name, makeArgs, message) => {
    const result = await runServer(await makeArgs());
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^poetry-server: /);
    expect(lines[0]).toMatch(message);
    expect(lines[1]).toBe("(see 'poetry-server --help')");
  });

  it('an unreadable file', async () => {
    const path = join(dir, 'secret.txt');
    await writeFile(path, 'not for you');
    await chmod(path, 0o000);
    const result = await runServer([path], { obeyFilePermissions: true });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `poetry-server: cannot read ${path}: permission denied\n(see 'poetry-server --help')\n`,
    );
  });
});

describe('poetry-server cannot listen: one line naming the address and status 1', () => {
  it('reports a port already in use', async () => {
    const port = await holdPort();
    const result = await runServer(['--iface', '127.0.0.1', '--port', String(port), ODE]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `poetry-server: 127.0.0.1:${port}: cannot listen: address already in use\n`,
    );
  });

  it('reports an interface this machine does not have', async () => {
    // 192.0.2.0/24 is TEST-NET-1: never assigned to a real interface, and no DNS lookup.
    const result = await runServer(['--iface', '192.0.2.1', ODE]);
    expect(result.code).toBe(1);
    // Deno 2's node:net reports this bind failure (EADDRNOTAVAIL) as EINVAL, so the reason
    // differs there; the line, its address and the status do not.
    expect(result.stderr).toBe(
      RUNTIME.name === 'deno'
        ? 'poetry-server: 192.0.2.1:0: cannot listen: listen EINVAL: invalid argument 192.0.2.1\n'
        : 'poetry-server: 192.0.2.1:0: cannot listen: address not available on this machine\n',
    );
  });
});

describe('poetry-server stops on SIGTERM or Ctrl-C', () => {
  it('lets readers in flight finish, exits 0, and frees the port at once', async () => {
    const server = await startServer(['--delay', '0.5', '--num-bytes', '10', ODE]);
    const readers = [1, 2, 3].map(() => readPoem(server.host, server.port));
    await server.waitForLines((line) => line.endsWith(' connected'), 3);

    server.signal('SIGTERM');
    const results = await Promise.all(readers);
    for (const result of results) {
      // Paced at 10 bytes every 0.5 s, the poem would take 24 s: the rest went at once.
      expectSameBytes(result.data, ODE_BYTES);
      expect(result.clean).toBe(true);
    }
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.lines).toContain('stopping: 3 readers in flight get 2 s to finish');
    expect(server.lines.at(-1)).toBe('stopped');
    expect(server.stderr).toBe('');
    expect(await canBind(server.port)).toBe(true);
  });

  it('stops accepting at once and cuts a reader still reading after the grace period', async () => {
    const server = await startServer(['--delay', '0', '--grace', '1', longPoem]);
    const stuck = await connectRaw(server.host, server.port);
    stuck.pause(); // takes nothing: the server's buffers fill and it must wait
    await server.waitForLine((line) => line.endsWith(' connected'));

    server.signal('SIGTERM');
    await server.waitForLine((line) => line.startsWith('stopping: 1 reader in flight'));
    const refused = await readPoem(server.host, server.port).catch((error: Error) => error);
    expect(refused).toMatchObject({ error: { code: 'ECONNREFUSED' } });

    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.lines).toContain('cutting 1 reader still reading');
    expect(
      server.lines.some((line) =>
        /cut after \d+ of 16777216 bytes: still reading after the 1 s grace period/.test(line),
      ),
    ).toBe(true);
    // What reached the reader before the cut is short of the poem, however the reset shows.
    let received = 0;
    const ended = new Promise<void>((resolve) => {
      stuck.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      for (const event of ['end', 'error', 'close']) stuck.once(event, () => resolve());
    });
    stuck.resume();
    await ended;
    expect(received).toBeLessThan(16 << 20);
  });

  it('cuts readers at once on a second Ctrl-C', async () => {
    const server = await startServer(['--delay', '0', '--grace', '30', longPoem]);
    const stuck = await connectRaw(server.host, server.port);
    stuck.pause();
    await server.waitForLine((line) => line.endsWith(' connected'));
    server.signal('SIGINT');
    await server.waitForLine((line) => line.startsWith('stopping: 1 reader in flight get 30 s'));
    server.signal('SIGINT');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.lines.some((line) => line.endsWith('server stopped'))).toBe(true);
  });

  it('keeps serving after whoever read its first line closed the pipe', async () => {
    // As in `PORT=$(poetry-server FILE | head -1 | ...)`: later log lines meet a closed pipe.
    const server = await startServer(['--delay', '0', ODE]);
    server.child.stdout!.destroy();
    for (let i = 0; i < 3; i++) {
      const result = await readPoem(server.host, server.port);
      expectSameBytes(result.data, ODE_BYTES);
    }
    server.signal('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stderr).toBe('');
  });

  it('exits 0 at once on SIGTERM when no reader is connected', async () => {
    const server = await startServer([ODE]);
    server.signal('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.lines).toEqual([`Serving ${ODE} on 127.0.0.1:${server.port}`, 'stopped']);
  });
});
