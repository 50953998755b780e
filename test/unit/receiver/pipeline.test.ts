import { describe, expect, it } from 'vitest';
import { dedupeKey, mapParams, parseConversionInput } from '../../../src/receiver/index.js';

describe('mapParams -> parseConversionInput -> dedupeKey', () => {
  it('turns a typical network query into canonical fields', () => {
    const query = { key: 'secret', ClickID: ['abc', 'dup'], SUM: '1.50', Goal: 'sale', cur: 'usd', offer_id: '7' };
    const result = parseConversionInput(mapParams(query, { params: { currency: ['cur'] } }).fields);
    expect(result).toEqual({
      ok: true,
      fields: { click_id: 'abc', payout: '1.50', event: 'sale', currency: 'USD', offer_id: '7' },
      warnings: [],
    });
  });

  it('reports a bad aliased value under its canonical name', () => {
    const result = parseConversionInput(mapParams({ cid: 'a', revenue: '1'.repeat(40), TXID: 'x'.repeat(300) }).fields);
    expect(result).toMatchObject({ ok: false, errors: [{ field: 'payout' }, { field: 'conversion_id' }] });
  });

  it('names a dropped aliased value by its canonical field', () => {
    const result = parseConversionInput(mapParams({ cid: 'a', revenue: '1,5' }).fields);
    expect(result).toMatchObject({ ok: true, warnings: [{ field: 'payout', value: '1,5' }] });
  });

  it('gives the same dedupe key to the same conversion sent under different names', () => {
    const a = parseConversionInput(mapParams({ tid: 'c1', txid: 'x', event: 'sale' }).fields);
    const b = parseConversionInput(mapParams({ ClickID: ' c1 ', conversion_id: 'x', GOAL: 'sale', sum: '2' }).fields);
    if (!a.ok || !b.ok) throw new Error('expected both to parse');
    expect(dedupeKey('net', a.fields)).toBe(dedupeKey('net', b.fields));
  });
});
