import { describe, expect, it } from 'vitest';
import { createRecordCache } from '../../../src/store/record-cache.js';

function setup(options: { ttlMs?: number; maxEntries?: number } = {}) {
  let clock = 1_000;
  const loads: string[] = [];
  const data = new Map<string, string>([
    ['a', 'A'],
    ['b', 'B'],
    ['c', 'C'],
  ]);
  let failNext = false;
  const cache = createRecordCache(
    async (id: string) => {
      loads.push(id);
      if (failNext) {
        failNext = false;
        throw new Error('redis away');
      }
      return data.get(id) ?? null;
    },
    { ttlMs: options.ttlMs ?? 5_000, maxEntries: options.maxEntries ?? 100, now: () => clock },
  );
  return {
    cache,
    loads,
    data,
    advance: (ms: number) => (clock += ms),
    failNext: () => (failNext = true),
  };
}

describe('createRecordCache', () => {
  it('serves a record from memory until the TTL passes, then reads again', async () => {
    const { cache, loads, data, advance } = setup();
    expect(await cache.get('a')).toBe('A');
    data.set('a', 'A2');
    advance(4_999);
    expect(await cache.get('a')).toBe('A');
    advance(1);
    expect(await cache.get('a')).toBe('A2');
    expect(loads).toEqual(['a', 'a']);
  });

  it('makes one read for a burst of gets on a cold id, and remembers a miss', async () => {
    const { cache, loads } = setup();
    const values = await Promise.all([cache.get('a'), cache.get('a'), cache.get('a')]);
    expect(values).toEqual(['A', 'A', 'A']);
    expect(await cache.get('nope')).toBeNull();
    expect(await cache.get('nope')).toBeNull();
    expect(loads).toEqual(['a', 'nope']);
  });

  it('does not remember a failed read', async () => {
    const { cache, loads, failNext } = setup();
    failNext();
    await expect(cache.get('a')).rejects.toThrow('redis away');
    expect(await cache.get('a')).toBe('A');
    expect(loads).toEqual(['a', 'a']);
  });

  it('forgets an invalidated id at once', async () => {
    const { cache, loads, data } = setup();
    await cache.get('a');
    data.set('a', 'A2');
    cache.invalidate('a');
    expect(await cache.get('a')).toBe('A2');
    expect(loads).toEqual(['a', 'a']);
  });

  it('stays within maxEntries, evicting the oldest', async () => {
    const { cache, loads } = setup({ maxEntries: 2 });
    await cache.get('a');
    await cache.get('b');
    await cache.get('c');
    await cache.get('b');
    await cache.get('a');
    expect(loads).toEqual(['a', 'b', 'c', 'a']);
  });

  it('reads every time with a TTL of 0', async () => {
    const { cache, loads } = setup({ ttlMs: 0 });
    await cache.get('a');
    await cache.get('a');
    expect(loads).toEqual(['a', 'a']);
  });
});
