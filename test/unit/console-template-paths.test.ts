import { describe, expect, it } from 'vitest';
// The console's browser module, plain JavaScript with no DOM: tested here as it is served.
// @ts-expect-error -- an untyped ES module of the console
import { describePath, templatesOf, withTemplates } from '../../src/console/public/template-paths.js';

type Path = Array<string | number>;
const paths = templatesOf as (account: unknown) => Array<[Path, string]>;
const write = withTemplates as (account: unknown, entries: Array<[Path, string]>) => Record<string, any>;
const describe_ = describePath as (path: Path) => string;

const account = {
  postback: {
    url: ['https://a.example/p?c={click_id}', 'https://b.example/p?c={click_id}'],
    events: {
      lead: 'https://a.example/lead?c={click_id}',
      'sale.v2': { url: 'https://a.example/sale?c={click_id}', statuses: ['approved'] },
    },
  },
  offers: {
    '42': { url: 'https://o.example/42?c={click_id}', events: { sale: 'https://o.example/42/sale?c={click_id}' } },
    '43': { disabled: true },
  },
};

describe('console template paths', () => {
  it('lists every plain template with a path of keys, fan-out items by index, long-form events by their url', () => {
    expect(paths(account)).toEqual([
      [['postback', 'url', 0], 'https://a.example/p?c={click_id}'],
      [['postback', 'url', 1], 'https://b.example/p?c={click_id}'],
      [['postback', 'events', 'lead'], 'https://a.example/lead?c={click_id}'],
      [['postback', 'events', 'sale.v2', 'url'], 'https://a.example/sale?c={click_id}'],
      [['offers', '42', 'url'], 'https://o.example/42?c={click_id}'],
      [['offers', '42', 'events', 'sale'], 'https://o.example/42/sale?c={click_id}'],
    ]);
    expect(paths({})).toEqual([]);
  });

  it('writes templates back, keeping what it does not edit (statuses, disabled offers), and leaves the input alone', () => {
    const before = structuredClone(account);
    const next = write(account, [
      [['postback', 'events', 'sale.v2', 'url'], 'https://new.example/sale?c={click_id}'],
      [['offers', '44', 'url'], 'https://o.example/44?c={click_id}'],
      [['postback', 'events', 'signup'], 'https://a.example/signup?c={click_id}'],
    ]);
    expect(next.postback.events['sale.v2']).toEqual({ url: 'https://new.example/sale?c={click_id}', statuses: ['approved'] });
    expect(next.offers['44']).toEqual({ url: 'https://o.example/44?c={click_id}' });
    expect(next.offers['43']).toEqual({ disabled: true });
    expect(next.postback.events.signup).toBe('https://a.example/signup?c={click_id}');
    expect(account).toEqual(before);
  });

  it('removes emptied templates, several list items at once, and the objects they leave empty', () => {
    const next = write(account, [
      [['postback', 'url', 0], ''],
      [['postback', 'url', 1], 'https://b.example/p2?c={click_id}'],
      [['offers', '42', 'events', 'sale'], ''],
      [['offers', '42', 'url'], ''],
      [['postback', 'events', 'lead'], ''],
    ]);
    expect(next.postback.url).toEqual(['https://b.example/p2?c={click_id}']);
    expect(next.postback.events).toEqual({ 'sale.v2': { url: 'https://a.example/sale?c={click_id}', statuses: ['approved'] } });
    expect(next.offers).toEqual({ '43': { disabled: true } });
  });

  it('names each path as a person would', () => {
    expect(describe_(['postback', 'url'])).toBe('Global template');
    expect(describe_(['postback', 'url', 1])).toBe('Global template (URL 2)');
    expect(describe_(['postback', 'events', 'lead'])).toBe('Event “lead” template');
    expect(describe_(['postback', 'events', 'sale', 'url'])).toBe('Event “sale” template');
    expect(describe_(['offers', '42', 'url'])).toBe('Offer 42 template');
    expect(describe_(['offers', '42', 'events', 'sale'])).toBe('Offer 42, event “sale” template');
  });
});
