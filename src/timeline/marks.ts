// Chunk marks: one per chunk, or neighbouring chunks binned into one when a lane has too many.

import type { ChunkEvent } from '../poetry/events.js';
import type { TimeScale } from './scale.js';

/**
 * Chunk marks shared among the lanes drawn: past this a file grows to megabytes and a browser
 * slows down, while the marks would be narrower than a pixel anyway.
 */
const CHUNK_MARK_BUDGET = 10_000;
const MIN_MARKS_PER_LANE = 20;
const MAX_MARKS_PER_LANE = 400;

/** One chunk, or neighbouring chunks grouped when a lane has too many to draw apart. */
export interface ChunkMark {
  /** Seconds since the start of the first and last chunk in the mark. */
  readonly fromSeconds: number;
  readonly toSeconds: number;
  readonly bytes: number;
  readonly chunks: number;
  /** The first chunk's position in its lane, from 1. */
  readonly ordinal: number;
  /** Bytes received by the end of the mark's last chunk. */
  readonly totalBytes: number;
}

/** Marks per lane when not told: the budget shared by the lanes drawn, within 20 to 400. */
export function defaultMarksPerLane(lanesDrawn: number): number {
  return Math.min(
    MAX_MARKS_PER_LANE,
    Math.max(MIN_MARKS_PER_LANE, Math.floor(CHUNK_MARK_BUDGET / Math.max(1, lanesDrawn))),
  );
}

/**
 * A lane's marks: one per chunk while there are at most `cap`, else the axis cut into `cap`
 * equal bins and one mark per bin that holds a chunk. Times count from `startSeconds`.
 */
export function chunkMarks(
  chunks: readonly ChunkEvent[],
  startSeconds: number,
  scale: TimeScale,
  cap: number,
): ChunkMark[] {
  if (chunks.length <= cap) {
    return chunks.map((chunk, i) => {
      const at = chunk.seconds - startSeconds;
      return {
        fromSeconds: at,
        toSeconds: at,
        bytes: chunk.bytes,
        chunks: 1,
        ordinal: i + 1,
        totalBytes: chunk.totalBytes,
      };
    });
  }
  const binSeconds = scale.domainSeconds / cap;
  const marks: ChunkMark[] = [];
  let bin = -1;
  let from = 0;
  let to = 0;
  let bytes = 0;
  let n = 0;
  let ordinal = 1;
  let total = 0;
  const flush = (): void => {
    if (n > 0) {
      marks.push({
        fromSeconds: from,
        toSeconds: to,
        bytes,
        chunks: n,
        ordinal,
        totalBytes: total,
      });
    }
  };
  chunks.forEach((chunk, i) => {
    const at = chunk.seconds - startSeconds;
    const chunkBin = Math.min(cap - 1, Math.max(0, Math.floor(at / binSeconds)));
    if (chunkBin !== bin) {
      flush();
      bin = chunkBin;
      from = at;
      bytes = 0;
      n = 0;
      ordinal = i + 1;
    }
    to = at;
    bytes += chunk.bytes;
    total = chunk.totalBytes;
    n++;
  });
  flush();
  return marks;
}
