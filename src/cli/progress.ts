// The live progress display: a line per fetch, redrawn in place on a terminal from fetch events.

import { clearScreenDown, cursorTo, moveCursor } from 'node:readline';
import type { IDelayedCall, IReactorTime } from '../internet/interfaces.js';
import type { FetchEvent } from '../poetry/events.js';
import { type Colors, escapeControlCharacters, formatByteCount } from './terminal.js';

/** What a progress display writes to: a terminal's stream (its size is read at every frame). */
export interface ProgressStream {
  write(text: string): boolean;
  columns?: number;
  rows?: number;
}

export interface ProgressOptions {
  stream: ProgressStream;
  /** Where the redraw timer runs: the reactor (a fake Clock in tests). */
  clock: IReactorTime;
  colors: Colors;
  /** The shortest time between two frames, in seconds. Default 0.1 (at most 10 a second). */
  intervalSeconds?: number;
}

type TaskState =
  | 'waiting'
  | 'connecting'
  | 'receiving'
  | 'retrying'
  | 'done'
  | 'failed'
  | 'cancelled';

interface TaskLine {
  readonly label: string;
  state: TaskState;
  bytes: number;
  /** The try that comes next, while `retrying`. */
  attempt: number;
}

/** A stand-in stream that collects readline's escape sequences so a frame is one write. */
class Collector {
  text = '';
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

/**
 * Shows each fetch's address, state and bytes so far, one line per fetch, redrawn in place.
 * Feed it every `FetchEvent` through `onEvent`; it redraws at most once per `intervalSeconds`
 * (an event only marks the display dirty, so a flood of chunk events costs a field update each).
 * When there are more fetches than the terminal has rows, the running ones are shown and the
 * rest counted on a totals line.
 *
 * Lifecycle: new → onEvent* (drawing as it goes) → stop() erases what it drew. Write nothing
 * else to the stream in between, or the redraw will overwrite it.
 */
export class ProgressRenderer {
  readonly #tasks: TaskLine[];
  readonly #stream: ProgressStream;
  readonly #clock: IReactorTime;
  readonly #colors: Colors;
  readonly #intervalSeconds: number;
  /** How many lines the last frame drew (the cursor sits just below them). */
  #drawn = 0;
  #lastFrameSeconds = Number.NEGATIVE_INFINITY;
  #timer: IDelayedCall | undefined = undefined;
  #stopped = false;
  /** How many frames have been drawn; for tests only. */
  frames = 0;

  /** `labels[i]` names the fetch whose events carry index `i`. */
  constructor(labels: readonly string[], options: ProgressOptions) {
    this.#tasks = labels.map((label) => ({
      label: escapeControlCharacters(label),
      state: 'waiting',
      bytes: 0,
      attempt: 1,
    }));
    this.#stream = options.stream;
    this.#clock = options.clock;
    this.#colors = options.colors;
    this.#intervalSeconds = options.intervalSeconds ?? 0.1;
  }

  /** The listener to pass as `onEvent`. */
  readonly onEvent = (event: FetchEvent): void => {
    const task = this.#tasks[event.index];
    if (task === undefined || this.#stopped) return;
    switch (event.type) {
      case 'queued':
        task.state = 'waiting';
        task.bytes = 0;
        break;
      case 'connecting':
      case 'connected':
        task.state = 'connecting';
        break;
      case 'firstByte':
        task.state = 'receiving';
        break;
      case 'chunk':
        task.state = 'receiving';
        task.bytes = event.totalBytes;
        break;
      case 'done':
        task.state = 'done';
        task.bytes = event.bytes;
        break;
      case 'retrying':
        // What the failed try received is dropped: the next one starts from nothing.
        task.state = 'retrying';
        task.attempt = event.attempt;
        task.bytes = 0;
        break;
      case 'failed':
        task.state = event.error.code === 'ERR_CANCELLED' ? 'cancelled' : 'failed';
        break;
    }
    this.#schedule();
  };

  /** Draws a frame now (the first one, typically). */
  render(): void {
    if (this.#stopped) return;
    this.#cancelTimer();
    this.#lastFrameSeconds = this.#clock.seconds();
    const lines = this.lines();
    const out = new Collector();
    this.#erase(out);
    for (const line of lines) out.text += `${line}\n`;
    this.#drawn = lines.length;
    this.frames++;
    this.#stream.write(out.text);
  }

  /** Erases the display and stops drawing; later events are ignored. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#cancelTimer();
    const out = new Collector();
    this.#erase(out);
    this.#drawn = 0;
    if (out.text !== '') this.#stream.write(out.text);
  }

  /** The lines of the next frame, without escape sequences for the cursor; for tests too. */
  lines(): string[] {
    const columns = Math.max(20, (this.#stream.columns ?? 80) - 1);
    const room = Math.max(1, (this.#stream.rows ?? 24) - 2);
    const c = this.#colors;
    const tasks = this.#tasks;
    const numberWidth = String(tasks.length).length;
    let labelWidth = 0;
    let shown: number[];
    if (tasks.length <= room) {
      shown = tasks.map((_, i) => i);
    } else {
      shown = [];
      for (let i = 0; i < tasks.length && shown.length < room - 1; i++) {
        const state = tasks[i]!.state;
        if (state === 'connecting' || state === 'receiving' || state === 'retrying') shown.push(i);
      }
    }
    for (const i of shown) labelWidth = Math.max(labelWidth, tasks[i]!.label.length);
    const lines = shown.map((i) => {
      const task = tasks[i]!;
      const number = String(i + 1).padStart(numberWidth);
      const state = task.state === 'retrying' ? `retry ${task.attempt}` : task.state;
      const tail = ` ${state.padEnd(10)} ${formatByteCount(task.bytes)}`;
      const width = Math.min(labelWidth, columns - number.length - 1 - tail.length);
      const label = fitWidth(task.label, width);
      return `${c.dim(number)} ${label}${colorState(c, task.state, tail)}`;
    });
    if (tasks.length > 1) lines.push(fitWidth(this.#totals(), columns).trimEnd());
    return lines;
  }

  #totals(): string {
    const counts: Record<TaskState, number> = {
      waiting: 0,
      connecting: 0,
      receiving: 0,
      retrying: 0,
      done: 0,
      failed: 0,
      cancelled: 0,
    };
    let bytes = 0;
    for (const task of this.#tasks) {
      counts[task.state]++;
      bytes += task.bytes;
    }
    const parts = [
      `${counts.done}/${this.#tasks.length} done`,
      counts.failed > 0 ? `${counts.failed} failed` : '',
      counts.cancelled > 0 ? `${counts.cancelled} cancelled` : '',
      `${counts.connecting + counts.receiving} running`,
      counts.retrying > 0 ? `${counts.retrying} retrying` : '',
      counts.waiting > 0 ? `${counts.waiting} waiting` : '',
      formatByteCount(bytes),
    ];
    return parts.filter((part) => part !== '').join(', ');
  }

  #schedule(): void {
    if (this.#timer?.active()) return;
    const wait = Math.max(
      0,
      this.#lastFrameSeconds + this.#intervalSeconds - this.#clock.seconds(),
    );
    this.#timer = this.#clock.callLater(wait, this.#onTimer);
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.render();
  };

  #cancelTimer(): void {
    const timer = this.#timer;
    this.#timer = undefined;
    if (timer?.active()) timer.cancel();
  }

  #erase(out: Collector): void {
    if (this.#drawn === 0) return;
    moveCursor(out as unknown as NodeJS.WritableStream, 0, -this.#drawn);
    cursorTo(out as unknown as NodeJS.WritableStream, 0);
    clearScreenDown(out as unknown as NodeJS.WritableStream);
  }
}

function colorState(c: Colors, state: TaskState, text: string): string {
  switch (state) {
    case 'done':
      return c.green(text);
    case 'failed':
      return c.red(text);
    case 'receiving':
      return c.cyan(text);
    case 'connecting':
    case 'retrying':
      return c.yellow(text);
    default:
      return c.dim(text);
  }
}

/** Cuts `text` to `width` characters, marking the cut, so no line wraps and breaks the redraw. */
function fitWidth(text: string, width: number): string {
  if (width <= 1) return '';
  return text.length <= width ? text.padEnd(width) : `${text.slice(0, width - 1)}…`;
}
