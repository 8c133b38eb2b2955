// Writes a big poem file made of numbered one-MiB blocks, for tests that must spot a lost block.

import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/**
 * Writes `mib` copies of the one-MiB `block`, each with its number in its first four bytes (so a
 * lost, repeated or misplaced block shows), and returns the file's SHA-256 in hex.
 */
export async function writeNumberedPoem(path: string, mib: number, block: Buffer): Promise<string> {
  const numbered = Buffer.from(block);
  const hash = createHash('sha256');
  const file = await open(path, 'w');
  try {
    for (let i = 0; i < mib; i++) {
      numbered.writeUInt32BE(i, 0);
      hash.update(numbered);
      await file.write(numbered);
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}
