import { describe, expect, it } from 'vitest';
import { createRandomPool } from '../../src/random-pool.js';

describe('createRandomPool', () => {
  it('draws ids of the asked size as base64url, none repeated across many refills', () => {
    // Four draws per fill: 2,000 draws refill the pool 500 times.
    const next = createRandomPool(12, 4);
    const ids = Array.from({ length: 2_000 }, () => next());
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(12);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps pools apart: two pools never hand out the same id', () => {
    const a = createRandomPool(16);
    const b = createRandomPool(16);
    const seen = new Set<string>();
    for (let i = 0; i < 1_000; i++) {
      seen.add(a());
      seen.add(b());
    }
    expect(seen.size).toBe(2_000);
  });
});
