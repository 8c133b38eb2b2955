// The poetry-server command: serve one poem file over TCP, TLS or a UNIX socket, until Ctrl-C.

import { InvalidArgumentError, Option } from 'commander';
import { TLSConfigError } from '../internet/errors.js';
import { reactor } from '../internet/reactor.js';
import { PoemFileError } from '../poetry/errors.js';
import {
  DEFAULT_BACKLOG,
  DEFAULT_DELAY_SECONDS,
  DEFAULT_GRACE_SECONDS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_NUM_BYTES,
  DEFAULT_STALL_TIMEOUT_SECONDS,
  type PoetryServer,
  type ServerLogger,
  servePoetry,
} from '../poetry/server.js';
import { openPoemFile, type PoemSource } from '../poetry/server-source.js';
import {
  createProgram,
  EXIT_OK,
  parseNonNegativeInteger,
  parsePositiveInteger,
  parseSeconds,
  runCommand,
  UsageError,
} from './command.js';
import { readServerCredentials, type ServerCredentials } from './tls-files.js';

const NAME = 'poetry-server';

interface ServerCommandOptions {
  port: number;
  iface: string;
  delay: number;
  numBytes: number;
  maxConnections: number;
  backlog: number;
  grace: number;
  stallTimeout: number;
  quiet?: boolean;
  /** With `tlsKey`: serve over TLS with this certificate (PEM). */
  tlsCert?: string;
  tlsKey?: string;
  /** Serve on this UNIX socket's path instead of a TCP port. */
  unix?: string;
}

/** Option parser: a TCP port, 0 to 65535 (0 asks for any free port). */
function parsePort(value: string): number {
  let port: number;
  try {
    port = parseNonNegativeInteger(value);
  } catch {
    port = -1;
  }
  if (port < 0 || port > 65535) {
    throw new InvalidArgumentError(`expected a port number from 0 to 65535, got '${value}'`);
  }
  return port;
}

function parseArguments(argv: readonly string[]): { file: string; options: ServerCommandOptions } {
  const program = createProgram(
    NAME,
    'Serve the poem in FILE over TCP to every reader that connects: NUM-BYTES every DELAY ' +
      'seconds, then close (the slow server of the Twisted tutorial), or all at once with ' +
      '--delay 0. With --tls-cert and --tls-key it serves over TLS, with --unix on a UNIX ' +
      'socket. The first line printed is "Serving FILE on ADDRESS", ADDRESS as get-poetry ' +
      'takes it: HOST:PORT, tls:HOST:PORT or unix:PATH.',
  )
    .argument('<FILE>', 'the poem to serve (any file: text or binary, any size)')
    .option('--port <PORT>', 'the port to listen on; 0 picks any free port', parsePort, 0)
    .option(
      '--iface <HOST>',
      'the interface to listen on (0.0.0.0 or :: for every interface)',
      parseInterface,
      'localhost',
    )
    .option(
      '--delay <SECONDS>',
      'seconds between chunks; 0 sends the whole poem at once',
      parseSeconds,
      DEFAULT_DELAY_SECONDS,
    )
    .option('--num-bytes <N>', 'bytes per chunk', parsePositiveInteger, DEFAULT_NUM_BYTES)
    .option(
      '--max-connections <N>',
      'readers served at once; connections beyond are closed as they arrive, and counted',
      parsePositiveInteger,
      DEFAULT_MAX_CONNECTIONS,
    )
    .option(
      '--backlog <N>',
      'connections waiting to be accepted (the kernel caps this, at net.core.somaxconn on Linux)',
      parsePositiveInteger,
      DEFAULT_BACKLOG,
    )
    .option(
      '--grace <SECONDS>',
      'on Ctrl-C or SIGTERM, how long readers in flight get to finish (at full speed)',
      parseSeconds,
      DEFAULT_GRACE_SECONDS,
    )
    .option(
      '--stall-timeout <SECONDS>',
      'cut a reader that takes none of its poem for this long (over TLS, also one whose ' +
        'handshake takes this long); 0 never',
      parseSeconds,
      DEFAULT_STALL_TIMEOUT_SECONDS,
    )
    .option(
      '--tls-cert <FILE>',
      'serve over TLS with the certificate in FILE (PEM; a chain may follow it); needs --tls-key',
    )
    .option('--tls-key <FILE>', 'the private key of --tls-cert (PEM, without a passphrase)')
    .addOption(
      new Option(
        '--unix <PATH>',
        'serve on a UNIX socket at PATH instead of a TCP port (a stale socket file is replaced)',
      ).conflicts(['port', 'iface', 'tlsCert', 'tlsKey']),
    )
    .option('-q, --quiet', 'print only the first line and server events, no line per reader')
    .addHelpText(
      'after',
      [
        '',
        'Ctrl-C or SIGTERM stops accepting at once, lets readers in flight finish within the',
        'grace period, then exits 0; a second Ctrl-C cuts them at once.',
        '',
        'Exit status: 0 stopped by a signal; 1 the port, interface or socket path cannot be',
        'used (a UNIX socket another server answers on is in use); 2 bad usage, including a',
        'missing, unreadable or non-regular FILE, and a --tls-cert or --tls-key that is',
        'missing, unreadable, not PEM, or not a pair.',
        '',
        'Examples:',
        '  poetry-server --port 10000 poems/ecstasy.txt',
        '  poetry-server --tls-cert cert.pem --tls-key key.pem --port 10443 poems/ecstasy.txt',
        '  poetry-server --unix /tmp/poems.sock poems/ecstasy.txt',
      ].join('\n'),
    );
  program.parse(argv, { from: 'user' });
  const [file] = program.args as [string];
  const options = program.opts<ServerCommandOptions>();
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new UsageError(
      options.tlsCert === undefined ? '--tls-key needs --tls-cert' : '--tls-cert needs --tls-key',
    );
  }
  if (options.unix === '') throw new UsageError('--unix needs a path');
  return { file, options };
}

/** An empty interface would mean every interface to node:net: that must be asked for by name. */
function parseInterface(value: string): string {
  if (value.trim() === '') {
    throw new InvalidArgumentError('expected a host name or address (0.0.0.0 or :: for all)');
  }
  return value;
}

/**
 * Writes log lines to stdout. A script that read the first line and closed the pipe must not
 * crash the server: after a write error the logger goes quiet.
 */
function stdoutLogger(quiet: boolean): ServerLogger {
  let open = true;
  process.stdout.on('error', () => {
    open = false;
  });
  const write = (line: string): void => {
    if (open) process.stdout.write(`${line}\n`);
  };
  return { info: write, reader: quiet ? undefined : write };
}

async function main(argv: readonly string[]): Promise<number> {
  const { file, options } = parseArguments(argv);
  // Checked before anything listens: a wrong file is a usage error, not a failed handshake later.
  const tls: ServerCredentials | undefined =
    options.tlsCert === undefined || options.tlsKey === undefined
      ? undefined
      : await readServerCredentials(options.tlsCert, options.tlsKey);

  // Signals are caught from here on, so one that arrives while starting still stops cleanly.
  let server: PoetryServer | undefined;
  let stopRequested = false;
  let running = false;
  const stop = (): void => {
    if (server === undefined || !running) return;
    const serving = server;
    void serving.shutdown(options.grace).then(
      () => {
        if (reactor.running) reactor.stop();
      },
      (error: unknown) => {
        reactor.reportError(error, 'PoetryServer.shutdown');
        if (reactor.running) reactor.stop();
      },
    );
  };
  const onSignal = (): void => {
    if (stopRequested) {
      server?.cutNow();
      return;
    }
    stopRequested = true;
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let source: PoemSource | undefined;
  try {
    try {
      source = await openPoemFile(file);
    } catch (error) {
      if (error instanceof PoemFileError) throw new UsageError(error.message);
      throw error;
    }
    if (stopRequested) return EXIT_OK;
    // CannotListenError propagates: runCommand prints its one line (naming the address), status 1
    // (AddressInUseError for a UNIX socket another server answers on). TLSConfigError is the
    // files checked above that the TLS layer still cannot use: a usage error too.
    try {
      server = await servePoetry(reactor, source, {
        port: options.port,
        interface: options.iface,
        tls,
        unix: options.unix,
        backlog: options.backlog,
        delay: options.delay,
        numBytes: options.numBytes,
        maxConnections: options.maxConnections,
        stallTimeout: options.stallTimeout,
        logger: stdoutLogger(options.quiet === true),
        name: file,
      });
    } catch (error) {
      if (error instanceof TLSConfigError) throw new UsageError(error.message, { cause: error });
      throw error;
    }
    const stopped = reactor.run();
    running = true;
    if (stopRequested) stop();
    await stopped;
    return EXIT_OK;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await source?.close();
  }
}

void runCommand(NAME, () => main(process.argv.slice(2)));
