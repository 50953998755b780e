import { performance } from 'node:perf_hooks';

/**
 * Wall-clock milliseconds with sub-millisecond resolution. Send times (this
 * process) and tracker receive times (another process) are subtracted from
 * each other, so both sides must read the same clock: the epoch, not a
 * per-process monotonic origin.
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
