import { describe, expect, it } from 'vitest';
import { readConversion, type ReadConversionResult } from '../../../src/receiver/read-conversion.js';

function ok(result: ReadConversionResult) {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.errors)}`);
  return result;
}

describe('readConversion: the defaults read the click id a sender means', () => {
  it('takes subid before tid in a Keitaro-format postback (tid is a conversion id there)', () => {
    const read = ok(readConversion({ subid: 'cf_8GQ2', tid: '5d4b', payout: '2.00', status: 'sale' }));
    expect(read.fields.click_id).toBe('cf_8GQ2');
    expect(read.noClickId).toBeUndefined();
  });

  it('takes subid before cid in a CAKE postback (#cid# is the creative id)', () => {
    expect(ok(readConversion({ cid: '4411', subid: 'trk-77', payout: '3.10' })).fields.click_id).toBe('trk-77');
  });

  it('reads orderid as the order id', () => {
    expect(ok(readConversion({ click_id: 'c', orderid: 'ORD-9' })).fields.order_id).toBe('ORD-9');
  });
});

describe('readConversion: unreplaced macros', () => {
  it.each(['{sub1}', '[ml_sub1]', '%subid1%', '##CLICK_ID##', '#s2#', '${visit_id}', '{{clickid}}'])(
    'a click id %j leaves the conversion without one, with a reason naming the token',
    (token) => {
      const read = ok(readConversion({ click_id: token, payout: '1.00' }));
      expect(read.fields.click_id).toBeUndefined();
      expect(read.noClickId).toContain(`click_id is an unreplaced macro "${token}"`);
      expect(read.fields.payout).toBe('1.00');
    },
  );

  it('a token under an earlier name does not hide a real value under a later one', () => {
    const read = ok(readConversion({ click_id: '{sub1}', subid: 'real' }));
    expect(read.fields.click_id).toBe('real');
    expect(read.noClickId).toBeUndefined();
    expect(read.warnings).toEqual([]);
  });

  it('other fields with a token are dropped with a warning naming field, value and parameter', () => {
    const read = ok(readConversion({ click_id: 'c', sum: '{payout}', currency: '[currency]', goal: '#goal#', sub2: '%s2%' }));
    expect(read.fields).toEqual({ click_id: 'c', event: 'conversion' });
    expect(read.warnings).toEqual([
      { field: 'event', value: '#goal#', message: 'unreplaced macro in parameter "goal"; ignored' },
      { field: 'payout', value: '{payout}', message: 'unreplaced macro in parameter "sum"; ignored' },
      { field: 'currency', value: '[currency]', message: 'unreplaced macro in parameter "currency"; ignored' },
      { field: 'sub2', value: '%s2%', message: 'unreplaced macro in parameter "sub2"; ignored' },
    ]);
  });

  it('without any click id, the reason lists the names looked for', () => {
    expect(ok(readConversion({ payout: '1' })).noClickId).toBe(
      'no click id: the postback carries none of click_id, clickid, subid, cid, transaction_id, tid',
    );
  });
});

describe('readConversion: a plan', () => {
  const plan = {
    params: { click_id: ['sub1'], payout: ['payout_amount'] },
    exclude: ['transaction_id', 'tid', 'affiliate_id', 'aff_id'],
    statusMap: { '1': 'approved', '2': 'pending' },
  };

  it('reads the plan names first and never the excluded ones', () => {
    const read = ok(readConversion({ sub1: 'trk', transaction_id: 'ef-123', payout_amount: '4.20', affiliate_id: '77' }, plan));
    expect(read.fields).toEqual({ click_id: 'trk', payout: '4.20', event: 'conversion' });
  });

  it('an excluded name is not a click id even when nothing else is', () => {
    const read = ok(readConversion({ transaction_id: 'ef-123' }, plan));
    expect(read.fields.click_id).toBeUndefined();
    expect(read.noClickId).toBe('no click id: the postback carries none of sub1, click_id, clickid, subid, cid');
  });

  it('puts statuses in canonical words, case-insensitively, and passes unknown ones through', () => {
    expect(ok(readConversion({ sub1: 'a', status: '1' }, plan)).fields.status).toBe('approved');
    expect(ok(readConversion({ sub1: 'a', status: '2' }, plan)).fields.status).toBe('pending');
    expect(ok(readConversion({ sub1: 'a', status: '9' }, plan)).fields.status).toBe('9');
  });
});

describe('readConversion: refusals', () => {
  it('a value over its length limit is still refused', () => {
    const result = readConversion({ click_id: 'x'.repeat(300) });
    expect(result).toEqual({ ok: false, errors: [{ field: 'click_id', message: 'must be at most 256 characters' }] });
  });
});
