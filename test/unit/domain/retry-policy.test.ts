import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_DELAYS_MS, decideNext, nextRetryDelay, parseDelayList } from '../../../src/domain/retry-policy.js';

const fixed = (value: number) => () => value;

describe('DEFAULT_RETRY_DELAYS_MS', () => {
  it('is the documented schedule: 5 s, 1 m, 5 m, 30 m, 2 h, 6 h, 12 h', () => {
    expect(DEFAULT_RETRY_DELAYS_MS).toEqual([5_000, 60_000, 300_000, 1_800_000, 7_200_000, 21_600_000, 43_200_000]);
  });
});

describe('nextRetryDelay', () => {
  const delaysMs = [1_000, 10_000, 100_000];

  it('follows the schedule with no jitter', () => {
    expect(nextRetryDelay({ failedAttempts: 1, delaysMs, jitterRatio: 0 })).toBe(1_000);
    expect(nextRetryDelay({ failedAttempts: 2, delaysMs, jitterRatio: 0 })).toBe(10_000);
    expect(nextRetryDelay({ failedAttempts: 3, delaysMs, jitterRatio: 0 })).toBe(100_000);
  });

  it('is exhausted after entries + 1 attempts', () => {
    expect(nextRetryDelay({ failedAttempts: 4, delaysMs })).toBeNull();
    expect(nextRetryDelay({ failedAttempts: 1, delaysMs: [] })).toBeNull();
    expect(nextRetryDelay({ failedAttempts: 8, delaysMs: DEFAULT_RETRY_DELAYS_MS })).toBeNull();
    expect(nextRetryDelay({ failedAttempts: 7, delaysMs: DEFAULT_RETRY_DELAYS_MS, jitterRatio: 0 })).toBe(43_200_000);
  });

  it('spreads by ±jitterRatio', () => {
    expect(nextRetryDelay({ failedAttempts: 2, delaysMs, jitterRatio: 0.2, random: fixed(0) })).toBe(8_000);
    expect(nextRetryDelay({ failedAttempts: 2, delaysMs, jitterRatio: 0.2, random: fixed(0.5) })).toBe(10_000);
    expect(nextRetryDelay({ failedAttempts: 2, delaysMs, jitterRatio: 0.2, random: fixed(0.999999) })).toBe(12_000);
  });

  it('defaults to 20% jitter and never goes below delay × (1 - ratio)', () => {
    for (let i = 0; i < 1000; i++) {
      const delay = nextRetryDelay({ failedAttempts: 1, delaysMs: [5_000] });
      expect(delay).not.toBeNull();
      expect(delay!).toBeGreaterThanOrEqual(4_000);
      expect(delay!).toBeLessThanOrEqual(6_000);
    }
    // A misbehaving random source still cannot pull the retry earlier.
    expect(nextRetryDelay({ failedAttempts: 1, delaysMs: [5_000], random: fixed(-3) })).toBe(4_000);
  });

  it('honours a Retry-After later than the schedule', () => {
    expect(nextRetryDelay({ failedAttempts: 1, delaysMs, jitterRatio: 0, retryAfterMs: 30_000 })).toBe(30_000);
  });

  it('never retries earlier than the schedule because of Retry-After', () => {
    expect(nextRetryDelay({ failedAttempts: 2, delaysMs, jitterRatio: 0, retryAfterMs: 1_000 })).toBe(10_000);
    expect(nextRetryDelay({ failedAttempts: 2, delaysMs, jitterRatio: 0, retryAfterMs: 0 })).toBe(10_000);
  });

  it('caps Retry-After', () => {
    expect(nextRetryDelay({ failedAttempts: 1, delaysMs, jitterRatio: 0, retryAfterMs: 86_400_000 })).toBe(3_600_000);
    expect(
      nextRetryDelay({ failedAttempts: 1, delaysMs, jitterRatio: 0, retryAfterMs: 86_400_000, retryAfterCapMs: 60_000 }),
    ).toBe(60_000);
    // The cap limits the tracker's wish, not our own schedule.
    expect(
      nextRetryDelay({ failedAttempts: 3, delaysMs, jitterRatio: 0, retryAfterMs: 86_400_000, retryAfterCapMs: 60_000 }),
    ).toBe(100_000);
  });

  it('ignores a non-finite Retry-After', () => {
    expect(nextRetryDelay({ failedAttempts: 1, delaysMs, jitterRatio: 0, retryAfterMs: Number.NaN })).toBe(1_000);
  });

  it('rejects nonsense input', () => {
    expect(() => nextRetryDelay({ failedAttempts: 0, delaysMs })).toThrow(RangeError);
    expect(() => nextRetryDelay({ failedAttempts: 1.5, delaysMs })).toThrow(RangeError);
    expect(() => nextRetryDelay({ failedAttempts: 1, delaysMs, jitterRatio: 2 })).toThrow(RangeError);
  });
});

describe('parseDelayList', () => {
  it('parses a comma list', () => {
    expect(parseDelayList('1000,5000')).toEqual([1000, 5000]);
    expect(parseDelayList(' 1000 , 5000 ,60000 ')).toEqual([1000, 5000, 60000]);
    expect(parseDelayList('0')).toEqual([0]);
  });

  it('reads blank as no retries', () => {
    expect(parseDelayList('')).toEqual([]);
    expect(parseDelayList('   ')).toEqual([]);
  });

  it.each([
    ['1000,abc', 'abc'],
    ['1000,,5000', '""'],
    ['1000,', '""'],
    ['-5', '-5'],
    ['1.5', '1.5'],
    ['1e3', '1e3'],
    ['5s', '5s'],
    ['99999999999999999999', '99999999999999999999'],
  ])('throws a TypeError naming the bad entry in %j', (text, bad) => {
    expect(() => parseDelayList(text)).toThrow(TypeError);
    expect(() => parseDelayList(text)).toThrow(bad);
  });
});

describe('decideNext', () => {
  const schedule = { delaysMs: [1_000, 10_000], jitterRatio: 0, retryAfterCapMs: 60_000 };
  const now = 1_000_000;
  // One row per decision the worker can take after an attempt.
  it.each([
    { case: '2xx', outcome: 'delivered', attempt: 1, expected: { state: 'delivered' } },
    {
      case: 'permanent 4xx on the first attempt',
      outcome: 'failed',
      attempt: 1,
      expected: { state: 'failed', why: 'permanent' },
    },
    { case: 'permanent 4xx after retries', outcome: 'failed', attempt: 2, expected: { state: 'failed', why: 'permanent' } },
    {
      case: 'retryable, first failure',
      outcome: 'retry',
      attempt: 1,
      expected: { state: 'retrying', nextAttemptAt: now + 1_000 },
    },
    {
      case: 'retryable, second failure',
      outcome: 'retry',
      attempt: 2,
      expected: { state: 'retrying', nextAttemptAt: now + 10_000 },
    },
    { case: 'retryable, schedule exhausted', outcome: 'retry', attempt: 3, expected: { state: 'failed', why: 'exhausted' } },
    {
      case: 'Retry-After later than the schedule',
      outcome: 'retry',
      attempt: 1,
      retryAfterMs: 30_000,
      expected: { state: 'retrying', nextAttemptAt: now + 30_000 },
    },
    {
      case: 'Retry-After earlier than the schedule',
      outcome: 'retry',
      attempt: 2,
      retryAfterMs: 500,
      expected: { state: 'retrying', nextAttemptAt: now + 10_000 },
    },
    {
      case: 'Retry-After beyond the cap',
      outcome: 'retry',
      attempt: 1,
      retryAfterMs: 86_400_000,
      expected: { state: 'retrying', nextAttemptAt: now + 60_000 },
    },
    {
      case: 'Retry-After on the last attempt',
      outcome: 'retry',
      attempt: 3,
      retryAfterMs: 5_000,
      expected: { state: 'failed', why: 'exhausted' },
    },
  ] as const)('$case', ({ outcome, attempt, expected, ...rest }) => {
    const retryAfterMs = 'retryAfterMs' in rest ? rest.retryAfterMs : undefined;
    expect(decideNext({ outcome, attempt, schedule, now, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) })).toEqual(
      expected,
    );
  });

  it('with no retries configured, a retryable failure fails at once', () => {
    expect(decideNext({ outcome: 'retry', attempt: 1, schedule: { ...schedule, delaysMs: [] }, now })).toEqual({
      state: 'failed',
      why: 'exhausted',
    });
  });
});
