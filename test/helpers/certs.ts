// Test certificates, made at test time by scripts/make-test-certs.sh into a scratch directory.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { scratchDir } from './scratch.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/make-test-certs.sh', import.meta.url));

/** A certificate and its key, PEM. */
export interface KeyPair {
  cert: string;
  key: string;
}

/** What make-test-certs.sh makes: a CA, and certificates good and bad. */
export interface TestCerts {
  /** The directory the files are in (removed with the scratch directories). */
  dir: string;
  /** The CA's certificate, PEM: trust it to trust `server`. */
  ca: string;
  /** For localhost, 127.0.0.1 and ::1, signed by the CA. */
  server: KeyPair;
  /** As `server`, but expired. */
  expired: KeyPair;
  /** Signed by the CA for other.invalid only. */
  otherName: KeyPair;
  /** For localhost and 127.0.0.1, signed by itself. */
  selfSigned: KeyPair;
}

let made: Promise<TestCerts> | undefined;

/**
 * The test certificates, made once per test file (fresh P-256 keys, a fraction of a second).
 * The directory is a scratch one: removeScratchDirs removes it.
 */
export function testCerts(): Promise<TestCerts> {
  made ??= make();
  return made;
}

async function make(): Promise<TestCerts> {
  const dir = await scratchDir('poetry-certs-');
  await promisify(execFile)('sh', [SCRIPT, dir], { timeout: 20_000 });
  const read = (name: string) => readFile(join(dir, name), 'utf8');
  const pair = async (stem: string): Promise<KeyPair> => ({
    cert: await read(`${stem}.pem`),
    key: await read(`${stem}.key`),
  });
  return {
    dir,
    ca: await read('ca.pem'),
    server: await pair('server'),
    expired: await pair('expired'),
    otherName: await pair('other-name'),
    selfSigned: await pair('self-signed'),
  };
}
