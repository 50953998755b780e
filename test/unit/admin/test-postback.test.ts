import { describe, expect, it } from 'vitest';
import { planTestPostback, sampleValues } from '../../../src/admin/test-postback.js';
import { testPostbackInputSchema } from '../../../src/admin/test-postback-schema.js';
import type { AccountConfig } from '../../../src/domain/account.js';

const account: AccountConfig = {
  postback: {
    url: 'https://t.example/g?cid={click_id}&p={payout}&o={offer_id}&e={event}&a={account}',
    events: { lead: 'https://t.example/lead?cid={click_id}' },
  },
  offers: {
    '42': {
      url: 'https://t.example/o42?cid={click_id}',
      events: { sale: ['https://t.example/s1?cid={tid}', 'https://t.example/s2?sum={sum}'] },
    },
    '43': { disabled: true },
  },
};
const context = { nonce: 'n0nce', nowMs: 1_700_000_000_000 };

describe('planTestPostback', () => {
  it('fills every macro with an obvious sample value', () => {
    const plan = planTestPostback('acct1', account, {}, context);
    expect(plan).toMatchObject({ outcome: 'deliver', level: 'global', event: 'conversion' });
    if (plan.outcome !== 'deliver') return;
    expect(plan.urls).toEqual(['https://t.example/g?cid=test-click-n0nce&p=1.00&o=test-offer&e=conversion&a=acct1']);
    expect(plan.values).toEqual({ ...sampleValues('acct1', 'n0nce', context.nowMs), event: 'conversion' });
    expect(plan.values.timestamp).toBe('1700000000');
  });

  it('resolves the level a real conversion of that offer and event would get', () => {
    const levels = [
      [{ offer_id: '42', event: 'sale' }, 'offer_event'],
      [{ offer_id: '42' }, 'offer'],
      [{ offer_id: '77', event: 'lead' }, 'global_event'],
      [{ values: { offer_id: '42', event: 'sale' } }, 'offer_event'],
    ] as const;
    for (const [request, level] of levels) {
      expect(planTestPostback('acct1', account, request, context)).toMatchObject({ outcome: 'deliver', level });
    }
  });

  it('renders every URL of a fan-out level and lets given values win over samples', () => {
    const plan = planTestPostback(
      'acct1',
      account,
      { offer_id: '42', event: 'sale', values: { click_id: 'mine', payout: '7.5' } },
      context,
    );
    if (plan.outcome !== 'deliver') throw new Error('expected deliver');
    expect(plan.urls).toEqual(['https://t.example/s1?cid=mine', 'https://t.example/s2?sum=7.5']);
    expect(plan.offer_id).toBe('42');
  });

  it('explains a disabled offer and an event nothing matches', () => {
    expect(planTestPostback('acct1', account, { offer_id: '43' }, context)).toEqual({
      outcome: 'suppressed',
      event: 'conversion',
      offer_id: '43',
      message: 'offer 43 is disabled for account acct1: no postback would be sent',
    });
    const bare = planTestPostback('acct1', { postback: { events: { lead: 'https://t.example/l' } } }, { event: 'sale' }, context);
    expect(bare).toMatchObject({ outcome: 'no_postback', message: expect.stringMatching(/applies to event "sale"/) });
  });
});

describe('planTestPostback with status rules', () => {
  const ruled: AccountConfig = {
    postback: {
      url: 'https://t.example/g?cid={click_id}&st={status}',
      statuses: ['approved', 'rejected'],
      status_map: { approved: '1', rejected: '0' },
    },
  };

  it("judges the sample status (approved) and writes it in the level's words, showing the values as received", () => {
    const plan = planTestPostback('acct1', ruled, {}, context);
    if (plan.outcome !== 'deliver') throw new Error('expected deliver');
    expect(plan.urls).toEqual(['https://t.example/g?cid=test-click-n0nce&st=1']);
    expect(plan.values.status).toBe('approved');
  });

  it('takes a given status, mapped', () => {
    const plan = planTestPostback('acct1', ruled, { values: { status: 'Rejected' } }, context);
    if (plan.outcome !== 'deliver') throw new Error('expected deliver');
    expect(plan.urls).toEqual(['https://t.example/g?cid=test-click-n0nce&st=0']);
  });

  it('explains a status the level does not fire for', () => {
    expect(planTestPostback('acct1', ruled, { values: { status: 'pending' } }, context)).toEqual({
      outcome: 'suppressed',
      event: 'conversion',
      message:
        'status "pending" does not fire at level global (postback.statuses: approved, rejected): no postback would be sent (give values.status to test another status)',
    });
  });
});

describe('testPostbackInputSchema', () => {
  it('accepts macro aliases as value names and numbers as values', () => {
    const parsed = testPostbackInputSchema.parse({ values: { transaction_id: 'tx1', sum: 2.5 }, dry_run: true });
    expect(parsed).toEqual({ values: { click_id: 'tx1', payout: '2.5' }, dry_run: true });
  });

  it('names an unknown macro and each bad field', () => {
    const result = testPostbackInputSchema.safeParse({ values: { clik_id: 'x' }, dry_run: 'yes', event: 'a b' });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((issue) => issue.path.join('.')).sort();
    expect(paths).toEqual(['dry_run', 'event', 'values.clik_id']);
    expect(result.error!.issues.find((i) => i.path.join('.') === 'values.clik_id')?.message).toBe('unknown macro {clik_id}');
  });
});
