// A user's program under `strict`, compiled against the BUILT package (dist/*.d.ts, reached by
// its own name through package.json's exports) by types.test.ts; never run. Every failure the
// library hands out is a PoetryNowError, so `code` and `address` need no cast.

import {
  ConnectionRefusedError,
  type FailedEvent,
  type FetchEvent,
  fetchPoem,
  fetchPoems,
  getPoetry,
  type PoemErrback,
  type PoemResult,
  type PoetryMainResult,
  PoetryNowError,
  type PoetryQueue,
  poemsAsCompleted,
  poetryMain,
} from 'poetry-now';
import { expectTypeOf } from 'vitest';

type RejectedReason = Extract<PoemResult, { status: 'rejected' }>['reason'];

// Exactly the base class: neither `Error` (no code) nor `any` (no checking at all).
expectTypeOf<RejectedReason>().toEqualTypeOf<PoetryNowError>();
expectTypeOf<Parameters<PoemErrback>[0]>().toEqualTypeOf<PoetryNowError>();
expectTypeOf<FailedEvent['error']>().toEqualTypeOf<PoetryNowError>();
expectTypeOf<PoetryMainResult['errors']>().toEqualTypeOf<PoetryNowError[]>();
expectTypeOf<PoetryNowError['code']>().toEqualTypeOf<string>();
expectTypeOf<PoetryNowError['address']>().toEqualTypeOf<string | undefined>();

/** The README's use: a line per failure, by its stable code. */
export async function failuresByCode(addresses: string[]): Promise<string[]> {
  const lines: string[] = [];
  for (const result of await fetchPoems(addresses)) {
    if (result.status === 'fulfilled') continue;
    const code: string = result.reason.code;
    const where: string = result.reason.address ?? result.address;
    if (result.reason instanceof ConnectionRefusedError) lines.push(`${where}: nobody home`);
    else lines.push(`${where}: ${code}`);
  }
  return lines;
}

export async function asCompleted(addresses: string[]): Promise<number> {
  let refused = 0;
  for await (const result of poemsAsCompleted(addresses)) {
    if (result.status === 'rejected' && result.reason.code === 'ERR_CONNECTION_REFUSED') refused++;
  }
  return refused;
}

export function callbacks(port: number): void {
  getPoetry(
    '127.0.0.1',
    port,
    (poem) => console.log(poem.text),
    (error) => console.error(error.code, error.address, error.cause),
    {
      onEvent(event: FetchEvent) {
        if (event.type === 'failed') console.error(event.error.code);
      },
    },
  );
  // An errback written for any Error still fits: a PoetryNowError is one.
  const loose = (error: Error): void => console.error(error.message);
  getPoetry('127.0.0.1', port, () => {}, loose);
}

export function queued(queue: PoetryQueue): void {
  queue.add(
    { host: '127.0.0.1', port: 10000 },
    0,
    () => {},
    (error) => console.error(error.code),
  );
  queue.addAll([{ host: '127.0.0.1', port: 10001 }], (result) => {
    if (result.status === 'rejected') console.error(result.reason.code);
  });
}

export async function main(): Promise<string[]> {
  const { errors } = await poetryMain(['10000', '10001']);
  return errors.map((error) => `${error.address}: ${error.code}`);
}

export async function oneFetch(): Promise<string> {
  try {
    return (await fetchPoem('10000')).text;
  } catch (error) {
    // A Promise cannot type its rejection: the documented way to narrow it.
    if (error instanceof PoetryNowError) return error.code;
    throw error;
  }
}

export function stillChecked(result: PoemResult): void {
  if (result.status !== 'rejected') return;
  // @ts-expect-error `code` is a string, so the reason is not `any`.
  const code: number = result.reason.code;
  // @ts-expect-error a reason has no `poem`: the type is the error class, not something looser.
  console.log(code, result.reason.poem);
}
