import { describe, expect, it } from 'vitest';
import { attributeFromClick, needsClickLookup } from '../../../src/tracking/attribution.js';
import type { Click } from '../../../src/domain/click.js';

const TX = 'AAAAAAAAAAAAAAAAAAAAAA';
const allFields = { click_id: TX, account: 'a', offer_id: 'o', sub1: '1', sub2: '2', sub3: '3', sub4: '4', sub5: '5' };

describe('needsClickLookup', () => {
  it('looks up an issued-looking id when something is missing', () => {
    expect(needsClickLookup({ click_id: TX, amount: '10' }, false)).toBe(true);
    expect(needsClickLookup({ ...allFields, sub5: undefined }, false)).toBe(true);
  });

  it('skips the read when the conversion already carries everything, unless the source requires a known click', () => {
    expect(needsClickLookup(allFields, false)).toBe(false);
    expect(needsClickLookup(allFields, true)).toBe(true);
  });

  it('never reads for a click id this relay cannot have issued', () => {
    expect(needsClickLookup({ click_id: 'TX-77' }, true)).toBe(false);
    expect(needsClickLookup({}, true)).toBe(false);
  });
});

describe('attributeFromClick', () => {
  const click: Click = { offer_id: 'o-click', account: 'a-click', sub1: 'c1', sub3: 'c3', created_at: 1 };

  it('fills what the conversion lacks from the click', () => {
    expect(attributeFromClick({ click_id: TX, amount: '10', event: 'conversion' }, click)).toEqual({
      click_id: TX,
      amount: '10',
      event: 'conversion',
      account: 'a-click',
      offer_id: 'o-click',
      sub1: 'c1',
      sub3: 'c3',
    });
  });

  it("keeps the conversion's own account, offer and sub ids", () => {
    expect(attributeFromClick({ click_id: TX, account: 'mine', offer_id: 'o-mine', sub1: 'm1' }, click)).toEqual({
      click_id: TX,
      account: 'mine',
      offer_id: 'o-mine',
      sub1: 'm1',
      sub3: 'c3',
    });
  });

  it('leaves the fields alone without a click, and the input unmodified', () => {
    const fields = { click_id: TX };
    expect(attributeFromClick(fields, null)).toBe(fields);
    attributeFromClick(fields, click);
    expect(fields).toEqual({ click_id: TX });
  });
});
