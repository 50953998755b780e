import { describe, expect, it } from 'vitest';
import type { AccountConfig } from '../../../src/domain/account.js';
import { resolvePostback } from '../../../src/templates/index.js';

const full: AccountConfig = {
  postback: {
    url: 'https://t.example/global?c={click_id}',
    events: { lead: 'https://t.example/global-lead?c={click_id}' },
  },
  offers: {
    '42': {
      url: 'https://t.example/offer42?c={click_id}',
      events: { sale: 'https://t.example/offer42-sale?c={click_id}' },
    },
    '43': { disabled: true, url: 'https://t.example/offer43?c={click_id}' },
    '44': { events: { sale: 'https://t.example/offer44-sale?c={click_id}' } },
  },
};

describe('resolvePostback', () => {
  it.each<[offerId: string | undefined, event: string, level: string, url: string]>([
    ['42', 'sale', 'offer_event', 'https://t.example/offer42-sale?c={click_id}'],
    ['42', 'lead', 'offer', 'https://t.example/offer42?c={click_id}'],
    ['42', 'conversion', 'offer', 'https://t.example/offer42?c={click_id}'],
    ['44', 'sale', 'offer_event', 'https://t.example/offer44-sale?c={click_id}'],
    ['44', 'lead', 'global_event', 'https://t.example/global-lead?c={click_id}'],
    ['44', 'conversion', 'global', 'https://t.example/global?c={click_id}'],
    ['999', 'lead', 'global_event', 'https://t.example/global-lead?c={click_id}'],
    ['999', 'sale', 'global', 'https://t.example/global?c={click_id}'],
    [undefined, 'lead', 'global_event', 'https://t.example/global-lead?c={click_id}'],
    [undefined, 'sale', 'global', 'https://t.example/global?c={click_id}'],
  ])('offer %s, event %s -> %s', (offerId, event, level, url) => {
    expect(resolvePostback(full, offerId, event)).toEqual({ outcome: 'deliver', level, urls: [url] });
  });

  it('lets a future offer inherit the global postback', () => {
    const account: AccountConfig = { postback: { url: 'https://t.example/g?c={click_id}' } };
    expect(resolvePostback(account, 'offer-added-next-year', 'conversion')).toEqual({
      outcome: 'deliver',
      level: 'global',
      urls: ['https://t.example/g?c={click_id}'],
    });
  });

  it('suppresses a disabled offer before any template, global ones included', () => {
    expect(resolvePostback(full, '43', 'lead')).toEqual({ outcome: 'suppressed' });
    expect(resolvePostback(full, '43', 'conversion')).toEqual({ outcome: 'suppressed' });
  });

  it('does not suppress when disabled is false', () => {
    const account: AccountConfig = { postback: { url: 'https://g.example/' }, offers: { '1': { disabled: false } } };
    expect(resolvePostback(account, '1', 'conversion')).toEqual({
      outcome: 'deliver',
      level: 'global',
      urls: ['https://g.example/'],
    });
  });

  it('answers no_postback when nothing matches', () => {
    expect(resolvePostback({}, '42', 'conversion')).toEqual({ outcome: 'no_postback' });
    expect(resolvePostback({ postback: { events: { lead: 'https://g.example/' } } }, undefined, 'sale')).toEqual({
      outcome: 'no_postback',
    });
    expect(resolvePostback({ offers: { '42': { url: 'https://o.example/' } } }, '43', 'sale')).toEqual({
      outcome: 'no_postback',
    });
  });

  it('fans out a list into every URL, in order', () => {
    const account: AccountConfig = {
      postback: { url: ['https://a.example/?c={click_id}', 'https://b.example/?c={click_id}'] },
      offers: { '7': { events: { sale: ['https://c.example/', 'https://d.example/', 'https://e.example/'] } } },
    };
    expect(resolvePostback(account, '1', 'sale')).toEqual({
      outcome: 'deliver',
      level: 'global',
      urls: ['https://a.example/?c={click_id}', 'https://b.example/?c={click_id}'],
    });
    expect(resolvePostback(account, '7', 'sale')).toEqual({
      outcome: 'deliver',
      level: 'offer_event',
      urls: ['https://c.example/', 'https://d.example/', 'https://e.example/'],
    });
  });

  it('treats an empty list as no match at that level', () => {
    const account: AccountConfig = {
      postback: { url: 'https://g.example/', events: { sale: [] } },
      offers: { '1': { url: [], events: { sale: [] } } },
    };
    expect(resolvePostback(account, '1', 'sale')).toEqual({
      outcome: 'deliver',
      level: 'global',
      urls: ['https://g.example/'],
    });
    expect(resolvePostback({ postback: { url: [] } }, undefined, 'sale')).toEqual({ outcome: 'no_postback' });
  });

  it.each([['__proto__'], ['constructor'], ['toString'], ['hasOwnProperty'], ['valueOf']])(
    'offer id %s does not match Object.prototype',
    (offerId) => {
      const account: AccountConfig = { postback: { url: 'https://g.example/' }, offers: { '42': { disabled: true } } };
      expect(resolvePostback(account, offerId, 'conversion')).toEqual({
        outcome: 'deliver',
        level: 'global',
        urls: ['https://g.example/'],
      });
    },
  );

  it.each([['__proto__'], ['constructor'], ['toString']])('event %s does not match Object.prototype', (event) => {
    const account: AccountConfig = {
      postback: { url: 'https://g.example/', events: { lead: 'https://l.example/' } },
      offers: { '42': { url: 'https://o.example/', events: { sale: 'https://s.example/' } } },
    };
    expect(resolvePostback(account, '42', event)).toEqual({
      outcome: 'deliver',
      level: 'offer',
      urls: ['https://o.example/'],
    });
    expect(resolvePostback(account, '1', event)).toEqual({
      outcome: 'deliver',
      level: 'global',
      urls: ['https://g.example/'],
    });
  });

  it('ignores offers and events inherited through a prototype', () => {
    const offers = Object.create({ '42': { disabled: true }, '43': { url: 'https://inherited.example/' } }) as Record<
      string,
      { disabled?: boolean; url?: string }
    >;
    const events = Object.create({ sale: 'https://inherited-sale.example/' }) as Record<string, string>;
    const account: AccountConfig = { postback: { url: 'https://g.example/', events }, offers };
    for (const offerId of ['42', '43']) {
      expect(resolvePostback(account, offerId, 'sale')).toEqual({
        outcome: 'deliver',
        level: 'global',
        urls: ['https://g.example/'],
      });
    }
  });

  it('matches an offer really configured under the id __proto__ (as JSON.parse creates it)', () => {
    const account = JSON.parse(
      '{"postback":{"url":"https://g.example/"},"offers":{"__proto__":{"url":"https://p.example/"}}}',
    ) as AccountConfig;
    expect(resolvePostback(account, '__proto__', 'conversion')).toEqual({
      outcome: 'deliver',
      level: 'offer',
      urls: ['https://p.example/'],
    });
    expect(resolvePostback(account, 'other', 'conversion')).toEqual({
      outcome: 'deliver',
      level: 'global',
      urls: ['https://g.example/'],
    });
  });

  it('works with null-prototype records', () => {
    const offers = Object.assign(Object.create(null) as Record<string, { url: string }>, {
      '5': { url: 'https://n.example/' },
    });
    expect(resolvePostback({ offers }, '5', 'conversion')).toEqual({
      outcome: 'deliver',
      level: 'offer',
      urls: ['https://n.example/'],
    });
  });
});

describe('resolvePostback with status rules', () => {
  const G = 'https://t.example/g?s={status}';
  const GL = 'https://t.example/gl?s={status}';
  const O = 'https://t.example/o?s={status}';
  const OS = 'https://t.example/os?s={status}';
  const ruled: AccountConfig = {
    postback: {
      url: G,
      statuses: ['approved', 'rejected'],
      status_map: { approved: '1', rejected: '0' },
      events: {
        // Templates alone: the rules of `postback`.
        lead: GL,
        // Long form with statuses of its own; the map still comes from `postback`.
        signup: { url: 'https://t.example/gs', statuses: ['pending'] },
        // Long form without rules: inherits both.
        deposit: { url: 'https://t.example/gd' },
        // Long form with a map of its own only.
        rebill: { url: 'https://t.example/gr', status_map: { approved: 'ok' } },
      },
    },
    offers: {
      '42': {
        url: O,
        statuses: ['Approved'],
        events: { sale: { url: OS, statuses: ['pending', 'approved'], status_map: { '*': 'x' } } },
      },
      // An offer override without rules: every status fires there, whatever the global postback says.
      '50': { url: O },
    },
  };
  const globalMap = { approved: '1', rejected: '0' };

  it.each<[label: string, offerId: string | undefined, event: string, status: string | undefined, expected: object]>([
    [
      'global, allowed',
      undefined,
      'conversion',
      'approved',
      { outcome: 'deliver', level: 'global', urls: [G], statusMap: globalMap },
    ],
    [
      'global, allowed in another case',
      '7',
      'conversion',
      'REJECTED',
      { outcome: 'deliver', level: 'global', urls: [G], statusMap: globalMap },
    ],
    [
      'global, no status fires',
      undefined,
      'conversion',
      undefined,
      { outcome: 'deliver', level: 'global', urls: [G], statusMap: globalMap },
    ],
    [
      'global, excluded',
      undefined,
      'conversion',
      'pending',
      {
        outcome: 'suppressed',
        level: 'global',
        reason: 'status "pending" does not fire at level global (postback.statuses: approved, rejected)',
      },
    ],
    [
      'global event (templates alone) inherits',
      undefined,
      'lead',
      'approved',
      { outcome: 'deliver', level: 'global_event', urls: [GL], statusMap: globalMap },
    ],
    [
      'global event (templates alone) inherits the exclusion',
      undefined,
      'lead',
      'pending',
      {
        outcome: 'suppressed',
        level: 'global_event',
        reason: 'status "pending" does not fire at level global_event (postback.statuses: approved, rejected)',
      },
    ],
    [
      'global event with its own statuses',
      undefined,
      'signup',
      'pending',
      { outcome: 'deliver', level: 'global_event', urls: ['https://t.example/gs'], statusMap: globalMap },
    ],
    [
      'global event with its own statuses, excluded',
      undefined,
      'signup',
      'approved',
      {
        outcome: 'suppressed',
        level: 'global_event',
        reason: 'status "approved" does not fire at level global_event (postback.events.signup.statuses: pending)',
      },
    ],
    [
      'long form without rules inherits',
      undefined,
      'deposit',
      'rejected',
      { outcome: 'deliver', level: 'global_event', urls: ['https://t.example/gd'], statusMap: globalMap },
    ],
    [
      'long form with its own map keeps the statuses',
      undefined,
      'rebill',
      'approved',
      { outcome: 'deliver', level: 'global_event', urls: ['https://t.example/gr'], statusMap: { approved: 'ok' } },
    ],
    [
      'long form with its own map, excluded by inherited statuses',
      undefined,
      'rebill',
      'pending',
      { outcome: 'suppressed', level: 'global_event' },
    ],
    [
      'offer, allowed (case ignored both ways)',
      '42',
      'conversion',
      'approved',
      { outcome: 'deliver', level: 'offer', urls: [O] },
    ],
    [
      'offer, excluded: the global postback does not fire instead',
      '42',
      'conversion',
      'rejected',
      {
        outcome: 'suppressed',
        level: 'offer',
        reason: 'status "rejected" does not fire at level offer (offers.42.statuses: Approved)',
      },
    ],
    ['offer event', '42', 'sale', 'pending', { outcome: 'deliver', level: 'offer_event', urls: [OS], statusMap: { '*': 'x' } }],
    ['offer event, excluded', '42', 'sale', 'rejected', { outcome: 'suppressed', level: 'offer_event' }],
    [
      'offer without rules does not take the global ones',
      '50',
      'conversion',
      'pending',
      { outcome: 'deliver', level: 'offer', urls: [O] },
    ],
  ])('%s', (_label, offerId, event, status, expected) => {
    const resolution = resolvePostback(ruled, offerId, event, status);
    expect(resolution).toMatchObject(expected);
    if (resolution.outcome === 'deliver' && !('statusMap' in expected)) expect(resolution.statusMap).toBeUndefined();
  });

  it('leaves an account without rules as it was: every status fires, no map', () => {
    for (const status of [undefined, 'pending', 'approved', 'anything']) {
      expect(resolvePostback(full, '42', 'sale', status)).toEqual({
        outcome: 'deliver',
        level: 'offer_event',
        urls: ['https://t.example/offer42-sale?c={click_id}'],
      });
    }
  });

  it('still suppresses a disabled offer first, without a status reason', () => {
    const account: AccountConfig = { postback: { url: G, statuses: ['approved'] }, offers: { '9': { disabled: true } } };
    expect(resolvePostback(account, '9', 'conversion', 'approved')).toEqual({ outcome: 'suppressed' });
  });

  it('judges statuses only at a level that matched: an empty list is passed over, rules and all', () => {
    const account: AccountConfig = {
      postback: { url: G },
      offers: { '1': { url: [], statuses: ['approved'] } },
    };
    expect(resolvePostback(account, '1', 'conversion', 'pending')).toEqual({ outcome: 'deliver', level: 'global', urls: [G] });
  });

  it('does not find statuses on Object.prototype', () => {
    const account: AccountConfig = { postback: { url: G, statuses: ['approved'] } };
    expect(resolvePostback(account, undefined, 'conversion', 'constructor')).toMatchObject({ outcome: 'suppressed' });
    expect(resolvePostback(account, undefined, 'conversion', 'toString')).toMatchObject({ outcome: 'suppressed' });
  });
});
