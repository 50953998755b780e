import { describe, expect, it } from 'vitest';
import { parseClickQuery } from '../../../src/tracking/click-query.js';

describe('parseClickQuery', () => {
  it('keeps account and sub ids, trims them, and ignores other parameters', () => {
    expect(parseClickQuery({ account: ' aff1 ', sub1: 'a b', sub5: '5', utm_source: 'fb', sub2: '' })).toEqual({
      ok: true,
      query: { account: 'aff1', sub1: 'a b', sub5: '5' },
    });
    expect(parseClickQuery(undefined)).toEqual({ ok: true, query: {} });
  });

  it('names every bad parameter once', () => {
    const result = parseClickQuery({
      account: 'has space',
      sub1: 'x'.repeat(513),
      sub2: ['a', 'b'],
      sub3: 'tab\there',
      sub4: 'x'.repeat(512),
    });
    expect(result).toEqual({
      ok: false,
      errors: [
        { path: 'account', message: 'letters, digits, _ . : - only, at most 128' },
        { path: 'sub1', message: 'must be at most 512 characters' },
        { path: 'sub2', message: 'must be given once' },
        { path: 'sub3', message: 'must not contain control characters' },
      ],
    });
  });
});
