// The get-poetry command's options and its run, on the fake reactor with fake terminals.

import { EventEmitter } from 'node:events';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/command.js';
import {
  addressesToFetch,
  getPoetryProgram,
  parseAddressArguments,
} from '../../../src/cli/get-poetry-program.js';
import {
  type CommandIO,
  type OutputStream,
  runGetPoetry,
} from '../../../src/cli/get-poetry-run.js';
import { ConnectionDone, ConnectionRefusedError } from '../../../src/internet/errors.js';
import type { Address } from '../../../src/internet/interfaces.js';
import { DEFAULT_CONNECT_TIMEOUT_SECONDS } from '../../../src/internet/reactor.js';
import type { PoetryProtocol } from '../../../src/poetry/client.js';
import { type MemoryConnector, MemoryReactor } from '../../../src/testing/index.js';
// The command imports it only when it shows progress; loaded here, that import is instant.
import '../../../src/cli/progress.js';
import '../../../src/cli/progress-counts.js';
import { parse, parseError } from '../../helpers/parse-options.js';

class FakeStream extends EventEmitter implements OutputStream {
  readonly chunks: Buffer[] = [];
  isTTY: boolean;
  columns = 80;
  rows = 24;
  writableNeedDrain = false;
  constructor(isTTY = false) {
    super();
    this.isTTY = isTTY;
  }
  write(chunk: string | Uint8Array): boolean {
    this.chunks.push(Buffer.from(chunk));
    return true;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

function fakeIO(tty = false, stdin?: AsyncIterable<Buffer | string>) {
  const reactor = new MemoryReactor();
  const stdout = new FakeStream(tty);
  const stderr = new FakeStream(tty);
  const interrupts: (() => void)[] = [];
  const exits: number[] = [];
  const io: CommandIO = {
    stdout,
    stderr,
    ...(stdin === undefined ? {} : { stdin }),
    env: {},
    reactor,
    onInterrupt(handler) {
      interrupts.push(handler);
      return () => interrupts.splice(interrupts.indexOf(handler), 1);
    },
    exit(status): never {
      exits.push(status);
      throw new Error(`exit ${status}`);
    },
  };
  return { io, reactor, stdout, stderr, interrupts, exits };
}

function serve(connector: MemoryConnector, poem: string, chunkSize = poem.length): void {
  const protocol = connector.accept() as PoetryProtocol;
  const bytes = Buffer.from(poem);
  for (let i = 0; i < bytes.length; i += chunkSize) {
    protocol.dataReceived(bytes.subarray(i, i + chunkSize));
  }
  connector.lose(new ConnectionDone('connection closed cleanly'));
}

/**
 * The first connection attempt, once the command has made it: for a terminal it loads the
 * progress display first (already loaded above, so that takes a few turns of the event loop).
 * No clock time passes.
 */
async function firstConnection(reactor: MemoryReactor): Promise<MemoryConnector> {
  for (let turn = 0; turn < 1000; turn++) {
    const connector = reactor.tcpClients[0];
    if (connector !== undefined) return connector;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('get-poetry made no connection attempt');
}

const addresses = (...ports: number[]): Address[] =>
  ports.map((port) => ({ host: '127.0.0.1', port }));

describe('get-poetry options', () => {
  it('defaults to the reactor’s connect timeout, 60 s idle, no total, 512 at once', () => {
    expect(parse(['10000'])).toMatchObject({
      connectTimeout: DEFAULT_CONNECT_TIMEOUT_SECONDS,
      idleTimeout: 60,
      timeout: 0,
      concurrency: 512,
      progress: true,
    });
  });

  it('parses every option', () => {
    const options = parse([
      '--connect-timeout',
      '1.5',
      '--idle-timeout',
      '0',
      '--timeout',
      '9',
      '--max-bytes',
      '100',
      '--concurrency',
      '3',
      '--retries',
      '2',
      '--retry-delay',
      '0.25',
      '--retry-max-delay',
      '3',
      '--verbose',
      '--raw',
      '--no-progress',
      '--json',
      '--output',
      'dir',
      '10000',
    ]);
    expect(options).toEqual({
      connectTimeout: 1.5,
      idleTimeout: 0,
      timeout: 9,
      maxBytes: 100,
      concurrency: 3,
      retries: 2,
      retryDelay: 0.25,
      retryMaxDelay: 3,
      verbose: true,
      raw: true,
      progress: false,
      json: true,
      output: 'dir',
    });
  });

  it('turns a malformed address into a usage error naming it', () => {
    expect(parseAddressArguments(['10000', '[::1]:7'])).toEqual([
      { host: 'localhost', port: 10000 },
      { host: '::1', port: 7 },
    ]);
    expect(() => parseAddressArguments(['10000', '1e4'])).toThrow(UsageError);
    expect(() => parseAddressArguments(['1e4'])).toThrow(/"1e4"/);
  });

  it.each([
    '',
    '0x2711',
    '1e4',
    ' 1',
    '0',
    '65536',
    'localhost:',
    ':1',
    '::1:10000',
    '[::1]',
    'host:port',
  ])('refuses the address %j with a usage error that names it', (argument) => {
    expect(() => parseAddressArguments(['10000', argument])).toThrow(UsageError);
    expect(() => parseAddressArguments(['10000', argument])).toThrow(
      `invalid address ${JSON.stringify(argument)}`,
    );
  });

  it.each([
    ['--timeout', '-1'],
    ['--idle-timeout', 'NaN'],
    ['--concurrency', '0'],
    ['--max-bytes', '1e6'],
  ])('refuses %s %s with a usage error that names the option', (option, value) => {
    const error = parseError([option, value, '10000']);
    expect(error).toBeInstanceOf(CommanderError);
    expect(error.exitCode).not.toBe(0);
    expect(error.message).toContain(option);
  });

  it('refuses to run without an address or a --from list', () => {
    expect(() => addressesToFetch([], parse([]))).toThrow(UsageError);
    expect(() => addressesToFetch([], parse([]))).toThrow("missing required argument 'address'");
    expect(addressesToFetch([], parse(['--from', 'list.txt']))).toEqual([]);
    expect(addressesToFetch(['7'], parse(['--from', '-', '7']))).toEqual([
      { host: 'localhost', port: 7 },
    ]);
  });

  it('refuses --timeline-title without a timeline to title', () => {
    expect(() => addressesToFetch(['7'], parse(['--timeline-title', 'one', '7']))).toThrow(
      "option '--timeline-title' needs '--timeline' or '--timeline-append'",
    );
    for (const drawn of [
      ['--timeline', 't.svg'],
      ['--timeline-append', 't.html'],
    ]) {
      const args = [...drawn, '--timeline-title', 'one', '7'];
      expect(addressesToFetch(['7'], parse(args))).toEqual([{ host: 'localhost', port: 7 }]);
    }
  });

  it('lists its usage in --help', () => {
    expect(getPoetryProgram().helpInformation()).toContain(
      'Usage: get-poetry [options] [address...]',
    );
  });

  it('says in --help which outputs keep every result and documents --from and --jsonl', () => {
    const help = getPoetryProgram().helpInformation().replace(/\s+/g, ' ');
    expect(help).toContain('--from <file>');
    expect(help).toContain('--jsonl');
    expect(help).toContain('(keeps all until the end)');
    expect(help).toContain('(keeps none)');
    let after = '';
    const program = getPoetryProgram().configureOutput({ writeOut: (text) => (after += text) });
    program.outputHelp();
    expect(after).toContain('keep every result until then');
    expect(after).toContain('FILE:LINE');
    expect(after).toContain('exits 141');
  });

  it('takes tls:, tcp: and unix: addresses beside the plain forms', () => {
    expect(parseAddressArguments(['tls:10443', 'tcp:[::1]:7', 'unix:/tmp/p.sock'])).toEqual([
      { transport: 'tls', host: 'localhost', port: 10443 },
      { host: '::1', port: 7 },
      { transport: 'unix', path: '/tmp/p.sock' },
    ]);
    expect(() => parseAddressArguments(['tls:'])).toThrow(UsageError);
    expect(() => parseAddressArguments(['unix:'])).toThrow('invalid address "unix:"');
  });

  it('takes --ca FILE and --insecure, but not both', () => {
    expect(parse(['--ca', 'ca.pem', 'tls:1']).ca).toBe('ca.pem');
    expect(parse(['--insecure', 'tls:1']).insecure).toBe(true);
    expect(parse(['tls:1']).insecure).toBeUndefined();
    const error = parseError(['--insecure', '--ca', 'ca.pem', 'tls:1']);
    expect(error.message).toContain('--insecure');
    expect(error.message).toContain('--ca');
  });

  it('documents the three transports, --ca and --insecure in --help', () => {
    let help = '';
    const program = getPoetryProgram().configureOutput({ writeOut: (text) => (help += text) });
    program.outputHelp();
    help = help.replace(/\s+/g, ' ');
    expect(help).toContain('tls:HOST:PORT');
    expect(help).toContain('unix:PATH');
    expect(help).toContain('--ca <file>');
    expect(help).toContain('--insecure');
  });

  it('refuses --jsonl with --json or --quiet', () => {
    expect(parseError(['--jsonl', '--json', '1']).message).toContain('--jsonl');
    expect(parseError(['--jsonl', '--quiet', '1']).message).toContain('--jsonl');
  });
});

describe('runGetPoetry', () => {
  it('prints the poems, a summary, and exits 0 when every address gave a poem', async () => {
    const { io, reactor, stdout, stderr } = fakeIO();
    const run = runGetPoetry(addresses(1, 2), parse(['1']), io);
    serve(reactor.tcpClients[1]!, 'two\n');
    serve(reactor.tcpClients[0]!, 'one\n');
    expect(await run).toBe(0);
    expect(stdout.text()).toBe(
      '==> Task 1: 127.0.0.1:1 <==\none\n\n==> Task 2: 127.0.0.1:2 <==\ntwo\n',
    );
    expect(stderr.text()).toMatch(/^Got 2 poems \(8 bytes\) in 0\.000 s\.\n$/);
  });

  it('exits 1 when any address failed', async () => {
    const { io, reactor, stderr } = fakeIO();
    const run = runGetPoetry(addresses(1, 2), parse(['1']), io);
    serve(reactor.tcpClients[0]!, 'one\n');
    reactor.tcpClients[1]!.fail(
      new ConnectionRefusedError('connection refused', { address: '127.0.0.1:2' }),
    );
    expect(await run).toBe(1);
    expect(stderr.text()).toContain('1 failed:\n  127.0.0.1:2: connection refused\n');
  });

  it('gives up on silence after --idle-timeout and on a slow poem after --timeout, in plain words', async () => {
    const { io, reactor, stderr } = fakeIO();
    const run = runGetPoetry(
      addresses(1, 2),
      parse(['--idle-timeout', '0.3', '--timeout', '1', '1']),
      io,
    );
    reactor.tcpClients[0]!.accept();
    const trickle = reactor.tcpClients[1]!.accept() as PoetryProtocol;
    for (let i = 0; i < 10; i++) {
      reactor.advance(0.1);
      trickle.dataReceived(Buffer.from('x'));
    }
    reactor.advance(0.1);
    expect(await run).toBe(1);
    expect(stderr.text()).toContain(
      '2 failed:\n  127.0.0.1:1: no data for 0.3 s\n  127.0.0.1:2: no complete poem after 1 s\n',
    );
  });

  it('prints one JSON document of poems and failures in argument order with --json', async () => {
    const { io, reactor, stdout } = fakeIO();
    const run = runGetPoetry(
      parseAddressArguments(['[::1]:7', '10000', '127.0.0.1:3']),
      parse(['--json', '1']),
      io,
    );
    serve(reactor.tcpClients[0]!, '');
    serve(reactor.tcpClients[1]!, 'a poem\n');
    reactor.tcpClients[2]!.fail(
      new ConnectionRefusedError('connection refused', { address: '127.0.0.1:3' }),
    );
    expect(await run).toBe(1);
    expect(JSON.parse(stdout.text())).toEqual({
      poems: [{ index: 2, address: 'localhost:10000', attempts: 1, bytes: 7, text: 'a poem\n' }],
      failures: [
        {
          index: 1,
          address: '[::1]:7',
          attempts: 1,
          code: 'ERR_EMPTY_POEM',
          message: 'the server closed the connection without sending a poem',
        },
        {
          index: 3,
          address: '127.0.0.1:3',
          attempts: 1,
          code: 'ERR_CONNECTION_REFUSED',
          message: 'connection refused',
        },
      ],
      elapsedSeconds: 0,
    });
  });

  it('passes the timeouts, size cap and concurrency on to the fetches', async () => {
    const { io, reactor } = fakeIO();
    const run = runGetPoetry(
      addresses(1, 2, 3),
      parse(['--connect-timeout', '2', '--concurrency', '2', '--max-bytes', '3', '1']),
      io,
    );
    expect(reactor.tcpClients).toHaveLength(2);
    expect(reactor.tcpClients[0]!.timeoutSeconds).toBe(2);
    serve(reactor.tcpClients[0]!, 'four');
    serve(reactor.tcpClients[1]!, 'ok');
    serve(reactor.tcpClients[2]!, 'ok');
    expect(await run).toBe(1);
  });

  it('prints a line per chunk with --verbose, as the tutorial’s client 2.0 did', async () => {
    const { io, reactor, stderr } = fakeIO();
    const run = runGetPoetry(addresses(10000), parse(['--verbose', '1']), io);
    serve(reactor.tcpClients[0]!, '0123456789abcdefghijXYZ', 10);
    expect(await run).toBe(0);
    expect(stderr.text().split('\n').slice(0, 4)).toEqual([
      'Task 1: got 10 bytes of poetry from 127.0.0.1:10000',
      'Task 1: got 10 bytes of poetry from 127.0.0.1:10000',
      'Task 1: got 3 bytes of poetry from 127.0.0.1:10000',
      'Task 1 finished (23 bytes)',
    ]);
  });

  it('names TLS and UNIX fetches as given: --verbose, the headers, the summary, the display', async () => {
    const { io, reactor, stdout, stderr } = fakeIO();
    const run = runGetPoetry(
      parseAddressArguments(['tls:127.0.0.1:7', 'unix:/tmp/p.sock', 'tls:8']),
      parse(['--verbose', '--insecure', '1']),
      io,
    );
    // --insecure is awaited (a warning first), so the attempts come a turn later.
    for (let turn = 0; turn < 100 && reactor.unixClients.length === 0; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(reactor.tlsClients[0]!.options).toMatchObject({ insecure: true });
    serve(reactor.tlsClients[0]!, 'secure\n');
    serve(reactor.unixClients[0]!, 'local\n');
    reactor.tlsClients[1]!.fail(new ConnectionRefusedError('connection refused'));
    expect(await run).toBe(1);
    const lines = stderr.text().split('\n');
    expect(lines[0]).toMatch(/^get-poetry: warning: --insecure: /);
    expect(lines).toContain('Task 1: got 7 bytes of poetry from tls:127.0.0.1:7');
    expect(lines).toContain('Task 2: got 6 bytes of poetry from unix:/tmp/p.sock');
    expect(stderr.text()).toContain('1 failed:\n  tls:localhost:8: connection refused\n');
    expect(stdout.text()).toBe(
      '==> Task 1: tls:127.0.0.1:7 <==\nsecure\n\n==> Task 2: unix:/tmp/p.sock <==\nlocal\n',
    );

    const tty = fakeIO(true);
    const shown = runGetPoetry(parseAddressArguments(['unix:/tmp/p.sock']), parse(['1']), tty.io);
    for (let turn = 0; turn < 1000 && tty.reactor.unixClients.length === 0; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    tty.reactor.advance(0.1);
    serve(tty.reactor.unixClients[0]!, 'local\n');
    expect(await shown).toBe(0);
    expect(tty.stderr.text()).toContain('unix:/tmp/p.sock');
  });

  it('exits 130 on Ctrl-C, printing what finished and reporting the rest cancelled', async () => {
    const { io, reactor, stdout, stderr, interrupts } = fakeIO();
    const run = runGetPoetry(addresses(1, 2), parse(['1']), io);
    serve(reactor.tcpClients[0]!, 'one\n');
    interrupts[0]!();
    expect(await run).toBe(130);
    expect(stdout.text()).toBe('==> Task 1: 127.0.0.1:1 <==\none\n');
    expect(stderr.text()).toContain('Interrupted.\n1 failed:\n  127.0.0.1:2: cancelled\n');
    expect(interrupts).toEqual([]);
    expect(reactor.tcpClients[1]!.state).toBe('disconnected');
  });

  it('leaves at once on a second Ctrl-C', () => {
    const { io, interrupts, exits } = fakeIO();
    void runGetPoetry(addresses(1), parse(['1']), io);
    const handler = interrupts[0]!;
    handler();
    expect(() => handler()).toThrow('exit 130');
    expect(exits).toEqual([130]);
  });

  it('shows live progress on stderr whenever stderr is a terminal, whatever stdout is', async () => {
    const tty = fakeIO(true);
    const run = runGetPoetry(addresses(1), parse(['1']), tty.io);
    const connector = await firstConnection(tty.reactor);
    tty.reactor.advance(0.1);
    serve(connector, 'one\n');
    await run;
    expect(tty.stderr.text()).toContain('127.0.0.1:1');
    expect(tty.stderr.text()).toContain('\x1b[0J');

    const piped = fakeIO(false);
    const run2 = runGetPoetry(addresses(1), parse(['1']), piped.io);
    serve(piped.reactor.tcpClients[0]!, 'one\n');
    await run2;
    expect(piped.stderr.text()).not.toContain('\x1b[');

    const noProgress = fakeIO(true);
    const run3 = runGetPoetry(addresses(1), parse(['--no-progress', '1']), noProgress.io);
    serve(noProgress.reactor.tcpClients[0]!, 'one\n');
    await run3;
    expect(noProgress.stderr.text()).not.toContain('\x1b[0J');

    // `get-poetry 1 > poems.txt`: the display on stderr, only the poem on stdout.
    const redirected = fakeIO(true);
    redirected.stdout.isTTY = false;
    const run4 = runGetPoetry(addresses(1), parse(['1']), redirected.io);
    const connector4 = await firstConnection(redirected.reactor);
    redirected.reactor.advance(0.1);
    serve(connector4, 'one\n');
    expect(await run4).toBe(0);
    expect(redirected.stderr.text()).toContain('127.0.0.1:1');
    expect(redirected.stderr.text()).toContain('\x1b[0J');
    expect(redirected.stdout.text()).toBe('one\n');

    // `get-poetry 1 2> log`: stdout a terminal is not enough.
    const logged = fakeIO(true);
    logged.stderr.isTTY = false;
    const run5 = runGetPoetry(addresses(1), parse(['1']), logged.io);
    serve(logged.reactor.tcpClients[0]!, 'one\n');
    await run5;
    expect(logged.stderr.text()).not.toContain('\x1b[');
    expect(logged.stdout.text()).toBe('one\n');
  });

  it('escapes control characters on a terminal unless --raw', async () => {
    const tty = fakeIO(true);
    const run = runGetPoetry(addresses(1), parse(['--no-progress', '1']), tty.io);
    serve(tty.reactor.tcpClients[0]!, 'x\x1b[2Jy\n');
    await run;
    expect(tty.stdout.text()).toBe('x^[[2Jy\n');

    const raw = fakeIO(true);
    const run2 = runGetPoetry(addresses(1), parse(['--no-progress', '--raw', '1']), raw.io);
    serve(raw.reactor.tcpClients[0]!, 'x\x1b[2Jy\n');
    await run2;
    expect(raw.stdout.text()).toBe('x\x1b[2Jy\n');
  });

  it('prints nothing on stdout with --quiet', async () => {
    const { io, reactor, stdout } = fakeIO();
    const run = runGetPoetry(addresses(1), parse(['--quiet', '1']), io);
    serve(reactor.tcpClients[0]!, 'one\n');
    expect(await run).toBe(0);
    expect(stdout.chunks).toEqual([]);
  });
});

/** A standard input that gives `chunks`, each after the gate before it opens. */
function gatedInput() {
  const chunks: (string | undefined)[] = [];
  let wake: (() => void) | undefined;
  async function* stdin(): AsyncGenerator<string> {
    for (;;) {
      while (chunks.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      const chunk = chunks.shift();
      if (chunk === undefined) return;
      yield chunk;
    }
  }
  const send = (chunk: string | undefined): void => {
    chunks.push(chunk);
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  return { stdin: stdin(), send };
}

/** Turns the event loop until `reactor` has made `count` connection attempts. */
async function connections(reactor: MemoryReactor, count: number): Promise<MemoryConnector[]> {
  for (let turn = 0; turn < 1000 && reactor.tcpClients.length < count; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(reactor.tcpClients).toHaveLength(count);
  return reactor.tcpClients;
}

const jsonLines = (stream: FakeStream): unknown[] =>
  stream
    .text()
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));

describe('runGetPoetry, streamed (--jsonl, --quiet, --output with --from)', () => {
  it('writes a --jsonl record per fetch as it ends, in order of completion, then a summary', async () => {
    const { io, reactor, stdout, stderr } = fakeIO();
    const run = runGetPoetry(addresses(1, 2, 3), parse(['--jsonl', '1']), io);
    serve(reactor.tcpClients[2]!, 'three\n');
    expect(jsonLines(stdout)).toEqual([
      { index: 3, address: '127.0.0.1:3', attempts: 1, bytes: 6, text: 'three\n' },
    ]);
    reactor.tcpClients[0]!.fail(new ConnectionRefusedError('connection refused'));
    reactor.advance(0.25);
    serve(reactor.tcpClients[1]!, 'two\n');
    expect(await run).toBe(1);
    expect(jsonLines(stdout)).toEqual([
      { index: 3, address: '127.0.0.1:3', attempts: 1, bytes: 6, text: 'three\n' },
      {
        index: 1,
        address: '127.0.0.1:1',
        attempts: 1,
        code: 'ERR_CONNECTION_REFUSED',
        message: 'connection refused',
      },
      { index: 2, address: '127.0.0.1:2', attempts: 1, bytes: 4, text: 'two\n' },
      { poems: 2, failures: 1, bytes: 10, elapsedSeconds: 0.25 },
    ]);
    expect(stderr.text()).toContain('Got 2 poems (10 bytes) in 0.250 s.\n1 failed:\n');
  });

  it('reads --from - after the arguments, taking a line only when a slot is free', async () => {
    const input = gatedInput();
    const { io, reactor, stdout } = fakeIO(false, input.stdin);
    const run = runGetPoetry(
      addresses(1),
      parse(['--from', '-', '--jsonl', '--concurrency', '2', '1']),
      io,
    );
    input.send('# more\n127.0.0.1:2\r\n127.0.0.1:3\n127.0');
    input.send('.0.1:4');
    input.send(undefined);
    await connections(reactor, 2);
    // Two at once: the third line waits for a slot.
    await new Promise((resolve) => setImmediate(resolve));
    expect(reactor.tcpClients).toHaveLength(2);
    serve(reactor.tcpClients[1]!, 'two\n');
    const [, , third] = await connections(reactor, 3);
    serve(reactor.tcpClients[0]!, 'one\n');
    serve(third!, 'three\n');
    const [, , , fourth] = await connections(reactor, 4);
    serve(fourth!, 'four\n');
    expect(await run).toBe(0);
    expect(reactor.tcpClients.map((c) => c.address)).toEqual([
      '127.0.0.1:1',
      '127.0.0.1:2',
      '127.0.0.1:3',
      '127.0.0.1:4',
    ]);
    expect(jsonLines(stdout).map((r) => (r as { index?: number }).index)).toEqual([
      2,
      1,
      3,
      4,
      undefined,
    ]);
  });

  it('stops at a bad line of standard input: cancels what runs, then a usage error naming stdin:LINE', async () => {
    const input = gatedInput();
    const { io, reactor, stdout, stderr } = fakeIO(false, input.stdin);
    const run = runGetPoetry([], parse(['--from', '-', '--jsonl']), io);
    input.send('127.0.0.1:1\n');
    const [first] = await connections(reactor, 1);
    first!.accept();
    input.send('\nnot-a-port\n');
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow('stdin:3: invalid address "not-a-port"');
    expect(first!.transport!.aborted).toBe(true);
    expect(jsonLines(stdout)).toEqual([
      {
        index: 1,
        address: '127.0.0.1:1',
        attempts: 1,
        code: 'ERR_CANCELLED',
        message: 'cancelled',
      },
    ]);
    expect(stderr.text()).toBe('');
  });

  it('stops at once, cancelling what runs and writing nothing more, when stdout goes away', async () => {
    const { io, reactor, stdout, stderr } = fakeIO();
    const run = runGetPoetry(
      addresses(1, 2, 3, 4),
      parse(['--jsonl', '--concurrency', '2', '1']),
      io,
    );
    serve(reactor.tcpClients[0]!, 'one\n');
    expect(reactor.tcpClients).toHaveLength(3);
    stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(await run).toBe(141);
    expect(reactor.tcpClients).toHaveLength(3);
    expect(reactor.tcpClients.slice(1).map((c) => c.state)).toEqual([
      'disconnected',
      'disconnected',
    ]);
    expect(jsonLines(stdout)).toHaveLength(1);
    expect(stderr.text()).toBe('');
    expect(stdout.listenerCount('error')).toBe(0);
  });

  it('takes no address while stdout is full, and goes on when it drains', async () => {
    const input = gatedInput();
    const { io, reactor, stdout } = fakeIO(false, input.stdin);
    const run = runGetPoetry([], parse(['--from', '-', '--jsonl', '--concurrency', '1']), io);
    input.send('127.0.0.1:1\n127.0.0.1:2\n');
    input.send(undefined);
    const [first] = await connections(reactor, 1);
    stdout.writableNeedDrain = true;
    serve(first!, 'one\n');
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(reactor.tcpClients).toHaveLength(1);
    stdout.writableNeedDrain = false;
    stdout.emit('drain');
    const [, second] = await connections(reactor, 2);
    serve(second!, 'two\n');
    expect(await run).toBe(0);
  });

  it('exits 130 on Ctrl-C with a summary saying so, in --jsonl too', async () => {
    const { io, reactor, stdout, stderr, interrupts } = fakeIO();
    const run = runGetPoetry(addresses(1, 2), parse(['--jsonl', '1']), io);
    serve(reactor.tcpClients[0]!, 'one\n');
    interrupts[0]!();
    expect(await run).toBe(130);
    const lines = jsonLines(stdout);
    expect(lines.at(-1)).toMatchObject({ poems: 1, failures: 1, interrupted: true });
    expect(stderr.text()).toContain('Interrupted.\n1 failed:\n  127.0.0.1:2: cancelled\n');
  });

  it('shows one line of counts on a terminal for a list whose length is not known', async () => {
    const input = gatedInput();
    const { io, reactor, stderr } = fakeIO(true, input.stdin);
    const run = runGetPoetry([], parse(['--from', '-', '--quiet']), io);
    input.send('127.0.0.1:1\n127.0.0.1:2\n');
    input.send(undefined);
    const [first, second] = await connections(reactor, 2);
    serve(first!, 'one\n');
    reactor.advance(0.1);
    serve(second!, 'two\n');
    expect(await run).toBe(0);
    expect(stderr.text()).toContain('\r\x1b[K1 done, 1 running, 4 bytes');
    expect(stderr.text()).not.toContain('\x1b[0J');
    // Erased before the summary (which is colored on a terminal).
    const text = stderr.text();
    expect(text.slice(text.lastIndexOf('\r\x1b[K'))).toMatch(/^\r.\[K.\[\d+mGot 2 poems/);
  });
});

describe('runGetPoetry with --retries', () => {
  const refused = () =>
    new ConnectionRefusedError('connection refused', { address: '127.0.0.1:1' });

  /** Runs `get-poetry ARGS… 1` on fake pipes and refuses its first connection. */
  function startRefused(args: string[]) {
    const fake = fakeIO();
    const run = runGetPoetry(addresses(1), parse([...args, '1']), fake.io);
    const connector = fake.reactor.tcpClients[0]!;
    connector.fail(refused());
    return { ...fake, run, connector };
  }

  it('tries a refused fetch again after --retry-delay and gives its attempts in --json', async () => {
    const { reactor, stdout, run, connector } = startRefused([
      '--json',
      '--retries',
      '3',
      '--retry-delay',
      '2',
    ]);
    reactor.advance(1.7); // 2 s less the most jitter (10 %) takes off
    expect(connector.state).toBe('disconnected');
    reactor.advance(0.6);
    connector.fail(refused());
    reactor.advance(4.5);
    serve(connector, 'third time\n');
    expect(await run).toBe(0);
    expect(JSON.parse(stdout.text()).poems).toEqual([
      { index: 1, address: '127.0.0.1:1', attempts: 3, bytes: 11, text: 'third time\n' },
    ]);
  });

  it('does not retry by default', async () => {
    const { stdout, run } = startRefused(['--json']);
    expect(await run).toBe(1);
    expect(JSON.parse(stdout.text()).failures[0]).toMatchObject({ attempts: 1 });
  });

  it('gives the attempts of a failure that ran out of retries in --jsonl', async () => {
    const { reactor, stdout, run, connector } = startRefused([
      '--jsonl',
      '--retries',
      '1',
      '--retry-delay',
      '1',
    ]);
    reactor.advance(1.1);
    connector.fail(refused());
    expect(await run).toBe(1);
    expect(jsonLines(stdout)[0]).toMatchObject({ attempts: 2, code: 'ERR_CONNECTION_REFUSED' });
  });

  it('prints each retry with --verbose: the wait, the attempt and the reason', async () => {
    const { reactor, stderr, run, connector } = startRefused(['--verbose', '--retries', '3']);
    reactor.advance(0.6);
    serve(connector, 'ok\n');
    expect(await run).toBe(0);
    expect(stderr.text()).toMatch(
      /^Task 1: retrying in 0\.(4[5-9]|5[0-5]?) s \(attempt 2 of 4\): connection refused$/m,
    );
  });

  it('shows a fetch waiting to retry as "retry N" in the live display', async () => {
    const { io, reactor, stderr } = fakeIO(true);
    const run = runGetPoetry(addresses(1, 2), parse(['--retries', '2', '1', '2']), io);
    const connector = await firstConnection(reactor);
    connector.fail(refused());
    reactor.advance(0.2);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the display's colours
    const shown = stderr.text().replace(/\x1b\[[0-9;]*m/g, '');
    expect(shown).toMatch(/127\.0\.0\.1:1 retry 2 /);
    expect(shown).toContain('1 retrying');
    reactor.advance(0.4);
    serve(connector, 'ok\n');
    serve(reactor.tcpClients[1]!, 'ok\n');
    expect(await run).toBe(0);
  });

  it('rejects a negative --retries and an endless --retry-delay as usage errors', () => {
    expect(parseError(['--retries', '-1', '1']).code).toBe('commander.invalidArgument');
    expect(parseError(['--retry-delay', 'Infinity', '1']).code).toBe('commander.invalidArgument');
  });
});
