import { describe, expect, it } from 'vitest';
import { stableConversionId } from '../../../src/domain/conversion-id.js';

const base = { id: 'relay-1', source: 'net', click_id: 'c1', event: 'sale' };

describe('stableConversionId', () => {
  it("is the sender's conversion id when there is one", () => {
    expect(stableConversionId({ ...base, conversion_id: 'CV-9', order_id: 'O-1' })).toBe('CV-9');
  });

  it('else the order id', () => {
    expect(stableConversionId({ ...base, order_id: 'O-1' })).toBe('O-1');
  });

  it('else derived from source, click id and event: the same for every report, whatever the relay id', () => {
    const first = stableConversionId(base);
    expect(stableConversionId({ ...base, id: 'relay-2' })).toBe(first);
    expect(first).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(first).not.toBe('relay-1');
  });

  it.each([
    ['another source', { source: 'other' }],
    ['another click', { click_id: 'c2' }],
    ['another event', { event: 'lead' }],
  ])('differs for %s', (_label, change) => {
    expect(stableConversionId({ ...base, ...change })).not.toBe(stableConversionId(base));
  });

  it('cannot be imitated by moving a separator between parts', () => {
    expect(stableConversionId({ ...base, source: 'a|b', click_id: 'c' })).not.toBe(
      stableConversionId({ ...base, source: 'a', click_id: 'b|c' }),
    );
  });

  it("falls back to the relay's id without a click id", () => {
    expect(stableConversionId({ id: 'relay-1', source: 'net', event: 'sale' })).toBe('relay-1');
  });
});
