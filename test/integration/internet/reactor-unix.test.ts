// The reactor over UNIX sockets in a scratch directory: refused paths, the socket file's life
// (stale files replaced, a live one in use, ours removed on stop), and how a stream's end reads.

import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UNIX_PATH_MAX_BYTES } from '../../../src/internet/address.js';
import {
  AddressInUseError,
  CannotListenError,
  ConnectError,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
} from '../../../src/internet/errors.js';
import { Reactor } from '../../../src/internet/reactor.js';
import { greeting, OutcomeFactory } from '../../helpers/outcome.js';
import { removeScratchDirs, scratchDir } from '../../helpers/scratch.js';

const POEM = 'A poem through a file that is not a file.\n';

let reactor: Reactor;
let dir: string;
const servers: net.Server[] = [];

beforeEach(async () => {
  dir = await scratchDir('poetry-unix-');
  reactor = new Reactor();
  void reactor.run();
});

afterEach(async () => {
  if (reactor.running) reactor.stop();
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

afterAll(removeScratchDirs);

async function fetchUNIX(path: string) {
  const factory = new OutcomeFactory();
  reactor.connectUNIX(path, factory);
  const outcome = await factory.outcome;
  return { ...outcome, text: factory.text() };
}

/**
 * Leaves a socket file that nothing listens on, as a server killed before it could remove it
 * does: a child process listens on `path` and is killed.
 */
async function staleSocketFile(path: string): Promise<void> {
  const script = `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
  await promisify(execFile)(process.execPath, ['-e', script], { timeout: 10_000 }).catch(
    () => undefined,
  );
  expect(existsSync(path)).toBe(true);
}

/**
 * A path in `dir` longer than a socket address holds here, and the paths Node could cut it to:
 * the documented limit (107 bytes on Linux), and the whole of Linux's sun_path (108), which
 * Node 20 fills.
 */
function tooLongPath(): { path: string; cuts: string[] } {
  const path = join(dir, `${'p'.repeat(Math.max(0, 130 - dir.length))}.sock`);
  const cut = (bytes: number) => Buffer.from(path).subarray(0, bytes).toString();
  return { path, cuts: [cut(UNIX_PATH_MAX_BYTES), cut(UNIX_PATH_MAX_BYTES + 1)] };
}

describe('connectUNIX', () => {
  it('fetches from a UNIX port, whose address is its path and port 0', async () => {
    const path = join(dir, 'poems.sock');
    const port = await reactor.listenUNIX(path, greeting(POEM));
    expect(port.getHost()).toEqual({ host: path, port: 0 });
    const { reason, text } = await fetchUNIX(path);
    expect(text).toBe(POEM);
    expect(reason).toBeInstanceOf(ConnectionDone);
  });

  it('reports ConnectionRefusedError, naming the path, when there is no socket file', async () => {
    const path = join(dir, 'missing.sock');
    const { kind, reason } = await fetchUNIX(path);
    expect(kind).toBe('failed');
    expect(reason).toBeInstanceOf(ConnectionRefusedError);
    expect(reason).toMatchObject({
      code: 'ERR_CONNECTION_REFUSED',
      address: path,
      cause: { code: 'ENOENT' },
    });
    expect(reason.message).toContain(path);
  });

  it('reports ConnectionRefusedError, naming the path, when nothing listens on the socket file', async () => {
    const path = join(dir, 'stale.sock');
    await staleSocketFile(path);
    const { reason } = await fetchUNIX(path);
    expect(reason).toBeInstanceOf(ConnectionRefusedError);
    expect(reason).toMatchObject({ address: path, cause: { code: 'ECONNREFUSED' } });
  });

  it('reports a ConnectError naming the path, and reaches nothing, when the path is too long for a socket address', async () => {
    const { path, cuts } = tooLongPath();
    // What a path cut short would reach instead.
    let accepted = 0;
    for (const cut of cuts) {
      const other = net.createServer((socket) => socket.end('not this one'));
      servers.push(other);
      other.listen(cut);
      await once(other, 'listening');
      other.on('connection', () => accepted++);
    }
    const { kind, reason } = await fetchUNIX(path);
    expect(kind).toBe('failed');
    expect(reason).toBeInstanceOf(ConnectError);
    expect(reason).toMatchObject({ code: 'ERR_CONNECT', address: path });
    expect(String((reason as Error).message)).toMatch(/path too long/);
    expect(accepted).toBe(0);
  });

  it('names the connection with the caller’s address label', async () => {
    const path = join(dir, 'missing.sock');
    const factory = new OutcomeFactory();
    reactor.connectUNIX(path, factory, { address: `unix:${path}` });
    const { reason } = await factory.outcome;
    expect(reason).toMatchObject({ address: `unix:${path}` });
  });
});

describe('listenUNIX', () => {
  it('replaces a stale socket file that nothing answers on', async () => {
    const path = join(dir, 'stale.sock');
    await staleSocketFile(path);
    await reactor.listenUNIX(path, greeting(POEM));
    expect((await fetchUNIX(path)).text).toBe(POEM);
  });

  it('rejects with AddressInUseError when a server answers on the path, and leaves that server serving', async () => {
    const path = join(dir, 'busy.sock');
    const other = net.createServer((socket) => {
      // listenUNIX's knock leaves without reading: Linux reports that as a reset here.
      socket.on('error', () => {});
      socket.end(POEM);
    });
    servers.push(other);
    other.listen(path);
    await once(other, 'listening');
    const attempt = reactor.listenUNIX(path, greeting('not this one'));
    await expect(attempt).rejects.toBeInstanceOf(AddressInUseError);
    await expect(attempt).rejects.toBeInstanceOf(CannotListenError);
    await expect(attempt).rejects.toMatchObject({ code: 'ERR_ADDRESS_IN_USE', address: path });
    expect((await fetchUNIX(path)).text).toBe(POEM);
  });

  it('rejects with CannotListenError, and leaves the file, when what is at the path is not a socket', async () => {
    const path = join(dir, 'poem.txt');
    await writeFile(path, POEM);
    const attempt = reactor.listenUNIX(path, greeting(POEM));
    await expect(attempt).rejects.toBeInstanceOf(CannotListenError);
    await expect(attempt).rejects.not.toBeInstanceOf(AddressInUseError);
    expect(existsSync(path)).toBe(true);
  });

  it('rejects with CannotListenError, and makes no file, when the path is too long for a socket address', async () => {
    const { path } = tooLongPath();
    const attempt = reactor.listenUNIX(path, greeting(POEM));
    await expect(attempt).rejects.toBeInstanceOf(CannotListenError);
    await expect(attempt).rejects.toMatchObject({
      code: 'ERR_CANNOT_LISTEN',
      address: path,
      message: expect.stringMatching(/path too long/),
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('rejects with CannotListenError saying the directory is missing, not that permission is denied', async () => {
    const path = join(dir, 'missing', 'poems.sock');
    const attempt = reactor.listenUNIX(path, greeting(POEM));
    await expect(attempt).rejects.toBeInstanceOf(CannotListenError);
    await expect(attempt).rejects.toMatchObject({
      address: path,
      message: expect.stringMatching(/no such directory/),
    });
  });

  it('removes the socket file when the port stops listening, and when the reactor stops', async () => {
    const first = join(dir, 'first.sock');
    const second = join(dir, 'second.sock');
    const port = await reactor.listenUNIX(first, greeting(POEM));
    await reactor.listenUNIX(second, greeting(POEM));
    expect(existsSync(first) && existsSync(second)).toBe(true);
    await port.stopListening();
    expect(existsSync(first)).toBe(false);
    reactor.stop();
    expect(existsSync(second)).toBe(false);
  });
});

describe('the end of a UNIX stream', () => {
  it('is clean when the peer shuts its side down and closes after ours', async () => {
    const path = join(dir, 'clean.sock');
    const other = net.createServer({ allowHalfOpen: false }, (socket) => socket.end(POEM));
    servers.push(other);
    other.listen(path);
    await once(other, 'listening');
    const { reason, text } = await fetchUNIX(path);
    expect(text).toBe(POEM);
    expect(reason).toBeInstanceOf(ConnectionDone);
  });

  it('is clean when the peer writes and closes its socket at once, as most servers do: a UNIX socket has no reset', async () => {
    const path = join(dir, 'abrupt.sock');
    const other = net.createServer((socket) => {
      socket.write(POEM, () => socket.destroy());
    });
    servers.push(other);
    other.listen(path);
    await once(other, 'listening');
    const { reason, text } = await fetchUNIX(path);
    expect(text).toBe(POEM);
    expect(reason).toBeInstanceOf(ConnectionDone);
  });

  it('is lost when a write of ours finds the peer gone', async () => {
    const path = join(dir, 'gone.sock');
    const other = net.createServer((socket) => socket.destroy());
    servers.push(other);
    other.listen(path);
    await once(other, 'listening');
    const factory = new OutcomeFactory();
    reactor.connectUNIX(path, factory);
    // Past what the socket pair holds, so the write meets the closed end.
    (await factory.made).write(Buffer.alloc(4 * 1024 * 1024));
    expect((await factory.outcome).reason).toBeInstanceOf(ConnectionLost);
  });
});
