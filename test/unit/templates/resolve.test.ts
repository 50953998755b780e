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
