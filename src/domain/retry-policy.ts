/** Delay before retry n (index n-1); attempts = entries + 1. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = Object.freeze([
  5_000, 60_000, 300_000, 1_800_000, 7_200_000, 21_600_000, 43_200_000,
]);

export interface NextRetryDelayInput {
  /** Attempts that have failed so far: 1 after the first attempt. */
  failedAttempts: number;
  delaysMs: readonly number[];
  /** Spread of the random jitter around the scheduled delay, 0..1. */
  jitterRatio?: number;
  /** Injected so tests are deterministic; must return [0, 1). */
  random?: () => number;
  /** The tracker's Retry-After, already converted to ms. */
  retryAfterMs?: number;
  /** A tracker must not be able to park a delivery for days with one header. */
  retryAfterCapMs?: number;
}

/**
 * Milliseconds to wait before the next attempt, or null when the schedule is
 * exhausted. Jitter keeps retries for one flapping tracker from arriving in
 * lockstep; Retry-After can only push a retry later, never earlier than the
 * schedule, so a tracker cannot make us hammer it.
 */
export function nextRetryDelay({
  failedAttempts,
  delaysMs,
  jitterRatio = 0.2,
  random = Math.random,
  retryAfterMs,
  retryAfterCapMs = 3_600_000,
}: NextRetryDelayInput): number | null {
  if (!Number.isInteger(failedAttempts) || failedAttempts < 1) {
    throw new RangeError(`failedAttempts must be a positive integer, got ${failedAttempts}`);
  }
  if (!(jitterRatio >= 0 && jitterRatio <= 1)) {
    throw new RangeError(`jitterRatio must be within 0..1, got ${jitterRatio}`);
  }
  if (failedAttempts > delaysMs.length) return null;
  const scheduled = delaysMs[failedAttempts - 1] ?? 0;

  const floor = Math.ceil(scheduled * (1 - jitterRatio));
  const jittered = Math.round(scheduled * (1 + jitterRatio * (2 * random() - 1)));
  const delay = Math.max(floor, jittered);

  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs) || retryAfterMs <= 0) return delay;
  return Math.max(delay, Math.min(retryAfterMs, retryAfterCapMs));
}

/** Parses `5000,60000` (DELIVERY_RETRY_DELAYS_MS). Blank means no retries at all. */
export function parseDelayList(text: string): number[] {
  if (text.trim() === '') return [];
  return text.split(',').map((entry) => {
    const trimmed = entry.trim();
    const value = Number(trimmed);
    if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(value)) {
      throw new TypeError(`invalid retry delay "${entry}": expected a whole number of milliseconds`);
    }
    return value;
  });
}

/** What one attempt taught us, as the HTTP client classified it (src/delivery/classify.ts). */
export type AttemptOutcome = 'delivered' | 'retry' | 'failed';

export interface RetrySchedule {
  delaysMs: readonly number[];
  jitterRatio: number;
  retryAfterCapMs: number;
}

export interface DecideNextInput {
  outcome: AttemptOutcome;
  /** Attempts made in this round (since creation or the last redrive), this one included. */
  attempt: number;
  schedule: RetrySchedule;
  /** The tracker's Retry-After in ms, when it sent one. */
  retryAfterMs?: number;
  /** When the attempt finished (unix ms). */
  now: number;
  random?: () => number;
}

export type NextStep =
  { state: 'delivered' } | { state: 'failed'; why: 'permanent' | 'exhausted' } | { state: 'retrying'; nextAttemptAt: number };

/**
 * The one decision "delivered, retry when, or give up" after an attempt.
 * Everything else (the ledger, the retry job, the audit) follows from it.
 * Whether the host's circuit is open is not part of it: an open circuit
 * parks a delivery before any attempt (src/worker/delivery-runner.ts), and a
 * parked delivery uses no attempt of its schedule.
 */
export function decideNext({ outcome, attempt, schedule, retryAfterMs, now, random }: DecideNextInput): NextStep {
  if (outcome === 'delivered') return { state: 'delivered' };
  if (outcome === 'failed') return { state: 'failed', why: 'permanent' };
  const delay = nextRetryDelay({
    failedAttempts: attempt,
    delaysMs: schedule.delaysMs,
    jitterRatio: schedule.jitterRatio,
    retryAfterCapMs: schedule.retryAfterCapMs,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(random ? { random } : {}),
  });
  return delay === null ? { state: 'failed', why: 'exhausted' } : { state: 'retrying', nextAttemptAt: now + delay };
}
