// Sizes in bytes as people write and read them: "64MiB" in, "64 MiB" out.

/**
 * What a size may say after its number, in lower case (units are read case-insensitively: people
 * type `64mib` and `1gb`, and a byte cap has no use for bits, so `Mb` is not megabits). `KiB`,
 * `MiB`, `GiB`, `TiB` count in 1024s and `kB`, `MB`, `GB`, `TB` in 1000s; a bare `K`, `M`, `G`,
 * `T` counts in 1024s, as curl reads `--max-filesize 1G`.
 */
const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['', 1n],
  ['b', 1n],
  ['k', 1n << 10n],
  ['kib', 1n << 10n],
  ['kb', 1000n],
  ['m', 1n << 20n],
  ['mib', 1n << 20n],
  ['mb', 1000n ** 2n],
  ['g', 1n << 30n],
  ['gib', 1n << 30n],
  ['gb', 1000n ** 3n],
  ['t', 1n << 40n],
  ['tib', 1n << 40n],
  ['tb', 1000n ** 4n],
]);

/** What `parseSize` accepts, in a few words for a one-line error message. */
export const SIZE_SYNTAX =
  'a size in bytes or with a unit: KiB, MiB, GiB, TiB or K, M, G, T (1024s), ' +
  'kB, MB, GB, TB (1000s), as in 64MiB or 1.5GB';

const SIZE = /^\s*(?=\.?\d)(\d*)(?:\.(\d+))?\s*([a-z]*)\s*$/i;
const MAX = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Reads a size such as `1048576`, `512KiB`, `64 MiB`, `1.5GiB`, `100kB` or `1G`, in bytes.
 * Spaces around the number and unit are allowed. A fraction needs a unit (a byte is whole) and is
 * rounded down to whole bytes, which caps exactly as the fraction would (a poem of n bytes passes
 * 1.5 KiB = 1536 bytes as it passes 1536.0). Returns undefined for anything else: no sign, no
 * exponent, no `0x`, no digit separators, nothing past Number.MAX_SAFE_INTEGER, and no size
 * above 0 that would round down to 0 (0 means "no limit" to a cap, which a typo must not turn on).
 */
export function parseSize(text: string): number | undefined {
  const match = SIZE.exec(text);
  if (match === null) return undefined;
  const [, whole = '', fraction = '', unitText = ''] = match;
  const unit = UNITS.get(unitText.toLowerCase());
  if (unit === undefined) return undefined;
  if (fraction !== '' && unit === 1n) return undefined;
  // Exact decimal arithmetic: 4.35 * 1e6 in floating point is 4349999.999…
  const scale = 10n ** BigInt(fraction.length);
  const numerator = BigInt(`0${whole}${fraction}`) * unit;
  const bytes = numerator / scale;
  if (bytes > MAX) return undefined;
  if (bytes === 0n && numerator !== 0n) return undefined;
  return Number(bytes);
}

/** Units to write sizes in, largest first, 1024s before 1000s (the first of equals wins). */
const BINARY = [
  [1n << 40n, 'TiB'],
  [1n << 30n, 'GiB'],
  [1n << 20n, 'MiB'],
  [1n << 10n, 'KiB'],
  [1n, 'B'],
] as const;
const DECIMAL = [
  [1000n ** 4n, 'TB'],
  [1000n ** 3n, 'GB'],
  [1000n ** 2n, 'MB'],
  [1000n, 'kB'],
] as const;
const EXACT_UNITS = [...BINARY, ...DECIMAL];

/**
 * A whole number of bytes as people read it: `512 B`, `64 MiB`, `1.5 GiB`, `100 kB`. Exact when
 * it can be with at most two decimals and four digits before the point, in whichever unit takes
 * the fewest digits (1024s win a tie), so a cap given as `64MiB` reads `64 MiB` and one given as
 * `1MB` reads `1 MB`; otherwise rounded to three significant digits in 1024s (`97.7 KiB`).
 */
export function formatBytes(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) return `${bytes} B`;
  const n = BigInt(bytes);
  let shortest: string | undefined;
  let unitName = '';
  for (const [size, name] of EXACT_UNITS) {
    const number = exactIn(n, size);
    if (number !== undefined && (shortest === undefined || number.length < shortest.length)) {
      shortest = number;
      unitName = name;
    }
  }
  if (shortest !== undefined) return `${shortest} ${unitName}`;
  let unit = BINARY.findIndex(([size]) => n >= size);
  // 1048575 bytes is 1023.999 KiB: it reads 1 MiB, not 1024 KiB.
  if (unit > 0 && rounded(bytes, BINARY[unit]![0]) >= 1024) unit--;
  const [size, name] = BINARY[unit]!;
  return `${rounded(bytes, size)} ${name}`;
}

/** How many `size`s `n` bytes are, when two decimals and four digits before the point say it. */
function exactIn(n: bigint, size: bigint): string | undefined {
  if (n < size) return undefined;
  if ((n * 100n) % size !== 0n) return undefined;
  const hundredths = (n * 100n) / size;
  const whole = hundredths / 100n;
  if (whole >= 10_000n) return undefined;
  const rest = hundredths % 100n;
  if (rest === 0n) return String(whole);
  return `${whole}.${rest % 10n === 0n ? rest / 10n : String(rest).padStart(2, '0')}`;
}

/** `bytes` in units of `size`, to three significant digits. */
function rounded(bytes: number, size: bigint): number {
  const value = bytes / Number(size);
  const digits = value < 10 ? 2 : value < 100 ? 1 : 0;
  // `Number` drops the zeros toFixed leaves: "1.50" reads 1.5.
  return Number(value.toFixed(digits));
}
