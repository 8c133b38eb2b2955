// deliver: the one guard between a fetch and the user code it calls.

import { describe, expect, it } from 'vitest';
import { deliver } from '../../../src/poetry/deliver.js';
import { MemoryReactor } from '../../../src/testing/index.js';

describe('deliver', () => {
  it('hands the value to the function', () => {
    const reactor = new MemoryReactor();
    const got: number[] = [];
    deliver(reactor, 'callback', (value: number) => got.push(value), 7);
    expect(got).toEqual([7]);
    expect(reactor.errors).toEqual([]);
  });

  it.each([
    ['callback', 'gotPoem callback', 'poem callback'],
    ['errback', 'gotPoem errback', 'poem errback'],
    ['listener', 'gotPoem listener', 'onEvent listener'],
  ] as const)(
    'reports what a %s throws under its name (%s, or %s when it has none), and goes no further',
    (role, named, nameless) => {
      const reactor = new MemoryReactor();
      const bug = new Error('bug');
      function gotPoem(): void {
        throw bug;
      }
      const anonymous = [
        () => {
          throw bug;
        },
      ][0]!;
      expect(() => deliver(reactor, role, gotPoem, undefined)).not.toThrow();
      expect(() => deliver(reactor, role, anonymous, undefined)).not.toThrow();
      expect(reactor.errors).toEqual([
        { error: bug, where: named },
        { error: bug, where: nameless },
      ]);
    },
  );

  it('reports a thrown non-Error as it was thrown', () => {
    const reactor = new MemoryReactor();
    deliver(
      reactor,
      'errback',
      function poemFailed() {
        throw 'just a string';
      },
      new Error('x'),
    );
    expect(reactor.errors).toEqual([{ error: 'just a string', where: 'poemFailed errback' }]);
  });
});
