// The time axis: nice steps, a domain rounded up to a tick, pixels in proportion.

import { describe, expect, it } from 'vitest';
import { niceStep, timeScale } from '../../../src/timeline/scale.js';

describe('niceStep', () => {
  it('rounds up to 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(0.7)).toBe(1);
    expect(niceStep(1)).toBe(1);
    expect(niceStep(1.2)).toBe(2);
    expect(niceStep(3)).toBe(5);
    expect(niceStep(7)).toBe(10);
    expect(niceStep(0.03)).toBeCloseTo(0.05, 12);
    expect(niceStep(0.1 + 0.2)).toBeCloseTo(0.5, 12);
    expect(niceStep(0.30000000000000004 / 3)).toBeCloseTo(0.1, 12);
    expect(niceStep(4000)).toBe(5000);
  });
});

describe('timeScale', () => {
  it('ends the axis on the first tick at or past the duration', () => {
    const scale = timeScale(5.6, 0, 600);
    expect(scale.stepSeconds).toBe(1);
    expect(scale.domainSeconds).toBe(6);
    expect(scale.ticks).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(scale.decimals).toBe(0);
  });

  it('maps seconds to pixels in proportion, clamped to the axis', () => {
    const scale = timeScale(10, 100, 600);
    expect(scale.x(0)).toBe(100);
    expect(scale.x(scale.domainSeconds)).toBe(600);
    expect(scale.x(scale.domainSeconds / 2)).toBe(350);
    expect(scale.x(-1)).toBe(100);
    expect(scale.x(1e9)).toBe(600);
  });

  it('gives ticks with the decimals their step needs, free of float noise', () => {
    const scale = timeScale(0.7, 0, 700);
    expect(scale.stepSeconds).toBeCloseTo(0.1, 12);
    expect(scale.decimals).toBe(1);
    expect(scale.ticks).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
  });

  it('keeps the number of ticks near one per tick spacing', () => {
    for (const duration of [0.0003, 0.004, 0.9, 3, 42, 999, 86_400]) {
      const scale = timeScale(duration, 0, 800);
      expect(scale.ticks.length).toBeGreaterThanOrEqual(3);
      expect(scale.ticks.length).toBeLessThanOrEqual(13);
      expect(scale.domainSeconds).toBeGreaterThanOrEqual(duration);
    }
  });

  it('gives a run of no length a one-second axis', () => {
    for (const duration of [0, -1, Number.NaN]) {
      expect(timeScale(duration, 0, 500).domainSeconds).toBe(1);
    }
  });
});
