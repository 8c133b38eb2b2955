// The time axis: a domain in seconds rounded up to a tick, and ticks at 1, 2 or 5 × 10^k seconds.

/** A linear scale from seconds since the start of the run to pixels. */
export interface TimeScale {
  /** The axis ends here, in seconds since the start: the run's duration rounded up to a tick. */
  readonly domainSeconds: number;
  /** Seconds between ticks. */
  readonly stepSeconds: number;
  /** Tick positions, in seconds since the start, from 0 to `domainSeconds`. */
  readonly ticks: readonly number[];
  /** Decimals that tell the ticks apart (0 for whole seconds, 1 for 0.5 s steps, …). */
  readonly decimals: number;
  /** Where `seconds` since the start falls, in pixels (clamped to the axis). */
  x(seconds: number): number;
}

/** The smallest of 1, 2, 5 × 10^k that is at least `raw` (raw > 0). */
export function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  // The slack keeps float noise (0.30000000000000004) from jumping to the next step.
  const nice = fraction <= 1 + 1e-9 ? 1 : fraction <= 2 + 1e-9 ? 2 : fraction <= 5 + 1e-9 ? 5 : 10;
  return nice * power;
}

/**
 * A scale for a run lasting `durationSeconds`, drawn from `x0` to `x1` pixels, with about one
 * tick per `tickSpacingPixels`. A run of no length (or none at all) gets a one-second axis.
 */
export function timeScale(
  durationSeconds: number,
  x0: number,
  x1: number,
  tickSpacingPixels = 100,
): TimeScale {
  const duration = Number.isFinite(durationSeconds) && durationSeconds > 0 ? durationSeconds : 1;
  const targetTicks = Math.max(2, Math.floor((x1 - x0) / tickSpacingPixels));
  const stepSeconds = niceStep(duration / targetTicks);
  const count = Math.max(1, Math.ceil(duration / stepSeconds - 1e-9));
  const domainSeconds = count * stepSeconds;
  const decimals = Math.max(0, -Math.floor(Math.log10(stepSeconds) + 1e-9));
  const ticks: number[] = [];
  // Multiplying (not adding) keeps the ticks free of accumulated float error.
  for (let i = 0; i <= count; i++) ticks.push(Number((i * stepSeconds).toFixed(decimals)));
  const width = x1 - x0;
  return {
    domainSeconds,
    stepSeconds,
    ticks,
    decimals,
    x(seconds: number): number {
      const clamped = Math.min(Math.max(seconds, 0), domainSeconds);
      return x0 + (clamped / domainSeconds) * width;
    },
  };
}
