// get-poetry's --max-bytes: sizes with units, a one-line refusal, and a default that --help states.

import { describe, expect, it } from 'vitest';
import { parseByteSize } from '../../../src/cli/command.js';
import { getPoetryProgram } from '../../../src/cli/get-poetry-program.js';
import { parse, parseError } from '../../helpers/parse-options.js';

describe('get-poetry --max-bytes', () => {
  it.each([
    ['100', 100],
    ['0', 0],
    ['512KiB', 512 * 1024],
    ['64MiB', 64 * 1024 * 1024],
    ['1GiB', 1024 ** 3],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['500kB', 500_000],
    ['64MB', 64_000_000],
    ['1GB', 1e9],
    ['1G', 1024 ** 3],
    ['2m', 2 * 1024 * 1024],
    ['64 MiB', 64 * 1024 * 1024],
  ])('reads %j as %i bytes', (value, bytes) => {
    expect(parse(['--max-bytes', value, '10000']).maxBytes).toBe(bytes);
  });

  it('is unset when not given, so the library picks: 64 MiB in memory, none with --output', () => {
    expect(parse(['10000']).maxBytes).toBeUndefined();
    expect(parse(['--output', 'dir', '10000']).maxBytes).toBeUndefined();
  });

  it.each(['1e6', '-1', '1.5', '64 MiBs', '1PB', 'lots', '', '99999999TB'])(
    'refuses %j in one line that says what a size may be',
    (value) => {
      const error = parseError(['--max-bytes', value, '10000']);
      expect(error.exitCode).not.toBe(0);
      expect(error.message).toContain('--max-bytes');
      expect(error.message).toContain('KiB, MiB, GiB');
      expect(error.message).toContain('kB, MB, GB');
      expect(error.message).toContain(`got '${value}'`);
      expect(error.message).not.toContain('\n');
    },
  );

  it('says in --help what a size may be, and what the default is with and without --output', () => {
    const help = getPoetryProgram().helpInformation().replace(/\s+/g, ' ');
    expect(help).toContain('--max-bytes <size>');
    expect(help).toContain('KiB, MiB, GiB');
    expect(help).toContain('kB, MB, GB');
    expect(help).toContain('0: no limit');
    expect(help).toContain('default: 64 MiB for a poem held in memory, none with --output');
  });

  it('gives the commander parser a size in bytes, 0 meaning no limit', () => {
    expect(parseByteSize('0')).toBe(0);
    expect(parseByteSize('1KiB')).toBe(1024);
    expect(() => parseByteSize('1 KiB 2')).toThrow(/^expected a size in bytes or with a unit/);
  });
});
