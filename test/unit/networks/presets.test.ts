import { describe, expect, it } from 'vitest';
import { CONVERSION_FIELDS } from '../../../src/domain/conversion.js';
import { NETWORK_PRESETS, findNetwork } from '../../../src/networks/presets.js';
import { inboundPlanFor } from '../../../src/networks/mapping.js';
import { readConversion } from '../../../src/receiver/read-conversion.js';
import { isUnreplacedMacro } from '../../../src/receiver/macro-token.js';

// SPEC, Admin API: where the tracker's click id comes back, per network.
const CLICK_ID_MACRO: Record<string, string> = {
  everflow: '{sub1}',
  tune: '{aff_click_id}',
  cake: '#s2#',
  affise: '{sub1}',
  impact: '{SubId1}',
  scaleo: '{aff_click_id}',
  trackier: '{p1}',
  cpalead: '{subid}',
};

describe('network presets', () => {
  it('cover the networks the contract names, and generic', () => {
    expect(NETWORK_PRESETS.map((p) => p.id).sort()).toEqual([...Object.keys(CLICK_ID_MACRO), 'generic'].sort());
  });

  it.each(Object.entries(CLICK_ID_MACRO))('%s puts %s in click_id', (id, macro) => {
    const preset = findNetwork(id)!;
    expect(Object.fromEntries(preset.postback).click_id).toBe(macro);
  });

  it.each(NETWORK_PRESETS.filter((p) => p.id !== 'generic').map((p) => [p.id, p] as const))(
    '%s cites its sources, with a grade each',
    (_id, preset) => {
      expect(preset.sources.length).toBeGreaterThan(0);
      for (const source of preset.sources) {
        expect(source.url).toMatch(/^https:\/\//);
        expect(['official', 'secondary', 'inferred']).toContain(source.grade);
      }
      expect(preset.sources.some((source) => source.grade === 'official')).toBe(true);
    },
  );

  it.each(NETWORK_PRESETS.map((p) => [p.id, p] as const))(
    '%s: every postback parameter is a canonical field and every macro a macro token',
    (_id, preset) => {
      for (const [field, macro] of preset.postback) {
        expect(CONVERSION_FIELDS).toContain(field);
        // The same check the receiver uses: an unreplaced macro is never taken for data.
        expect(isUnreplacedMacro(macro), macro).toBe(true);
      }
    },
  );

  it.each(NETWORK_PRESETS.filter((p) => p.id !== 'generic').map((p) => [p.id, p] as const))(
    '%s never reads the network click id or publisher number as click id or account',
    (_id, preset) => {
      const read = readConversion(
        { transaction_id: 'net-click', tid: 'net-tid', affiliate_id: '77', aff_id: '78' },
        inboundPlanFor(preset, undefined),
      );
      if (!read.ok) throw new Error('expected ok');
      expect(read.fields.click_id).toBeUndefined();
      expect(read.fields.account).toBeUndefined();
    },
  );

  it('Affise statuses 1, 2, 3, 5 read as approved, pending, declined, hold', () => {
    const plan = inboundPlanFor(findNetwork('affise'), undefined);
    const statuses = ['1', '2', '3', '5'].map((status) => {
      const read = readConversion({ sub1: 'c', status }, plan);
      return read.ok ? read.fields.status : undefined;
    });
    expect(statuses).toEqual(['approved', 'pending', 'declined', 'hold']);
  });

  it('Impact statuses in any case read canonically; reversed as declined', () => {
    const plan = inboundPlanFor(findNetwork('impact'), undefined);
    const read = (status: string) => {
      const result = readConversion({ SubId1: 'c', Status: status }, plan);
      return result.ok ? result.fields.status : undefined;
    };
    expect([read('APPROVED'), read('Pending'), read('REVERSED')]).toEqual(['approved', 'pending', 'declined']);
  });

  it('CAKE reads #tid# as the order id and #cid# (creative) as nothing', () => {
    const read = readConversion(
      { s2: 'trk', cid: '4411', tid: 'ORD-1', price: '3.10', oid: '42', leadid: 'L-9' },
      inboundPlanFor(findNetwork('cake'), undefined),
    );
    expect(read).toMatchObject({
      ok: true,
      fields: { click_id: 'trk', order_id: 'ORD-1', payout: '3.10', offer_id: '42', conversion_id: 'L-9' },
    });
  });
});

describe('inboundPlanFor', () => {
  const everflow = findNetwork('everflow')!;

  it("an explicit params entry replaces the preset's names for that field, the rest stay", () => {
    const plan = inboundPlanFor(everflow, { click_id: ['sub3'] });
    expect(plan.params?.click_id).toEqual(['sub3']);
    expect(plan.params?.payout).toEqual(['payout_amount']);
    const read = readConversion({ sub1: 'wrong', sub3: 'right', payout_amount: '2' }, plan);
    expect(read).toMatchObject({ ok: true, fields: { click_id: 'right', payout: '2' } });
  });

  it('an excluded name the operator maps explicitly is read', () => {
    const read = readConversion({ transaction_id: 'mine' }, inboundPlanFor(everflow, { click_id: ['transaction_id'] }));
    expect(read).toMatchObject({ ok: true, fields: { click_id: 'mine' } });
  });

  it('without a preset, the explicit params alone', () => {
    expect(inboundPlanFor(undefined, { currency: ['cur'] })).toEqual({ params: { currency: ['cur'] } });
  });
});
