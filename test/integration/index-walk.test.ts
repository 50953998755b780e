import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { walkIndex } from '../../src/store/index-walk.js';
import { uniquePrefix } from '../helpers/relay-harness.js';

/** Paging a sorted-set index newest first, with a filter, a score range and a read budget, against real Redis. */
let redis: Redis;
const key = `${uniquePrefix()}:walk`;
// 250 entries m000…m249 scored 0…249 except ten that share score 100 (ties ordered by member, descending).
const score = (i: number) => (i >= 100 && i < 110 ? 100 : i);
const load = (ids: string[]) => Promise.resolve(ids.map((id) => (id === 'm042' ? null : { id, n: Number(id.slice(1)) })));

beforeAll(async () => {
  redis = new Redis({ path: inject('redisUrl').slice('unix://'.length) });
  await redis.zadd(key, ...Array.from({ length: 250 }, (_, i) => [score(i), `m${String(i).padStart(3, '0')}`]).flat());
});
afterAll(async () => {
  await redis?.del(key);
  redis?.disconnect();
});

async function every(options: Parameters<typeof walkIndex>[2], accept?: (item: { n: number }) => boolean) {
  const seen: number[] = [];
  let cursor: string | undefined;
  let calls = 0;
  do {
    const page = await walkIndex(redis, key, { ...options, ...(cursor ? { cursor } : {}) }, load, accept);
    expect(page.items.length).toBeLessThanOrEqual(options.limit);
    expect(page.scanned).toBeLessThanOrEqual(options.budget);
    seen.push(...page.items.map((item) => item.n));
    cursor = page.cursor;
    calls += 1;
  } while (cursor && calls < 1_000);
  return { seen, calls };
}

describe('walkIndex', () => {
  it('pages every entry newest first, ties included once each, skipping records that are gone', async () => {
    const { seen } = await every({ limit: 7, budget: 10_000 });
    const expected = Array.from({ length: 250 }, (_, i) => i)
      .filter((i) => i !== 42)
      .sort((a, b) => score(b) - score(a) || b - a);
    expect(seen).toEqual(expected);
  });

  it('keeps a score range, inclusive at both ends', async () => {
    const { seen } = await every({ limit: 4, budget: 10_000, minScore: 100, maxScore: 120 });
    expect(seen).toEqual([
      120, 119, 118, 117, 116, 115, 114, 113, 112, 111, 110, 109, 108, 107, 106, 105, 104, 103, 102, 101, 100,
    ]);
  });

  it('ends a page at the budget with a cursor, so a rare match costs bounded reads per call', async () => {
    const { seen, calls } = await every({ limit: 50, budget: 30 }, (item) => item.n % 100 === 1);
    expect(seen).toEqual([201, 101, 1]);
    expect(calls).toBeGreaterThanOrEqual(Math.ceil(249 / 30));
  });

  it('answers no cursor when the index ends exactly at a full page', async () => {
    const page = await walkIndex(redis, key, { limit: 10, budget: 1_000, minScore: 240 }, load);
    expect(page.items.map((item) => item.n)).toEqual([249, 248, 247, 246, 245, 244, 243, 242, 241, 240]);
    expect(page.cursor).toBeUndefined();
  });
});
