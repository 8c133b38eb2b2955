// pemCertificates: the one reader of PEM certificate blocks, for the reactor's `ca` and the
// commands' --ca and --tls-cert files.

import { describe, expect, it } from 'vitest';
import { pemCertificates } from '../../../src/internet/tls.js';

const block = (body: string, eol = '\n'): string =>
  ['-----BEGIN CERTIFICATE-----', body, '-----END CERTIFICATE-----'].join(eol);

describe('pemCertificates', () => {
  it('finds every certificate of a bundle in order, with whatever stands between them', () => {
    const text = [
      '# a comment -- with dashes',
      block('QUJD'),
      'Subject: CN=second - a label',
      block('REVG'),
      '',
    ].join('\n');
    expect(pemCertificates(text)).toEqual([block('QUJD'), block('REVG')]);
  });

  it('reads CRLF files and a last block without a newline after it', () => {
    expect(pemCertificates(`${block('QUJD', '\r\n')}\r\n${block('REVG', '\r\n')}`)).toEqual([
      block('QUJD', '\r\n'),
      block('REVG', '\r\n'),
    ]);
  });

  it('finds none in a key, in other PEM kinds, or in an empty file', () => {
    expect(
      pemCertificates('-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n'),
    ).toEqual([]);
    expect(
      pemCertificates(
        '-----BEGIN TRUSTED CERTIFICATE-----\nQUJD\n-----END TRUSTED CERTIFICATE-----',
      ),
    ).toEqual([]);
    expect(pemCertificates('')).toEqual([]);
  });
});
