// The built commands over TLS and UNIX sockets, as a user types them: tls: and unix: addresses in
// arguments and lists, --ca and --insecure, --tls-cert/--tls-key and --unix, their usage errors
// (status 2, one line), a socket path in use (status 1), and the address as given everywhere.

import { existsSync, readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestCerts, testCerts } from '../helpers/certs.js';
import { destroyEndpointSockets, readFrom, startServing } from '../helpers/endpoints.js';
import { killRunningClis, runCli } from '../helpers/run-cli.js';
import { removeScratchDirs, scratchDir } from '../helpers/scratch.js';
import { runServer, ServerProcess, stopServersAndReaders } from '../helpers/server-process.js';

const ODE = fileURLToPath(new URL('../fixtures/server/multibyte-ode.txt', import.meta.url));
const ODE_BYTES = readFileSync(ODE);

let certs: TestCerts;
let dir: string;
let sockets = 0;
const pem = (name: string): string => join(certs.dir, name);

beforeAll(async () => {
  certs = await testCerts();
  dir = await scratchDir('endpoints-cli-');
});

afterEach(async () => {
  killRunningClis();
  destroyEndpointSockets();
  await stopServersAndReaders();
});

afterAll(removeScratchDirs);

const socketPath = (): string => join(dir, `p${++sockets}.sock`);

function startTlsServer(extra: string[] = []) {
  return startServing([
    '--iface',
    '127.0.0.1',
    '--delay',
    '0',
    '--quiet',
    '--tls-cert',
    pem('server.pem'),
    '--tls-key',
    pem('server.key'),
    ...extra,
    ODE,
  ]);
}

/** The summary's lines and stderr as text, for the one-line checks. */
const stderrLines = (stderr: string): string[] => stderr.split('\n').filter((line) => line !== '');

describe('get-poetry and poetry-server over TLS', () => {
  it('serves on tls:HOST:PORT and fetches the poem byte for byte with --ca, by IP, name and bare port', async () => {
    const server = await startTlsServer();
    expect(server.address).toMatch(/^tls:127\.0\.0\.1:\d+$/);
    expect(server.lines[0]).toBe(`Serving ${ODE} on ${server.address}`);
    const port = server.address.split(':').at(-1)!;
    for (const address of [server.address, `tls:localhost:${port}`, `tls:${port}`]) {
      const result = await runCli('get-poetry', ['--ca', pem('ca.pem'), address]);
      expect(result.status).toBe(0);
      expect(Buffer.compare(result.stdout, ODE_BYTES)).toBe(0);
    }
  });

  it('refuses a server its CAs do not vouch for, naming the address, and exits 1', async () => {
    const server = await startTlsServer();
    const result = await runCli('get-poetry', [server.address]);
    expect(result.status).toBe(1);
    expect(result.stdout.length).toBe(0);
    expect(result.stderr).toContain(`1 failed:\n  ${server.address}: `);
    expect(result.stderr).toMatch(/certificate/);
  });

  it('fetches from any server with --insecure, after one warning line', async () => {
    const server = await startTlsServer();
    const result = await runCli('get-poetry', ['--insecure', server.address]);
    expect(result.status).toBe(0);
    expect(Buffer.compare(result.stdout, ODE_BYTES)).toBe(0);
    const warnings = stderrLines(result.stderr).filter((line) => line.includes('warning'));
    expect(warnings).toEqual([expect.stringContaining('--insecure')]);
  });

  it('says a silent plain TCP address may be a TLS server, and the tls: address it names works', async () => {
    const server = await startTlsServer();
    const plain = server.address.slice('tls:'.length);
    const result = await runCli('get-poetry', ['--idle-timeout', '0.3', plain]);
    expect(result.status).toBe(1);
    expect(stderrLines(result.stderr).slice(-2)).toEqual([
      `  ${plain}: no data for 0.3 s`,
      `hint: ${plain} sent not a byte; if it is a TLS server (one waits for its client to speak first), fetch ${server.address}`,
    ]);
    const retried = await runCli('get-poetry', ['--ca', pem('ca.pem'), server.address]);
    expect(retried.status).toBe(0);
    expect(Buffer.compare(retried.stdout, ODE_BYTES)).toBe(0);
  });

  it('takes a --ca bundle of several certificates', async () => {
    const server = await startTlsServer();
    const bundle = join(dir, 'bundle.pem');
    await writeFile(bundle, `${certs.selfSigned.cert}\n${certs.ca}`);
    const result = await runCli('get-poetry', ['--ca', bundle, server.address]);
    expect(result.status).toBe(0);
  });
});

describe('get-poetry and poetry-server on a UNIX socket', () => {
  it('serves on unix:PATH, fetches byte for byte, and removes the socket file on SIGTERM', async () => {
    const path = socketPath();
    const server = await startServing(['--unix', path, '--delay', '0', ODE]);
    expect(server.lines[0]).toBe(`Serving ${ODE} on unix:${path}`);
    expect(server.address).toBe(`unix:${path}`);
    const result = await runCli('get-poetry', [`unix:${path}`]);
    expect(result.status).toBe(0);
    expect(Buffer.compare(result.stdout, ODE_BYTES)).toBe(0);
    server.signal('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a path another server answers on: one line naming it, status 1', async () => {
    const path = socketPath();
    await startServing(['--unix', path, '--delay', '0', '--quiet', ODE]);
    const second = await runServer(['--unix', path, ODE]);
    expect(second.code).toBe(1);
    expect(second.stdout).toBe('');
    expect(stderrLines(second.stderr)).toEqual([expect.stringContaining(path)]);
    expect(second.stderr).toMatch(/in use/);
    // The first still serves.
    const result = await readFrom({ endpoint: { transport: 'unix', path } });
    expect(Buffer.compare(result.data, ODE_BYTES)).toBe(0);
  });

  it('refuses a socket path too long for a socket address: one line naming it, status 1, no file made', async () => {
    const path = join(dir, `${'p'.repeat(140)}.sock`);
    const server = await runServer(['--unix', path, ODE]);
    expect(server.code).toBe(1);
    expect(server.stdout).toBe('');
    expect(stderrLines(server.stderr)).toEqual([
      expect.stringMatching(
        /^poetry-server: .*\.sock: cannot listen: socket path too long: \d+ bytes/,
      ),
    ]);
    const client = await runCli('get-poetry', [`unix:${path}`]);
    expect(client.status).toBe(1);
    expect(client.stderr).toContain(`unix:${path}: socket path too long`);
    expect(await readdir(dir)).not.toContainEqual(expect.stringMatching(/^ppp/));
  });

  it('replaces a stale socket file that nothing answers on', async () => {
    const path = socketPath();
    const first = await startServing(['--unix', path, ODE]);
    first.signal('SIGKILL');
    await first.exited;
    expect(existsSync(path)).toBe(true);
    const second = await startServing(['--unix', path, '--delay', '0', ODE]);
    expect(second.address).toBe(`unix:${path}`);
    const result = await runCli('get-poetry', [`unix:${path}`]);
    expect(result.status).toBe(0);
  });

  it('fails a path nobody listens on as a refused connection, naming the path', async () => {
    const path = join(dir, 'nobody.sock');
    const result = await runCli('get-poetry', [`unix:${path}`]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`1 failed:\n  unix:${path}: connection refused`);
  });
});

describe('the address as given, on every transport', () => {
  it('names each fetch by its address in --json, --jsonl, --output and --from lists', async () => {
    const tls = await startTlsServer();
    const path = socketPath();
    await startServing(['--unix', path, '--delay', '0', '--quiet', ODE]);
    const list = join(dir, 'list.txt');
    await writeFile(list, `# both transports\n${tls.address}\nunix:${path}  # the socket\n`);
    const out = join(dir, 'out');

    const json = await runCli('get-poetry', ['--ca', pem('ca.pem'), '--json', '--from', list]);
    expect(json.status).toBe(0);
    const document = JSON.parse(json.stdout.toString()) as { poems: { address: string }[] };
    expect(document.poems.map((poem) => poem.address)).toEqual([tls.address, `unix:${path}`]);

    const jsonl = await runCli('get-poetry', [
      '--ca',
      pem('ca.pem'),
      '--jsonl',
      '--output',
      out,
      tls.address,
      `unix:${path}`,
    ]);
    expect(jsonl.status).toBe(0);
    const records = jsonl.stdout
      .toString()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { address?: string; file?: string });
    const byAddress = Object.fromEntries(
      records.filter((r) => r.address !== undefined).map((r) => [r.address, r.file]),
    );
    expect(Object.keys(byAddress).sort()).toEqual([tls.address, `unix:${path}`].sort());
    const files = (await readdir(out)).sort();
    expect(files).toEqual([
      `001-127.0.0.1-${tls.address.split(':').at(-1)}.txt`,
      `002-unix-${path.replace(/[^A-Za-z0-9.-]/g, '_')}.txt`,
    ]);
    for (const file of files)
      expect(Buffer.compare(readFileSync(join(out, file)), ODE_BYTES)).toBe(0);
  });
});

describe('usage errors: one line, status 2, nothing served or fetched', () => {
  it.each([
    [
      'a --tls-cert without --tls-key',
      () => ['--tls-cert', pem('server.pem'), ODE],
      '--tls-cert needs --tls-key',
    ],
    [
      'a --tls-key without --tls-cert',
      () => ['--tls-key', pem('server.key'), ODE],
      '--tls-key needs --tls-cert',
    ],
    [
      'a missing certificate file',
      () => ['--tls-cert', join(dir, 'none.pem'), '--tls-key', pem('server.key'), ODE],
      'cannot read it',
    ],
    [
      'a certificate file that is not PEM',
      () => ['--tls-cert', ODE, '--tls-key', pem('server.key'), ODE],
      'no PEM certificate',
    ],
    [
      'a key that is not PEM',
      () => ['--tls-cert', pem('server.pem'), '--tls-key', ODE, ODE],
      'not a PEM private key',
    ],
    [
      'a key that is not the certificate’s',
      () => ['--tls-cert', pem('server.pem'), '--tls-key', pem('other-name.key'), ODE],
      'is not the key of the certificate',
    ],
    ['--unix with --port', () => ['--unix', socketPath(), '--port', '7', ODE], '--unix'],
    [
      '--unix with --tls-cert',
      () => [
        '--unix',
        socketPath(),
        '--tls-cert',
        pem('server.pem'),
        '--tls-key',
        pem('server.key'),
        ODE,
      ],
      '--unix',
    ],
  ])('poetry-server refuses %s', async (_name, args, message) => {
    const result = await runServer(args());
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = stderrLines(result.stderr);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(message);
    expect(lines[1]).toBe("(see 'poetry-server --help')");
  });

  it.each([
    ['a missing --ca file', () => ['--ca', join(dir, 'none.pem'), 'tls:1'], 'cannot read it'],
    ['a --ca file that is not PEM', () => ['--ca', ODE, 'tls:1'], 'no PEM certificate'],
    ['--ca with --insecure', () => ['--ca', pem('ca.pem'), '--insecure', 'tls:1'], '--insecure'],
    ['an empty unix: path', () => ['unix:'], "missing the socket's path"],
    ['a misspelt transport', () => ['tsl:localhost:1'], "unknown transport 'tsl:'"],
  ])('get-poetry refuses %s', async (_name, args, message) => {
    const result = await runCli('get-poetry', args());
    expect(result.status).toBe(2);
    expect(result.stdout.length).toBe(0);
    const lines = stderrLines(result.stderr);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(message);
    expect(lines[1]).toBe("(see 'get-poetry --help')");
  });

  it('documents the transports in both commands’ --help', async () => {
    const client = await runCli('get-poetry', ['--help']);
    expect(client.stdout.toString()).toContain('tls:HOST:PORT');
    const server = new ServerProcess(['--help']);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const help = server.lines.join('\n');
    for (const option of ['--tls-cert', '--tls-key', '--unix', 'tls:HOST:PORT', 'unix:PATH']) {
      expect(help).toContain(option);
    }
  });
});
