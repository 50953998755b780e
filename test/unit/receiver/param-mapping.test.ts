import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAM_ALIASES, mapParams } from '../../../src/receiver/param-mapping.js';

describe('DEFAULT_PARAM_ALIASES', () => {
  it('is exactly the contract list, in priority order', () => {
    expect(DEFAULT_PARAM_ALIASES).toEqual({
      click_id: ['click_id', 'clickid', 'subid', 'cid', 'transaction_id', 'tid'],
      event: ['event', 'goal'],
      payout: ['payout', 'sum', 'revenue'],
      amount: ['amount', 'sale_amount'],
      currency: ['currency'],
      offer_id: ['offer_id'],
      order_id: ['order_id', 'orderid'],
      conversion_id: ['conversion_id', 'txid'],
      status: ['status'],
      account: ['account', 'aff_id', 'affiliate_id'],
      sub1: ['sub1'],
      sub2: ['sub2'],
      sub3: ['sub3'],
      sub4: ['sub4'],
      sub5: ['sub5'],
    });
  });
});

describe('mapParams: default names', () => {
  it.each([
    ['click_id', 'click_id'],
    ['clickid', 'click_id'],
    ['subid', 'click_id'],
    ['cid', 'click_id'],
    ['transaction_id', 'click_id'],
    ['tid', 'click_id'],
    ['payout', 'payout'],
    ['sum', 'payout'],
    ['revenue', 'payout'],
    ['amount', 'amount'],
    ['sale_amount', 'amount'],
    ['event', 'event'],
    ['goal', 'event'],
    ['account', 'account'],
    ['aff_id', 'account'],
    ['affiliate_id', 'account'],
    ['conversion_id', 'conversion_id'],
    ['txid', 'conversion_id'],
    ['currency', 'currency'],
    ['offer_id', 'offer_id'],
    ['order_id', 'order_id'],
    ['orderid', 'order_id'],
    ['status', 'status'],
    ['sub1', 'sub1'],
    ['sub2', 'sub2'],
    ['sub3', 'sub3'],
    ['sub4', 'sub4'],
    ['sub5', 'sub5'],
  ])('%s maps to %s and nothing else', (name, field) => {
    expect(mapParams({ [name]: 'v' }).fields).toEqual({ [field]: 'v' });
  });

  it.each([
    [{ tid: 't', click_id: 'c', cid: 'x' }, 'click_id', 'c'],
    [{ tid: 't', cid: 'x' }, 'click_id', 'x'],
    [{ tid: 't', transaction_id: 'tr' }, 'click_id', 'tr'],
    [{ revenue: '3', sum: '2' }, 'payout', '2'],
    [{ revenue: '3', sum: '2', payout: '1' }, 'payout', '1'],
    [{ sale_amount: '9', amount: '8' }, 'amount', '8'],
    [{ goal: 'g', event: 'e' }, 'event', 'e'],
    [{ affiliate_id: 'c', aff_id: 'b' }, 'account', 'b'],
    [{ txid: 't', conversion_id: 'c' }, 'conversion_id', 'c'],
  ])('earlier default names win regardless of parameter order: %j', (raw, field, expected) => {
    expect(mapParams(raw).fields[field as 'click_id']).toBe(expected);
  });

  it('ignores parameters that are not fields', () => {
    expect(mapParams({ foo: '1', utm_source: 'x', timestamp: '5' }).fields).toEqual({});
  });
});

describe('mapParams: source names', () => {
  it.each([
    ['source name present with defaults also present', { subid: 's', click_id: 'c' }, 's'],
    ['source name absent falls back to the defaults', { click_id: 'c' }, 'c'],
    ['second source name before defaults', { aff_click: 'a', cid: 'c' }, 'a'],
    ['first source name before second', { aff_click: 'a', subid: 's' }, 's'],
    ['blank source value falls through', { subid: '  ', click_id: 'c' }, 'c'],
  ])('%s', (_label, raw, expected) => {
    const aliases = { click_id: ['subid', 'aff_click'] };
    expect(mapParams(raw, aliases && { params: aliases }).fields.click_id).toBe(expected);
  });

  it('matches configured names case-insensitively too', () => {
    expect(mapParams({ subid: 'x' }, { params: { click_id: ['SubID'] } }).fields.click_id).toBe('x');
    expect(mapParams({ SUBID: 'x' }, { params: { click_id: ['SubID'] } }).fields.click_id).toBe('x');
  });

  it('a name the source assigns to another field is no longer a default', () => {
    const aliases = { sub1: ['cid'] };
    expect(mapParams({ cid: 'campaign' }, { params: aliases }).fields).toEqual({ sub1: 'campaign' });
    expect(mapParams({ cid: 'campaign', tid: 'click' }, { params: aliases }).fields).toEqual({
      sub1: 'campaign',
      click_id: 'click',
    });
  });

  it('ignores unknown fields and non-string names in the source mapping', () => {
    const aliases = { bogus: ['foo'], sub2: [42 as unknown as string, 'bar'] };
    expect(mapParams({ foo: '1', bar: '2' }, { params: aliases }).fields).toEqual({ sub2: '2' });
  });

  it('gives the same answer when the same source mapping is reused', () => {
    const aliases = { payout: ['p'] };
    expect(mapParams({ p: '1' }, { params: aliases }).fields.payout).toBe('1');
    expect(mapParams({ p: '2', payout: '3' }, { params: aliases }).fields.payout).toBe('2');
    expect(mapParams({ payout: '3' }, { params: aliases }).fields.payout).toBe('3');
  });
});

describe('mapParams: inbound names are case-insensitive', () => {
  it.each([
    [{ ClickID: 'a' }, 'click_id', 'a'],
    [{ TID: 'a' }, 'click_id', 'a'],
    [{ Transaction_ID: 'a' }, 'click_id', 'a'],
    [{ PAYOUT: '1.50' }, 'payout', '1.50'],
    [{ Sale_Amount: '9' }, 'amount', '9'],
    [{ Goal: 'lead' }, 'event', 'lead'],
    [{ SUB3: 'x' }, 'sub3', 'x'],
  ])('%j', (raw, field, expected) => {
    expect(mapParams(raw).fields).toEqual({ [field]: expected });
  });

  it('keeps default priority across mixed case', () => {
    expect(mapParams({ TID: 't', ClickId: 'c' }).fields.click_id).toBe('c');
  });

  it('takes the first of two names that differ only in case', () => {
    expect(mapParams({ CID: 'upper', cid: 'lower' }).fields.click_id).toBe('upper');
  });
});

describe('mapParams: values', () => {
  it.each([
    ['repeated name takes the first value', { cid: ['a', 'b'] }, 'a'],
    ['repeated name, mixed case', { CID: ['a', 'b'] }, 'a'],
    ['empty array is absent', { cid: [], tid: 't' }, 't'],
    ['empty first value is absent', { cid: ['', 'b'], tid: 't' }, 't'],
    ['empty string is absent', { click_id: '', cid: 'c' }, 'c'],
    ['blank string is absent', { click_id: ' \t ', cid: 'c' }, 'c'],
    ['null is absent', { click_id: null, cid: 'c' }, 'c'],
    ['undefined is absent', { click_id: undefined, cid: 'c' }, 'c'],
  ])('%s', (_label, raw, expected) => {
    expect(mapParams(raw).fields.click_id).toBe(expected);
  });

  it('passes non-string values through for validation to judge', () => {
    expect(mapParams({ payout: 0, amount: 2.5, sub1: true, sub2: { a: 1 } }).fields).toEqual({
      payout: 0,
      amount: 2.5,
      sub1: true,
      sub2: { a: 1 },
    });
  });

  it('leaves strings untrimmed (validation trims)', () => {
    expect(mapParams({ cid: ' a ' }).fields.click_id).toBe(' a ');
  });

  it('omits absent fields entirely', () => {
    expect(Object.keys(mapParams({ cid: 'a', payout: '' }).fields)).toEqual(['click_id']);
  });
});

describe('mapParams: the key is never a field', () => {
  it.each([
    ['key alone', { key: 'secret' }, undefined],
    ['KEY in upper case', { KEY: 'secret' }, undefined],
    ['source maps key to click_id', { key: 'secret' }, { click_id: ['key'] }],
    ['source maps Key to sub1', { key: 'secret' }, { sub1: ['Key'] }],
  ])('%s', (_label, raw, aliases) => {
    expect(mapParams(raw, aliases && { params: aliases }).fields).toEqual({});
  });

  it('other fields still map next to a key', () => {
    expect(mapParams({ key: 'secret', cid: 'c' }, { params: { click_id: ['key'] } }).fields).toEqual({ click_id: 'c' });
  });
});

describe('mapParams: object shapes', () => {
  it('reads null-prototype objects (parsed query strings)', () => {
    const raw = Object.assign(Object.create(null) as Record<string, unknown>, { cid: 'a', Sum: '2' });
    expect(mapParams(raw).fields).toEqual({ click_id: 'a', payout: '2' });
  });

  it('does not read inherited properties as parameters', () => {
    expect(mapParams({}, { params: { sub1: ['constructor', 'toString'] } }).fields).toEqual({});
    expect(mapParams({ X: '1' }, { params: { sub1: ['constructor'] } }).fields).toEqual({});
  });

  it('maps a JSON __proto__ key as plain data without touching prototypes', () => {
    const raw = JSON.parse('{"__proto__": {"polluted": true}, "cid": "a"}') as Record<string, unknown>;
    const { fields } = mapParams(raw, { params: { sub1: ['__proto__'] } });
    expect(fields.click_id).toBe('a');
    expect(fields.sub1).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
