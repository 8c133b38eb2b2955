// What a process holds open: descriptors (/proc) and libuv handles, for leak checks in fault tests.

import { readdirSync } from 'node:fs';

/** How many file descriptors process `pid` has open (Linux /proc; default this process). */
export function openFdCount(pid: number | 'self' = 'self'): number {
  // readdirSync opens the directory itself; that descriptor is gone again before it returns.
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** This process's active libuv resources, counted by type ("TCPSocketWrap", "Timeout", …). */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** The types whose count in `now` exceeds the count in `baseline`, with both counts. */
export function resourcesAbove(
  baseline: Record<string, number>,
  now: Record<string, number>,
): Record<string, { baseline: number; now: number }> {
  const above: Record<string, { baseline: number; now: number }> = {};
  for (const [type, count] of Object.entries(now)) {
    const before = baseline[type] ?? 0;
    if (count > before) above[type] = { baseline: before, now: count };
  }
  return above;
}

/**
 * Polls `check` every `stepMs` until it returns true or `limitMs` has passed; resolves to its
 * last answer. For conditions that settle asynchronously (a socket's close reaching the peer),
 * never as a measure of speed.
 */
export async function eventually(
  check: () => boolean,
  limitMs = 10_000,
  stepMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

/** Lets the event loop turn `turns` times (closes and timers of 0 ms get to run). */
export async function turns(count = 3): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** What this process holds open at one moment: descriptors and libuv handles by type. */
export interface Holdings {
  fds: number;
  handles: Record<string, number>;
}

/** What this process holds once pending closes have run: the baseline for a leak check. */
export async function holdings(): Promise<Holdings> {
  await turns();
  return { fds: openFdCount(), handles: activeResources() };
}

/**
 * What is held beyond `baseline`, once it has settled (polled as `eventually` does): `{}` when
 * nothing leaked, else the extra descriptors and each handle type above its baseline count.
 */
export async function leaksSince(baseline: Holdings): Promise<Record<string, unknown>> {
  const leaks = (): Record<string, unknown> => {
    const found: Record<string, unknown> = resourcesAbove(baseline.handles, activeResources());
    const fds = openFdCount();
    if (fds > baseline.fds) found.fds = { baseline: baseline.fds, now: fds };
    return found;
  };
  await eventually(() => Object.keys(leaks()).length === 0);
  return leaks();
}
