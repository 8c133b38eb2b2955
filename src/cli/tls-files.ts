// The PEM files the commands take (get-poetry --ca, poetry-server --tls-cert/--tls-key), read and
// checked before anything starts, so a wrong file is a usage error in one line, never a handshake
// that fails later on every connection.

import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describeSystemError } from '../internet/errors.js';
import { pemCertificates } from '../internet/tls.js';
import { UsageError } from './command.js';

/** A server's certificate (with any chain after it) and its private key, as PEM text. */
export interface ServerCredentials {
  readonly cert: string;
  readonly key: string;
}

/**
 * The certificates of a `--ca` file, one PEM block each (a bundle may hold several). Throws a
 * UsageError naming the option and the file when it cannot be read, holds no certificate, or
 * holds one that does not parse.
 */
export async function readCertificateAuthorities(path: string, option = '--ca'): Promise<string[]> {
  const text = await readPemFile(path, option);
  return certificatesIn(text, path, option).map(({ pem }) => pem);
}

/**
 * The `--tls-cert` and `--tls-key` files, checked: each readable, the certificate PEM, the key
 * an unencrypted PEM private key, and the key the one the (first) certificate was made for.
 * Throws a UsageError naming the option and the file otherwise.
 */
export async function readServerCredentials(
  certPath: string,
  keyPath: string,
): Promise<ServerCredentials> {
  const [cert, key] = await Promise.all([
    readPemFile(certPath, '--tls-cert'),
    readPemFile(keyPath, '--tls-key'),
  ]);
  const [first] = certificatesIn(cert, certPath, '--tls-cert');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new UsageError(
      `--tls-key ${keyPath}: not a PEM private key (or one with a passphrase): ${reason(error)}`,
      { cause: error },
    );
  }
  if (!first!.certificate.checkPrivateKey(privateKey)) {
    throw new UsageError(
      `--tls-key ${keyPath} is not the key of the certificate in --tls-cert ${certPath}`,
    );
  }
  return { cert, key };
}

/**
 * The `tls` option of a get-poetry run: the `--ca` file's certificates, or `--insecure` (after
 * writing its one warning line with `warn`); undefined for neither. Throws a UsageError for a
 * `--ca` file that cannot be used.
 */
export async function clientTLSOptions(
  options: { ca?: string; insecure?: boolean },
  warn: (line: string) => void,
): Promise<{ ca?: string; insecure?: boolean } | undefined> {
  if (options.insecure === true) {
    warn(
      'warning: --insecure: no tls: certificate is checked; anyone on the way can read or change the poems',
    );
    return { insecure: true };
  }
  if (options.ca === undefined) return undefined;
  return { ca: (await readCertificateAuthorities(options.ca)).join('\n') };
}

async function readPemFile(path: string, option: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${option} ${path}: cannot read it: ${describeSystemError(error)}`, {
      cause: error,
    });
  }
}

/** Every certificate block of `text`, each parsed; a UsageError when there is none or one is bad. */
function certificatesIn(
  text: string,
  path: string,
  option: string,
): { pem: string; certificate: X509Certificate }[] {
  const blocks = pemCertificates(text);
  if (blocks.length === 0) {
    throw new UsageError(
      `${option} ${path}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)`,
    );
  }
  return blocks.map((pem, index) => {
    try {
      return { pem, certificate: new X509Certificate(pem) };
    } catch (error) {
      const which = blocks.length === 1 ? 'its certificate' : `certificate ${index + 1}`;
      throw new UsageError(`${option} ${path}: ${which} does not parse: ${reason(error)}`, {
        cause: error,
      });
    }
  });
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
