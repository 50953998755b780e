import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { createKeys } from '../../src/store/keys.js';
import { RejectionStore, type NewRejection } from '../../src/store/rejections.js';
import { uniquePrefix } from '../helpers/relay-harness.js';

/** Paging the rejection log across per-source streams, against real Redis. */
let redis: Redis;
const keys = createKeys(uniquePrefix());
const NOW = 1_800_000_000_000;
const store = () => new RejectionStore(redis, keys, { keepPerSource: 1_000, retentionMs: 3_600_000 }, () => NOW);

const rejection = (source: string, n: number): NewRejection => ({
  at: new Date(NOW).toISOString(),
  source,
  known_source: true,
  ip: '127.0.0.1',
  method: 'GET',
  status: 401,
  error: n % 4 === 0 ? 'forbidden' : 'unauthorized',
  fields: [],
  query: `n=${n}`,
});

// Three sources, 30 rejections each, written with explicit ids so that many
// of them share an id across streams (as two sources' refusals of one
// millisecond do): source a at ms NOW-100+i, b at the same ms, c at every other.
const ids: Array<{ source: string; id: string; n: number }> = [];
beforeAll(async () => {
  redis = new Redis({ path: inject('redisUrl').slice('unix://'.length) });
  let n = 0;
  for (let i = 0; i < 30; i++) {
    for (const source of ['a', 'b', 'c']) {
      const ms = source === 'c' ? NOW - 200 + 2 * i : NOW - 100 + i;
      const id = `${ms}-0`;
      await redis.xadd(keys.rejectionsOf(source), id, 'r', JSON.stringify(rejection(source, n)));
      await redis.sadd(keys.rejectionSources, source);
      ids.push({ source, id, n: n++ });
    }
  }
});
afterAll(async () => {
  await redis?.del(keys.rejectionsOf('a'), keys.rejectionsOf('b'), keys.rejectionsOf('c'), keys.rejectionSources);
  redis?.disconnect();
});

async function pageThrough(limit: number, reason?: string) {
  const seen: Array<{ id: string; n: number }> = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store().list({ limit, ...(reason ? { reason } : {}), ...(cursor ? { cursor } : {}) });
    seen.push(...page.rejections.map((r) => ({ id: r.id, n: Number(r.query.slice(2)) })));
    // A page holds more than the limit only to keep entries of one id together.
    if (page.rejections.length > limit) expect(new Set(page.rejections.slice(limit - 1).map((r) => r.id)).size).toBe(1);
    cursor = page.cursor;
    pages++;
  } while (cursor && pages < 500);
  return seen;
}

const newestFirst = (a: { id: string }, b: { id: string }) => {
  const [am, as] = a.id.split('-').map(Number);
  const [bm, bs] = b.id.split('-').map(Number);
  return bm! - am! || bs! - as!;
};

describe('RejectionStore.list across sources', () => {
  it.each([1, 2, 3, 7, 50])(
    'pages through every entry exactly once, newest first, when ids are shared across streams (limit %i)',
    async (limit) => {
      const seen = await pageThrough(limit);
      expect(seen.map((entry) => entry.n).sort((x, y) => x - y)).toEqual(ids.map((entry) => entry.n));
      expect([...seen].sort(newestFirst).map((entry) => entry.id)).toEqual(seen.map((entry) => entry.id));
    },
  );

  it('pages through every match of a filter exactly once', async () => {
    const seen = await pageThrough(4, 'forbidden');
    expect(seen.map((entry) => entry.n).sort((x, y) => x - y)).toEqual(
      ids.filter((entry) => entry.n % 4 === 0).map((entry) => entry.n),
    );
  });
});
