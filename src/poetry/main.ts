// poetryMain: the tutorial's main program, which runs the reactor until every poem has ended.

import { type PoetryNowError, ReactorAlreadyRunningError } from '../internet/errors.js';
import { reactor as sharedReactor } from '../internet/reactor.js';
import {
  type AddressLike,
  type PoemResult,
  PoetryQueue,
  type PoetryQueueOptions,
  toAddress,
} from './fetch.js';
import type { Poem } from './poem.js';

export interface PoetryMainResult {
  /** The poems, in the order they finished (the tutorial's `poems` list). */
  poems: Poem[];
  /** The failures, in the order they happened (the tutorial's `errors` list). */
  errors: PoetryNowError[];
  /** One result per address, in argument order. */
  results: PoemResult[];
  /** From the first connection attempt to the last poem or failure, in reactor seconds. */
  elapsedSeconds: number;
}

/**
 * The tutorial's `poetry_main` without the printing: a `getPoetry` per address (through a
 * `PoetryQueue`, so at most `concurrency` run at once) with `gotPoem` and `poemFailed` filling
 * the `poems` and `errors` lists, and the reactor run until `poemDone` sees that poems plus
 * errors equal the number of addresses and stops it. The protocol and factory never stop it.
 *
 * Rejects with `InvalidAddressError` (before connecting anywhere) for a malformed address, and
 * with `ReactorAlreadyRunningError` if the reactor is already running.
 */
export async function poetryMain(
  addresses: readonly AddressLike[],
  options: PoetryQueueOptions = {},
): Promise<PoetryMainResult> {
  const targets = addresses.map(toAddress);
  const reactor = options.reactor ?? sharedReactor;
  const poems: Poem[] = [];
  const errors: PoetryNowError[] = [];
  const results = new Array<PoemResult>(targets.length);
  if (targets.length === 0) return { poems, errors, results, elapsedSeconds: 0 };

  // Checked before the queue subscribes to the signal, so a refusal leaves nothing behind; the
  // queue's own checks (RangeError) come before the reactor runs, so they leave it idle.
  if (reactor.running) throw new ReactorAlreadyRunningError('the reactor is already running');
  const queue = new PoetryQueue({ ...options, reactor });
  // Run before the first fetch: every callback comes later, so poemDone finds it running.
  const stopped = reactor.run();
  const startedSeconds = reactor.seconds();
  let endedSeconds = startedSeconds;

  function poemDone(): void {
    if (poems.length + errors.length === targets.length) {
      endedSeconds = reactor.seconds();
      if (reactor.running) reactor.stop();
    }
  }

  function gotPoem(poem: Poem): void {
    poems.push(poem);
    poemDone();
  }

  function poemFailed(error: PoetryNowError): void {
    errors.push(error);
    poemDone();
  }

  // The queue makes each address's result; poetryMain keeps it and hands on what is in it.
  queue.addAll(targets, (result) => {
    results[result.index] = result;
    if (result.status === 'fulfilled') gotPoem(result.value);
    else poemFailed(result.reason);
  });

  await stopped;
  queue.close();
  // Someone else stopped the reactor before every fetch ended: what is left was cut off.
  if (poems.length + errors.length < targets.length) {
    queue.cancel(new Error('the reactor was stopped'));
  }
  return { poems, errors, results, elapsedSeconds: endedSeconds - startedSeconds };
}
