// The one rule for numbers options take: limits (0 or Infinity is off), delays (finite), counts.

import { describe, expect, it } from 'vitest';
import {
  checkByteLimit,
  checkCount,
  checkDelay,
  checkTimeout,
} from '../../../src/internet/limits.js';
import { ClientFactory } from '../../../src/internet/protocol.js';
import { Reactor } from '../../../src/internet/reactor.js';
import { Clock, MemoryReactor } from '../../../src/testing/index.js';

const NOT_NUMBERS: unknown[] = ['5', null, true, {}, 5n, Symbol('five')];

describe('checkTimeout', () => {
  it('keeps a timeout of 0 or more seconds', () => {
    expect(checkTimeout(0.5, 't')).toBe(0.5);
    expect(checkTimeout(30, 't')).toBe(30);
  });

  it('reads 0 and Infinity alike as no timeout, returned as 0', () => {
    expect(checkTimeout(0, 't')).toBe(0);
    expect(checkTimeout(Number.POSITIVE_INFINITY, 't')).toBe(0);
  });

  it.each([-1, -0.001, Number.NEGATIVE_INFINITY, Number.NaN, ...NOT_NUMBERS])(
    'rejects %s with a RangeError naming the option',
    (value) => {
      expect(() => checkTimeout(value, 'timeouts.idleSeconds')).toThrow(RangeError);
      expect(() => checkTimeout(value, 'timeouts.idleSeconds')).toThrow(/^timeouts\.idleSeconds /);
    },
  );

  it('shows a string as a string in its message', () => {
    expect(() => checkTimeout('5', 't')).toThrow('not "5"');
  });
});

describe('checkByteLimit', () => {
  it('keeps a cap of 1 byte or more', () => {
    expect(checkByteLimit(1, 'maxBytes')).toBe(1);
    expect(checkByteLimit(1024, 'maxBytes')).toBe(1024);
  });

  it('reads 0 and Infinity alike as no cap, returned as Infinity', () => {
    expect(checkByteLimit(0, 'maxBytes')).toBe(Number.POSITIVE_INFINITY);
    expect(checkByteLimit(Number.POSITIVE_INFINITY, 'maxBytes')).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([-1, Number.NEGATIVE_INFINITY, Number.NaN, ...NOT_NUMBERS])(
    'rejects %s with a RangeError naming the option',
    (value) => {
      expect(() => checkByteLimit(value, 'maxBytes')).toThrow(/^maxBytes must be a number/);
    },
  );
});

describe('checkDelay', () => {
  it('keeps a finite delay of 0 or more seconds, 0 included', () => {
    expect(checkDelay(0)).toBe(0);
    expect(checkDelay(0.7, 'delay')).toBe(0.7);
  });

  it.each([Number.POSITIVE_INFINITY, -1, Number.NEGATIVE_INFINITY, Number.NaN, ...NOT_NUMBERS])(
    'rejects %s with a RangeError',
    (value) => {
      expect(() => checkDelay(value, 'graceSeconds')).toThrow(
        /^graceSeconds must be a finite number of seconds >= 0/,
      );
    },
  );
});

describe('checkCount', () => {
  it('keeps a whole number of 1 or more', () => {
    expect(checkCount(1, 'n')).toBe(1);
    expect(checkCount(512, 'n')).toBe(512);
  });

  it.each([0, -1, 1.5, Number.POSITIVE_INFINITY, Number.NaN, 2 ** 53, ...NOT_NUMBERS])(
    'rejects %s with a RangeError naming the option',
    (value) => {
      expect(() => checkCount(value, 'concurrency')).toThrow(/^concurrency must be a whole number/);
    },
  );
});

describe('the reactors follow the rule', () => {
  it('refuses to call later after Infinity seconds, on the reactor and on the Clock', () => {
    const reactor = new Reactor({ clock: new Clock() });
    expect(() => reactor.callLater(Number.POSITIVE_INFINITY, () => {})).toThrow(RangeError);
    expect(() => new Clock().callLater(Number.POSITIVE_INFINITY, () => {})).toThrow(RangeError);
    expect(() => new Clock().advance(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('refuses to reset or delay a call by Infinity seconds', () => {
    const clock = new Clock();
    const call = clock.callLater(1, () => {});
    expect(() => call.reset(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => call.delay(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(call.getTime()).toBe(1);
  });

  it('reads a connect timeout of Infinity as none, as 0 is', () => {
    const reactor = new MemoryReactor();
    reactor.connectTCP('a', 1, new ClientFactory(), { timeout: Number.POSITIVE_INFINITY });
    reactor.connectTCP('a', 1, new ClientFactory(), { timeout: 0 });
    expect(reactor.tcpClients.map((c) => c.timeoutSeconds)).toEqual([0, 0]);
    expect(reactor.getDelayedCalls()).toEqual([]);
  });
});
