import { describe, expect, it } from 'vitest';
import { CLICK_ID_MACRO, MACRO_NAMES, canonicalMacro, renderTemplate } from '../../../src/templates/index.js';

const ALIASES: [alias: string, canonical: string][] = [
  ['clickid', 'click_id'],
  ['cid', 'click_id'],
  ['transaction_id', 'click_id'],
  ['tid', 'click_id'],
  ['sum', 'payout'],
  ['revenue', 'payout'],
  ['sale_amount', 'amount'],
  ['goal', 'event'],
  ['txid', 'conversion_id'],
  ['aff_id', 'account'],
];

describe('macro table', () => {
  it('lists exactly the canonical macros of the contract', () => {
    expect([...MACRO_NAMES].sort()).toEqual(
      [
        'click_id',
        'payout',
        'amount',
        'currency',
        'offer_id',
        'event',
        'order_id',
        'conversion_id',
        'status',
        'account',
        'sub1',
        'sub2',
        'sub3',
        'sub4',
        'sub5',
        'timestamp',
      ].sort(),
    );
    expect(CLICK_ID_MACRO).toBe('click_id');
  });

  it.each(MACRO_NAMES.map((name) => [name]))('canonical %s maps to itself', (name) => {
    expect(canonicalMacro(name)).toBe(name);
  });

  it.each(ALIASES)('alias %s maps to %s', (alias, canonical) => {
    expect(canonicalMacro(alias)).toBe(canonical);
  });

  it.each(ALIASES)('{%s} renders the %s value', (alias, canonical) => {
    const values = Object.fromEntries(MACRO_NAMES.map((name) => [name, `v-${name}`]));
    expect(renderTemplate(`https://t.example/?x={${alias}}`, values)).toBe(`https://t.example/?x=v-${canonical}`);
  });

  it.each([['CLICK_ID'], ['Click_Id'], ['clik_id'], ['__proto__'], ['constructor'], ['toString'], ['hasOwnProperty'], ['']])(
    '%j is not a macro',
    (name) => {
      expect(canonicalMacro(name)).toBeUndefined();
    },
  );
});
