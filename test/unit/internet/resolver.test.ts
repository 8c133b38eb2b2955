// The reactor's host name cache: one lookup per name, shared while it runs, kept for a while.

import { describe, expect, it } from 'vitest';
import {
  HOST_ANSWER_LIMIT,
  HOST_ANSWER_SECONDS,
  type HostAnswer,
  HostResolver,
  type LookupFunction,
} from '../../../src/internet/resolver.js';
import { Clock } from '../../../src/testing/clock.js';

type Answer = (error: unknown, addresses?: unknown) => void;

/** A lookup that counts its calls and answers only when the test says so. */
class FakeLookup {
  readonly asked: string[] = [];
  readonly options: unknown[] = [];
  readonly #pending: { host: string; answer: Answer }[] = [];

  readonly lookup: LookupFunction = (host, options, callback) => {
    this.asked.push(host);
    this.options.push(options);
    this.#pending.push({ host, answer: callback as Answer });
  };

  /** Answers the oldest unanswered lookup of `host`. */
  answer(host: string, error: unknown, addresses?: unknown): void {
    const index = this.#pending.findIndex((p) => p.host === host);
    if (index === -1) throw new Error(`no lookup of ${host} is waiting`);
    const [pending] = this.#pending.splice(index, 1);
    pending!.answer(error, addresses);
  }
}

function systemError(code: string, host: string): Error {
  return Object.assign(new Error(`getaddrinfo ${code} ${host}`), { code });
}

const TWO = [
  { address: '192.0.2.1', family: 4 },
  { address: '2001:db8::1', family: 6 },
];

/** Resolves `host` and returns the answer once a turn of microtasks has gone by. */
async function resolved(resolver: HostResolver, host: string): Promise<HostAnswer> {
  return new Promise((resolve) => resolver.resolve(host, resolve));
}

describe('HostResolver', () => {
  it('looks a name up once for any number of concurrent askers, and tells each the answer', async () => {
    const fake = new FakeLookup();
    const resolver = new HostResolver(fake.lookup, new Clock());
    const answers: HostAnswer[] = [];
    for (let i = 0; i < 100; i++) resolver.resolve('poems.example', (a) => answers.push(a));
    expect(fake.asked).toEqual(['poems.example']);
    expect(fake.options[0]).toMatchObject({ all: true });
    fake.answer('poems.example', null, TWO);
    expect(answers).toHaveLength(100);
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]!.addresses).toEqual(TWO);
  });

  it('reuses an answer without asking again until it is a minute old', async () => {
    const fake = new FakeLookup();
    const clock = new Clock();
    const resolver = new HostResolver(fake.lookup, clock);
    const first = resolved(resolver, 'poems.example');
    fake.answer('poems.example', null, TWO);
    await first;
    clock.advance(HOST_ANSWER_SECONDS - 0.001);
    expect(resolver.cached('poems.example')?.addresses).toEqual(TWO);
    clock.advance(0.001);
    expect(resolver.cached('poems.example')).toBeUndefined();
    resolver.resolve('poems.example', () => {});
    expect(fake.asked).toEqual(['poems.example', 'poems.example']);
  });

  it('looks each distinct name up once', () => {
    const fake = new FakeLookup();
    const resolver = new HostResolver(fake.lookup, new Clock());
    for (const host of ['a.example', 'b.example', 'a.example', 'c.example', 'b.example']) {
      if (resolver.cached(host) === undefined) resolver.resolve(host, () => {});
    }
    expect(fake.asked).toEqual(['a.example', 'b.example', 'c.example']);
  });

  it('keeps "no such name" as an answer, so later askers fail without a lookup', async () => {
    const fake = new FakeLookup();
    const resolver = new HostResolver(fake.lookup, new Clock());
    const first = resolved(resolver, 'nowhere.invalid');
    fake.answer('nowhere.invalid', systemError('ENOTFOUND', 'nowhere.invalid'));
    expect((await first).error).toMatchObject({ code: 'ENOTFOUND' });
    expect(resolver.cached('nowhere.invalid')?.error).toMatchObject({ code: 'ENOTFOUND' });
    expect(fake.asked).toHaveLength(1);
  });

  it('asks again after a failure that is no answer (temporary, out of descriptors)', async () => {
    const fake = new FakeLookup();
    const resolver = new HostResolver(fake.lookup, new Clock());
    for (const code of ['EAI_AGAIN', 'EMFILE']) {
      const waiting = resolved(resolver, 'flaky.example');
      fake.answer('flaky.example', systemError(code, 'flaky.example'));
      expect((await waiting).error).toMatchObject({ code });
      expect(resolver.cached('flaky.example')).toBeUndefined();
    }
    expect(fake.asked).toEqual(['flaky.example', 'flaky.example']);
  });

  it('takes an empty answer, or one of no IP addresses, for "no such name"', async () => {
    const fake = new FakeLookup();
    const resolver = new HostResolver(fake.lookup, new Clock());
    const empty = resolved(resolver, 'empty.example');
    fake.answer('empty.example', null, []);
    expect((await empty).error).toMatchObject({ code: 'ENOTFOUND' });
    const junk = resolved(resolver, 'junk.example');
    fake.answer('junk.example', null, [{ address: 'not-an-ip', family: 4 }]);
    expect((await junk).error).toMatchObject({ code: 'ENOTFOUND' });
  });

  it('takes the single address of a lookup that ignores `all`', async () => {
    const fake = new FakeLookup();
    const resolver = new HostResolver(fake.lookup, new Clock());
    const one = resolved(resolver, 'one.example');
    fake.answer('one.example', null, '192.0.2.7');
    expect((await one).addresses).toEqual([{ address: '192.0.2.7', family: 4 }]);
  });

  it('tells the askers later, not from inside resolve(), when the lookup answers at once', async () => {
    const resolver = new HostResolver((_host, _options, callback) => {
      (callback as Answer)(null, TWO);
    }, new Clock());
    let told = false;
    resolver.resolve('quick.example', () => {
      told = true;
    });
    expect(told).toBe(false);
    await Promise.resolve();
    expect(told).toBe(true);
  });

  it('turns a lookup that throws into a failed answer', async () => {
    const resolver = new HostResolver(() => {
      throw new TypeError('broken resolver');
    }, new Clock());
    expect((await resolved(resolver, 'x.example')).error).toBeInstanceOf(TypeError);
  });

  it('answers localhost with 127.0.0.1 then ::1 in any case, and never asks the lookup', () => {
    const fake = new FakeLookup();
    const resolver = new HostResolver(fake.lookup, new Clock());
    for (const host of ['localhost', 'LOCALHOST', 'LocalHost']) {
      expect(resolver.cached(host)?.addresses).toEqual([
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ]);
    }
    expect(fake.asked).toEqual([]);
  });

  it('forgets every answer on clear(), and a lookup running then still tells its askers', async () => {
    const fake = new FakeLookup();
    const resolver = new HostResolver(fake.lookup, new Clock());
    const kept = resolved(resolver, 'kept.example');
    fake.answer('kept.example', null, TWO);
    await kept;
    const running = resolved(resolver, 'running.example');
    resolver.clear();
    expect(resolver.cached('kept.example')).toBeUndefined();
    fake.answer('running.example', null, TWO);
    expect((await running).addresses).toEqual(TWO);
    expect(resolver.cached('running.example')).toBeUndefined();
  });

  it(`keeps at most ${HOST_ANSWER_LIMIT} names, forgetting the oldest first`, async () => {
    const resolver = new HostResolver((_host, _options, callback) => {
      (callback as Answer)(null, TWO);
    }, new Clock());
    for (let i = 0; i <= HOST_ANSWER_LIMIT; i++) resolver.resolve(`h${i}.example`, () => {});
    await Promise.resolve();
    expect(resolver.size).toBe(HOST_ANSWER_LIMIT);
    expect(resolver.cached('h0.example')).toBeUndefined();
    expect(resolver.cached(`h${HOST_ANSWER_LIMIT}.example`)?.addresses).toEqual(TWO);
  });
});
