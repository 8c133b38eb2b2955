// Deterministic poems of any size for the benchmark, and their hashes.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';

const BLOCK_BYTES = 1 << 20;
const WORDS = (
  'the a of in and slow fast river moon stone light night day wind sea song old new ' +
  'falls rises sleeps wakes under over beyond within where when silver golden quiet ' +
  'loud small great long brief heart field cloud rain snow leaf tree bird star road'
).split(' ');

let base = null;

/** One MiB of verse from a seeded generator (mulberry32): the same bytes on every machine. */
function baseBlock() {
  if (base) return base;
  let seed = 0x5eed;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const lines = [];
  let length = 0;
  while (length < BLOCK_BYTES) {
    const count = 4 + Math.floor(random() * 6);
    const words = [];
    for (let i = 0; i < count; i++) words.push(WORDS[Math.floor(random() * WORDS.length)]);
    const line = `${words.join(' ')}\n`;
    lines.push(line);
    length += line.length;
  }
  base = Buffer.from(lines.join(''), 'latin1').subarray(0, BLOCK_BYTES);
  return base;
}

/** Block i of every poem: the base verse headed by its own number, so a lost or repeated block changes the hash. */
function block(index) {
  const copy = Buffer.from(baseBlock());
  copy.write(`stanza ${String(index).padStart(16, '0')}\n`, 0, 'latin1');
  return copy;
}

/** A poem of `bytes` bytes held in memory (for small poems). */
export function poemBuffer(bytes) {
  const blocks = [];
  for (let i = 0; i * BLOCK_BYTES < bytes; i++) blocks.push(block(i));
  return Buffer.concat(blocks).subarray(0, bytes);
}

/** Writes a poem of `bytes` bytes to path, one block at a time; returns its sha256. */
export function writePoem(path, bytes) {
  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  try {
    for (let offset = 0, i = 0; offset < bytes; offset += BLOCK_BYTES, i++) {
      const piece = block(i).subarray(0, Math.min(BLOCK_BYTES, bytes - offset));
      writeSync(fd, piece);
      hash.update(piece);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

export function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

export async function hashFile(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: BLOCK_BYTES })) {
    hash.update(chunk);
  }
  return hash.digest('hex');
}

/**
 * What get-poetry prints on stdout when every one of `addresses` gives `poem`: for one address the
 * poem alone; for more, each poem under a `==> Task N: ADDRESS <==` header, the next header on a
 * line of its own after a blank line. Returns { bytes, sha256 } without building the output.
 */
export function printedPoems(addresses, poem) {
  if (addresses.length === 1) return { bytes: poem.length, sha256: sha256(poem) };
  const hash = createHash('sha256');
  const endsWithNewline = poem.length > 0 && poem[poem.length - 1] === 0x0a;
  let bytes = 0;
  addresses.forEach((address, i) => {
    const header = Buffer.from(`${i === 0 ? '' : '\n'}==> Task ${i + 1}: ${address} <==\n`);
    hash.update(header);
    hash.update(poem);
    bytes += header.length + poem.length;
    if (!endsWithNewline) {
      hash.update('\n');
      bytes++;
    }
  });
  return { bytes, sha256: hash.digest('hex') };
}
