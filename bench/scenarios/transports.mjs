// Scenario 7, transports: fan-out over TLS and over a UNIX socket beside the same over TCP, and a
// big poem over TLS into a file; ours against floors that use node:tls and node:net as directly.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  alternate,
  finish,
  note,
  ratioTargets,
  row,
  runPrinting,
  runWritingFile,
} from '../lib/measure.mjs';
import { poemBuffer, printedPoems, writePoem } from '../lib/poems.mjs';
import { startServer } from '../lib/processes.mjs';
import { times } from '../lib/report.mjs';

const POEM_BYTES = 3_000;
const MiB = 2 ** 20;
const CERT_SCRIPT = fileURLToPath(new URL('../../scripts/make-test-certs.sh', import.meta.url));

/**
 * A throwaway CA and a server certificate for 127.0.0.1, made with the repository's script into
 * the scratch folder; null (with the reason logged) when it cannot run (no openssl).
 */
function makeCertificates(context) {
  const dir = join(context.tmp, 'certs');
  const made = existsSync(CERT_SCRIPT)
    ? spawnSync('sh', [CERT_SCRIPT, dir], { encoding: 'utf8', timeout: 60_000 })
    : { status: -1, stderr: `${CERT_SCRIPT} missing` };
  if (made.status !== 0) {
    context.log(`  transports: no certificates (${`${made.stderr ?? made.error}`.trim()})`);
    return null;
  }
  return {
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
  };
}

/** What a row's transport costs over its TCP twin's: "wall 1.52× / CPU 1.80× TCP's". */
function againstTcp(r, tcp) {
  if (!r.median || !tcp.median) return;
  const wall = r.median.wallSeconds / tcp.median.wallSeconds;
  const cpu =
    typeof r.median.cpuSeconds === 'number' && tcp.median.cpuSeconds > 0
      ? r.median.cpuSeconds / tcp.median.cpuSeconds
      : null;
  note(r, `wall ${times(wall)} / CPU ${times(cpu)} the same program's over TCP`);
}

/** Scenario 7: every part, with the certificates made once. */
export async function transports(context) {
  const certs = makeCertificates(context);
  await fanOverTransports(context, certs);
  await bigPoemOverTls(context, certs);
}

/**
 * Fan-out of `count` fetches from one floor fast server per transport (TCP, TLS, UNIX), every
 * program printing every poem, checked after each run; the six programs alternate in one loop so
 * drifting load falls on all, and each transport's ours is held to its own floor.
 */
async function fanOverTransports(context, certs) {
  const { node, paths, programs } = context;
  const count = context.quick ? 200 : 2_000;
  const countText = count.toLocaleString('en');
  const poem = poemBuffer(POEM_BYTES);
  const poemPath = join(context.tmp, 'transports.txt');
  writeFileSync(poemPath, poem);
  const socketPath = join(context.tmp, 'fan-out.sock');
  const servers = [];
  try {
    const tcpServer = await startServer([node, paths.fastServer, poemPath], { tmp: context.tmp });
    servers.push(tcpServer);
    const unixServer = await startServer([node, paths.fastServer, '--unix', socketPath, poemPath], {
      tmp: context.tmp,
    });
    servers.push(unixServer);
    const tlsServer =
      certs === null
        ? null
        : await startServer([node, paths.fastServer, '--tls', certs.cert, certs.key, poemPath], {
            tmp: context.tmp,
          });
    if (tlsServer !== null) servers.push(tlsServer);

    const ourOptions = [
      ...context.option(programs.client, '--no-progress'),
      ...context.option(programs.client, '--concurrency', count),
    ];
    // The floor is given the same CA as ours, so both check the server the same way.
    const trust = (program) =>
      program === programs.client
        ? context.option(programs.client, '--ca', certs.ca)
        : ['--ca', certs.ca];
    const sides = [
      { name: 'TCP', server: tcpServer, secure: false },
      { name: 'UNIX', server: unixServer, secure: false },
      ...(tlsServer === null ? [] : [{ name: 'TLS', server: tlsServer, secure: true }]),
    ];
    for (const side of sides) {
      const addresses = Array(count).fill(side.server.address);
      side.expected = printedPoems(addresses, poem);
      side.ours = row(programs.client, `get-poetry (${side.name})`);
      side.floor = row(
        programs.floorClient,
        `floor client (${side.secure ? 'node:tls' : 'node:net'}, ${side.name})`,
      );
      const ourTrust = side.secure ? trust(programs.client) : [];
      const floorTrust = side.secure ? trust(programs.floorClient) : [];
      side.entries = [
        { row: side.ours, argv: [node, paths.getPoetry, ...ourOptions, ...ourTrust, ...addresses] },
        { row: side.floor, argv: [node, paths.floorClient, ...floorTrust, ...addresses] },
      ];
    }
    const entries = sides.flatMap((side) =>
      side.entries.map((entry) => ({ ...entry, expected: side.expected })),
    );
    await alternate(
      context,
      `7 transports fan-out ${countText}`,
      entries,
      context.runsFor(5),
      (entry) => runPrinting(context, entry.argv, entry.expected, { timeoutSeconds: 180 }),
    );
    const tcp = sides[0];
    for (const side of sides) {
      finish([side.ours, side.floor], side.floor);
      for (const r of [side.ours, side.floor]) if (r.runs.length) note(r, 'every run byte-exact');
      if (side !== tcp) {
        againstTcp(side.ours, tcp.ours);
        againstTcp(side.floor, tcp.floor);
      }
    }
    context.record({
      id: `transports-tcp-fan-out-${count}`,
      title: `7 fan-out ${countText} over TCP`,
      params: { fetches: count, poemBytes: POEM_BYTES, transport: 'tcp' },
      rows: [tcp.ours, tcp.floor],
      targets: [],
    });
    const tls = sides.find((side) => side.name === 'TLS');
    if (tls !== undefined) {
      context.record({
        id: `transports-tls-fan-out-${count}`,
        title: `7 TLS fan-out ${countText}`,
        params: { fetches: count, poemBytes: POEM_BYTES, transport: 'tls' },
        rows: [tls.ours, tls.floor],
        targets: ratioTargets(tls.ours, { wall: 1.25, cpu: 1.3, rss: 1.5 }),
      });
    } else {
      context.log('  transports: TLS fan-out skipped (no certificates)');
    }
    const unix = sides[1];
    context.record({
      id: `transports-unix-fan-out-${count}`,
      title: `7 UNIX fan-out ${countText}`,
      params: { fetches: count, poemBytes: POEM_BYTES, transport: 'unix' },
      rows: [unix.ours, unix.floor],
      targets: ratioTargets(unix.ours, { wall: 1.25, cpu: 1.3 }),
    });
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** One big poem over TLS, each program streaming it into a file of its own, checked each run. */
async function bigPoemOverTls(context, certs) {
  if (certs === null) {
    context.log('  transports: big poem over TLS skipped (no certificates)');
    return;
  }
  const { node, paths, programs } = context;
  const bytes = context.quick ? 16 * MiB : 256 * MiB;
  const label = `7 TLS big poem ${bytes / MiB} MiB → file`;
  const poemPath = join(context.scratch(bytes), 'tls-big.txt');
  context.log(`  ${label}: writing the poem`);
  const expected = { bytes, sha256: writePoem(poemPath, bytes), path: poemPath };
  const server = await startServer(
    [node, paths.fastServer, '--tls', certs.cert, certs.key, poemPath],
    { tmp: context.tmp },
  );
  const ours = row(programs.client, 'get-poetry (TLS)');
  const floor = row(programs.floorClient, 'floor client (node:tls)');
  const ourOptions = [
    ...context.option(programs.client, '--no-progress'),
    ...context.option(programs.client, '--ca', certs.ca),
  ];
  try {
    await alternate(
      context,
      label,
      [
        {
          row: ours,
          argv: (dir) => [node, paths.getPoetry, ...ourOptions, '--output', dir, server.address],
        },
        {
          row: floor,
          argv: (dir) => [
            node,
            paths.floorClient,
            '--ca',
            certs.ca,
            '--output',
            dir,
            server.address,
          ],
        },
      ],
      context.runsFor(5),
      (entry) => runWritingFile(context, entry.argv, expected, { timeoutSeconds: 180 }),
    );
  } finally {
    await server.stop();
  }
  finish([ours, floor], floor);
  for (const r of [ours, floor]) if (r.runs.length) note(r, 'every run byte-exact');
  context.record({
    id: 'transports-tls-big-poem-file',
    title: label,
    params: { poemBytes: bytes, transport: 'tls' },
    rows: [ours, floor],
    targets: ratioTargets(ours, { wall: 1.15 }),
  });
}
