import { describe, expect, it } from 'vitest';
import type { ConversionFields } from '../../../src/domain/conversion.js';
import { conversionIdentity, dedupeKey, hasIdentity } from '../../../src/domain/conversion-identity.js';

const base: ConversionFields = { click_id: 'c1', event: 'sale', conversion_id: 'x1' };

describe('dedupeKey', () => {
  it('is a lower-case SHA-256 hex digest', () => {
    expect(dedupeKey('net', base)).toMatch(/^[0-9a-f]{64}$/);
  });

  // Keys live in Redis across deploys; changing the encoding would let duplicates through.
  // Pinned to sha256(JSON.stringify(['net','c1','sale','x1'])), computed independently.
  it('is stable across releases', () => {
    expect(dedupeKey('net', base)).toBe('742319c73e793113f4cd08ab5bfafddeb5a826e8889371021f79c5dc46af6fe1');
  });

  // A status is appended as a fifth part, so keys of reports without one are those written before statuses counted.
  // Pinned to sha256(JSON.stringify(['net','c1','sale','x1','approved'])), computed independently.
  it('is stable with a status, which is the fifth part', () => {
    expect(dedupeKey('net', { ...base, status: 'approved' })).toBe(
      'e1661c0d487d8e96f8bfe70d6ac57777381006601973fa1e7b6490fd4704bf57',
    );
  });

  it('is the same for the same identity', () => {
    expect(dedupeKey('net', { ...base })).toBe(dedupeKey('net', base));
  });

  it.each<[string, string, ConversionFields]>([
    ['source', 'other', base],
    ['click_id', 'net', { ...base, click_id: 'c2' }],
    ['event', 'net', { ...base, event: 'lead' }],
    ['conversion_id', 'net', { ...base, conversion_id: 'x2' }],
    ['click_id absent', 'net', { event: 'sale', conversion_id: 'x1' }],
    ['conversion_id and order_id absent', 'net', { click_id: 'c1', event: 'sale' }],
    ['status given', 'net', { ...base, status: 'pending' }],
  ])('changes when %s changes', (_label, source, fields) => {
    expect(dedupeKey(source, fields)).not.toBe(dedupeKey('net', base));
  });

  it.each<[string, [string, ConversionFields], [string, ConversionFields]]>([
    ['separator between source and click_id', ['a|b', { click_id: 'c' }], ['a', { click_id: 'b|c' }]],
    ['separator between click_id and event', ['s', { click_id: 'a|b', event: 'c' }], ['s', { click_id: 'a', event: 'b|c' }]],
    ['separator between event and id', ['s', { event: 'a:b', order_id: 'c' }], ['s', { event: 'a', order_id: 'b:c' }]],
    ['quote injection', ['s', { click_id: 'a","b' }], ['s', { click_id: 'a', event: 'b' }]],
    ['concatenation', ['ab', { click_id: 'c' }], ['a', { click_id: 'bc' }]],
    ['value moved to another slot', ['s', { click_id: 'x', event: 'e' }], ['s', { event: 'e', conversion_id: 'x' }]],
    ['absent versus the text "null"', ['s', { event: 'e' }], ['s', { click_id: 'null', event: 'e' }]],
    ['absent versus empty', ['s', { event: 'e' }], ['s', { click_id: '', event: 'e' }]],
    ['status absent versus the text "null"', ['s', { click_id: 'c' }], ['s', { click_id: 'c', status: 'null' }]],
    ['status versus an id', ['s', { click_id: 'c', status: 'x' }], ['s', { click_id: 'c', order_id: 'x' }]],
  ])('does not collide: %s', (_label, [sourceA, fieldsA], [sourceB, fieldsB]) => {
    expect(dedupeKey(sourceA, fieldsA)).not.toBe(dedupeKey(sourceB, fieldsB));
  });

  it('prefers conversion_id over order_id', () => {
    const withOrder = dedupeKey('s', { click_id: 'c', conversion_id: 'X', order_id: 'O1' });
    expect(dedupeKey('s', { click_id: 'c', conversion_id: 'X', order_id: 'O2' })).toBe(withOrder);
    expect(dedupeKey('s', { click_id: 'c', conversion_id: 'X' })).toBe(withOrder);
    expect(dedupeKey('s', { click_id: 'c', order_id: 'O1' })).not.toBe(withOrder);
  });

  it('falls back to order_id when there is no conversion_id', () => {
    const key = dedupeKey('s', { click_id: 'c', order_id: 'O1' });
    expect(dedupeKey('s', { click_id: 'c', order_id: 'O2' })).not.toBe(key);
    expect(dedupeKey('s', { click_id: 'c', order_id: 'O1', sub1: 'z' })).toBe(key);
  });

  it('treats a missing event as the default event', () => {
    expect(dedupeKey('s', { click_id: 'c' })).toBe(dedupeKey('s', { click_id: 'c', event: 'conversion' }));
  });

  it('ignores fields outside the identity and the status', () => {
    const plain = dedupeKey('s', base);
    expect(dedupeKey('s', { ...base, payout: '9', currency: 'EUR', sub5: 'y', account: 'a', offer_id: '7' })).toBe(plain);
    const approved = dedupeKey('s', { ...base, status: 'approved' });
    expect(dedupeKey('s', { ...base, status: 'approved', payout: '9', sub1: 'z' })).toBe(approved);
  });

  it('makes each status change a report of its own, the same status re-sent a duplicate', () => {
    const keys = ['pending', 'approved', 'reversed'].map((status) => dedupeKey('s', { ...base, status }));
    expect(new Set(keys).size).toBe(3);
    expect(dedupeKey('s', { ...base, status: 'approved' })).toBe(keys[1]);
  });

  it('compares statuses without regard to case, as status rules do', () => {
    expect(dedupeKey('s', { ...base, status: 'Approved' })).toBe(dedupeKey('s', { ...base, status: 'approved' }));
    expect(dedupeKey('s', { ...base, status: 'APPROVED' })).toBe(dedupeKey('s', { ...base, status: 'approved' }));
  });
});

describe('conversionIdentity', () => {
  it('is the same for every status of one conversion, and equals the dedupe key of a report without status', () => {
    const identity = conversionIdentity('net', base);
    expect(identity).toBe(dedupeKey('net', base));
    for (const status of ['pending', 'approved', 'Rejected'])
      expect(conversionIdentity('net', { ...base, status })).toBe(identity);
  });

  it.each<[string, string, ConversionFields]>([
    ['source', 'other', base],
    ['click_id', 'net', { ...base, click_id: 'c2' }],
    ['event', 'net', { ...base, event: 'lead' }],
    ['conversion_id', 'net', { ...base, conversion_id: 'x2' }],
    ['order_id in place of conversion_id', 'net', { click_id: 'c1', event: 'sale', order_id: 'o9' }],
  ])('differs when %s differs', (_label, source, fields) => {
    expect(conversionIdentity(source, fields)).not.toBe(conversionIdentity('net', base));
  });
});

describe('hasIdentity', () => {
  it('is true with a click id, a conversion id or an order id', () => {
    expect(hasIdentity({ click_id: 'c' })).toBe(true);
    expect(hasIdentity({ conversion_id: 'x' })).toBe(true);
    expect(hasIdentity({ order_id: 'o' })).toBe(true);
  });

  // Payout, event and status do not say which conversion it is: two such reports are two conversions.
  it('is false with none of them, whatever else the report carries', () => {
    expect(hasIdentity({})).toBe(false);
    expect(hasIdentity({ payout: '1.00', event: 'sale', status: 'approved', account: 'a', sub1: 's' })).toBe(false);
    expect(hasIdentity({ click_id: '', order_id: '' })).toBe(false);
  });
});
