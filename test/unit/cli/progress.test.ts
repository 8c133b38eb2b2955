// The live progress display, driven by fetch events on a fake clock.

import picocolors from 'picocolors';
import { describe, expect, it } from 'vitest';
import { ProgressRenderer } from '../../../src/cli/progress.js';
import { ConnectionRefusedError, UserCancelledError } from '../../../src/internet/errors.js';
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

function setup(labels: string[], rows = 24) {
  const clock = new Clock();
  const stream = new FakeTerminal();
  stream.rows = rows;
  const progress = new ProgressRenderer(labels, { stream, clock, colors: plain });
  return { clock, stream, progress };
}

const at = (index: number, address = '127.0.0.1:10000') => ({ index, address, seconds: 0 });

describe('ProgressRenderer', () => {
  it('shows a line per task with its address, state and bytes, and a totals line', () => {
    const { progress } = setup(['127.0.0.1:10000', '[::1]:10001', 'localhost:10002']);
    progress.onEvent({ type: 'connecting', ...at(0) });
    progress.onEvent({ type: 'chunk', ...at(1), bytes: 1234, totalBytes: 1234 });
    progress.onEvent({ type: 'done', ...at(2), bytes: 99 });
    expect(progress.lines().map((line) => line.trimEnd())).toEqual([
      '1 127.0.0.1:10000 connecting 0 bytes',
      '2 [::1]:10001     receiving  1,234 bytes',
      '3 localhost:10002 done       99 bytes',
      '1/3 done, 2 running, 1,333 bytes',
    ]);
  });

  it('tells failed from cancelled tasks', () => {
    const { progress } = setup(['a:1', 'b:2']);
    progress.onEvent({
      type: 'failed',
      ...at(0),
      error: new ConnectionRefusedError('connection refused'),
    });
    progress.onEvent({ type: 'failed', ...at(1), error: new UserCancelledError('cancelled') });
    const lines = progress.lines();
    expect(lines[0]).toContain('failed');
    expect(lines[1]).toContain('cancelled');
    expect(lines[2]).toBe('0/2 done, 1 failed, 1 cancelled, 0 running, 0 bytes');
  });

  it('redraws at most ten times a second however many events arrive', () => {
    const { clock, stream, progress } = setup(['127.0.0.1:10000']);
    let total = 0;
    for (let i = 0; i < 1000; i++) {
      total += 10;
      progress.onEvent({ type: 'chunk', ...at(0), bytes: 10, totalBytes: total });
      clock.advance(0.001);
    }
    // One second of events: the first frame at once, then one per 0.1 s.
    expect(progress.frames).toBeLessThanOrEqual(11);
    expect(progress.frames).toBeGreaterThanOrEqual(9);
    clock.advance(1);
    expect(stream.writes.at(-1)).toContain('10,000 bytes');
  });

  it('draws nothing until an event or render, and nothing more once stopped', () => {
    const { clock, stream, progress } = setup(['127.0.0.1:10000']);
    clock.advance(5);
    expect(stream.writes).toEqual([]);
    progress.render();
    progress.stop();
    const count = stream.writes.length;
    progress.onEvent({ type: 'connecting', ...at(0) });
    clock.advance(5);
    expect(stream.writes).toHaveLength(count);
  });

  it('moves the cursor back over its last frame and clears it, in one write per frame', () => {
    const { stream, progress } = setup(['a:1', 'b:2']);
    progress.render();
    expect(stream.writes).toHaveLength(1);
    expect(stream.writes[0]).not.toContain('\x1b[');
    progress.render();
    // Three lines were drawn: up three, column 0, clear to the end of the screen.
    expect(stream.writes[1]!.startsWith('\x1b[3A\x1b[1G\x1b[0J')).toBe(true);
    progress.stop();
    expect(stream.writes[2]).toBe('\x1b[3A\x1b[1G\x1b[0J');
  });

  it('shows the running tasks and a count when there are more tasks than rows', () => {
    const labels = Array.from({ length: 100 }, (_, i) => `127.0.0.1:${10000 + i}`);
    const { progress } = setup(labels, 10);
    progress.onEvent({ type: 'connecting', ...at(41, labels[41]) });
    progress.onEvent({ type: 'chunk', ...at(77, labels[77]), bytes: 5, totalBytes: 5 });
    progress.onEvent({ type: 'done', ...at(3, labels[3]), bytes: 5 });
    const lines = progress.lines();
    expect(lines.length).toBeLessThanOrEqual(8);
    expect(lines[0]).toContain('127.0.0.1:10041');
    expect(lines[1]).toContain('127.0.0.1:10077');
    expect(lines.at(-1)).toBe('1/100 done, 2 running, 97 waiting, 10 bytes');
  });

  it('never draws a line wider than the terminal', () => {
    const { stream, progress } = setup([`${'very-long-host-name.'.repeat(10)}example:1`, 'b:2']);
    stream.columns = 40;
    for (const line of progress.lines()) expect(line.length).toBeLessThan(40);
  });

  it('escapes control characters in labels', () => {
    const { progress } = setup(['evil\x1b[2J:1']);
    expect(progress.lines()[0]).toContain('evil^[[2J:1');
  });
});
