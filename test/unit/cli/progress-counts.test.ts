// The one-line live display of long runs, on a fake clock.

import picocolors from 'picocolors';
import { describe, expect, it } from 'vitest';
import { CountsProgress, type RunCounts } from '../../../src/cli/progress-counts.js';
import { Clock } from '../../../src/testing/index.js';

const plain = picocolors.createColors(false);

class FakeTerminal {
  writes: string[] = [];
  columns = 80;
  rows = 24;
  write(text: string): boolean {
    this.writes.push(text);
    return true;
  }
}

function setup(columns = 80) {
  const clock = new Clock();
  const stream = new FakeTerminal();
  stream.columns = columns;
  const counts: RunCounts = { poems: 0, failures: 0, bytes: 0, running: 0 };
  const progress = new CountsProgress(() => counts, { stream, clock, colors: plain });
  return { clock, stream, counts, progress };
}

describe('CountsProgress', () => {
  it('shows how many ended, failed and run, and the bytes, on one line', () => {
    const { counts, progress } = setup();
    Object.assign(counts, { poems: 12_000, failures: 345, bytes: 1234, running: 1000 });
    expect(progress.line()).toBe('12,345 done, 345 failed, 1000 running, 1,234 bytes');
    counts.failures = 0;
    expect(progress.line()).toBe('12,000 done, 1000 running, 1,234 bytes');
  });

  it('redraws the line in place once per interval, and erases it when stopped', () => {
    const { clock, stream, counts, progress } = setup();
    progress.render();
    expect(stream.writes).toEqual(['\r\x1b[K0 done, 0 running, 0 bytes']);
    counts.poems = 3;
    clock.advance(0.05);
    expect(progress.frames).toBe(1);
    clock.advance(0.05);
    expect(progress.frames).toBe(2);
    expect(stream.writes.at(-1)).toBe('\r\x1b[K3 done, 0 running, 0 bytes');
    progress.stop();
    expect(stream.writes.at(-1)).toBe('\r\x1b[K');
    clock.advance(1);
    expect(progress.frames).toBe(2);
    expect(clock.getDelayedCalls()).toEqual([]);
  });

  it('never draws a line wider than the terminal', () => {
    const { counts, progress } = setup(30);
    Object.assign(counts, { poems: 123_456_789, bytes: 987_654_321, running: 10_000 });
    expect(progress.line()).toHaveLength(29);
  });

  it('never draws a line wider than the terminal with failures in colour, and keeps them red', () => {
    const colors = picocolors.createColors(true);
    const stream = new FakeTerminal();
    stream.columns = 40;
    const counts: RunCounts = {
      poems: 123_456,
      failures: 12_345,
      bytes: 987_654_321,
      running: 512,
    };
    const progress = new CountsProgress(() => counts, { stream, clock: new Clock(), colors });
    const line = progress.line();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes are what is taken out
    const visible = line.replace(/\x1b\[[0-9;]*m/g, '');
    expect(visible).toBe('135,801 done, 12,345 failed, 512 runnin');
    expect(line).toContain(colors.red('12,345 failed'));
    stream.columns = 21;
    expect(progress.line()).toBe(`135,801 done, ${colors.red('12,345')}`);
  });
});
