import { sleep } from './clock.js';

/**
 * Polls `read` until it reaches `target`. Fails when nothing moved for
 * `stallMs` (something is stuck) or after `timeoutMs` in all (something is
 * far too slow); the error says how far it got.
 */
export async function waitForCount(
  what: string,
  read: () => Promise<number>,
  target: number,
  options: { stallMs: number; timeoutMs: number; intervalMs?: number },
): Promise<void> {
  const start = Date.now();
  let last = -1;
  let lastChange = start;
  for (;;) {
    const value = await read();
    if (value >= target) return;
    const now = Date.now();
    if (value !== last) {
      last = value;
      lastChange = now;
    }
    if (now - lastChange > options.stallMs) {
      throw new Error(`${what}: stuck at ${value} of ${target} for ${Math.round((now - lastChange) / 1000)} s`);
    }
    if (now - start > options.timeoutMs) {
      throw new Error(`${what}: only ${value} of ${target} after ${Math.round((now - start) / 1000)} s`);
    }
    await sleep(options.intervalMs ?? 100);
  }
}

/** Polls an HTTP URL until it answers 200. */
export async function waitForHttpOk(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
      last = `${response.status} ${(await response.text()).slice(0, 200)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms (last: ${last})`);
}
