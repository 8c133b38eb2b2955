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
    ['callback', 'gotPoem callback'],
    ['errback', 'gotPoem errback'],
    ['listener', 'gotPoem listener'],
  ] as const)('reports what a %s throws under its name, and goes no further', (role, where) => {
    const reactor = new MemoryReactor();
    const bug = new Error('bug');
    function gotPoem(): void {
      throw bug;
    }
    expect(() => deliver(reactor, role, gotPoem, undefined)).not.toThrow();
    expect(reactor.errors).toEqual([{ error: bug, where }]);
  });

  it.each([
    ['callback', 'poem callback'],
    ['errback', 'poem errback'],
    ['listener', 'onEvent listener'],
  ] as const)('names a nameless %s by its part', (role, where) => {
    const reactor = new MemoryReactor();
    const nameless = [
      () => {
        throw new Error('bug');
      },
    ][0]!;
    deliver(reactor, role, nameless, undefined);
    expect(reactor.errors.map((e) => e.where)).toEqual([where]);
  });

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
