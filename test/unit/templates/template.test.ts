import { describe, expect, it } from 'vitest';
import {
  TemplateError,
  compileCached,
  compileTemplate,
  renderTemplate,
  templatesOf,
  type MacroValues,
} from '../../../src/templates/index.js';

describe('compileTemplate', () => {
  it('splits literals and slots, resolving aliases', () => {
    const compiled = compileTemplate('https://t.example/pb?cid={tid}&p={payout}&s={sub1}');
    expect(compiled.literals).toEqual(['https://t.example/pb?cid=', '&p=', '&s=', '']);
    expect(compiled.slots).toEqual(['click_id', 'payout', 'sub1']);
    expect(compiled.text).toBe('https://t.example/pb?cid={tid}&p={payout}&s={sub1}');
  });

  it('handles adjacent macros and macros at both ends', () => {
    const compiled = compileTemplate('{click_id}{payout}');
    expect(compiled.literals).toEqual(['', '', '']);
    expect(compiled.slots).toEqual(['click_id', 'payout']);
  });

  it('throws TemplateError naming the unknown macro as written', () => {
    let caught: unknown;
    try {
      compileTemplate('https://t.example/?c={clik_id}');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TemplateError);
    expect(caught).toBeInstanceOf(Error);
    expect((caught as TemplateError).message).toBe('unknown macro {clik_id}');
    expect((caught as TemplateError).macro).toBe('{clik_id}');
  });

  it.each([['{CLICK_ID}'], ['{Payout}'], ['{__proto__}'], ['{constructor}'], ['{sub6}']])(
    'rejects %s (case-sensitive, no prototype names)',
    (macro) => {
      expect(() => compileTemplate(`https://t.example/?x=${macro}`)).toThrow(`unknown macro ${macro}`);
    },
  );

  it('names the first unknown macro when there are several', () => {
    expect(() => compileTemplate('https://t.example/?a={click_id}&b={nope}&c={also_no}')).toThrow(/^unknown macro \{nope\}$/);
  });
});

describe('renderTemplate', () => {
  const url = 'https://t.example/pb?cid={click_id}&payout={payout}';

  it('substitutes canonical values', () => {
    expect(renderTemplate(url, { click_id: 'abc123', payout: '1.50' })).toBe('https://t.example/pb?cid=abc123&payout=1.50');
  });

  it('accepts a compiled template as well as text', () => {
    const compiled = compileTemplate(url);
    expect(renderTemplate(compiled, { click_id: 'x', payout: '2' })).toBe('https://t.example/pb?cid=x&payout=2');
  });

  it.each<[label: string, value: string, encoded: string]>([
    ['ampersand and equals', 'a&payout=999', 'a%26payout%3D999'],
    ['space', 'a b', 'a%20b'],
    ['plus', 'a+b', 'a%2Bb'],
    ['percent', '100%', '100%25'],
    ['already-encoded text', '%7B', '%257B'],
    ['hash', 'a#b', 'a%23b'],
    ['slash and question mark', 'a/b?c', 'a%2Fb%3Fc'],
    ['braces', '{payout}', '%7Bpayout%7D'],
    ['unicode', 'café✓', 'caf%C3%A9%E2%9C%93'],
    ['astral unicode', '😀', '%F0%9F%98%80'],
    ['newline', 'a\nb', 'a%0Ab'],
    ['unreserved characters stay', "A-z_0.9!~*'()", "A-z_0.9!~*'()"],
  ])('encodes a value with %s', (_label, value, encoded) => {
    expect(renderTemplate('https://t.example/?c={click_id}', { click_id: value })).toBe(`https://t.example/?c=${encoded}`);
  });

  it('keeps a click id carrying &payout=999 as one encoded value', () => {
    const rendered = renderTemplate(url, { click_id: 'abc&payout=999', payout: '1.00' });
    const params = new URL(rendered).searchParams;
    expect(params.getAll('payout')).toEqual(['1.00']);
    expect(params.get('cid')).toBe('abc&payout=999');
  });

  it('replaces a lone surrogate instead of throwing', () => {
    expect(renderTemplate('https://t.example/?c={click_id}', { click_id: 'a\uD800b' })).toBe('https://t.example/?c=a%EF%BF%BDb');
  });

  it.each([
    ['https://t.example/%7Bclick_id%7D?c={click_id}', 'https://t.example/%7Bclick_id%7D?c=X'],
    ['https://t.example/?a=1&b=2&c={click_id}', 'https://t.example/?a=1&b=2&c=X'],
    ['https://t.example/p a t h?c={click_id}#frag', 'https://t.example/p a t h?c=X#frag'],
    [
      'https://t.example/?j={}&k={ click_id }&l={click-id}&m={{click_id}}',
      'https://t.example/?j={}&k={ click_id }&l={click-id}&m={X}',
    ],
    ['https://t.example/?u=caf\u00e9&c={click_id}', 'https://t.example/?u=caf\u00e9&c=X'],
  ])('leaves literal text %j as written', (template, expected) => {
    expect(renderTemplate(template, { click_id: 'X' })).toBe(expected);
  });

  it('renders missing and empty values as the empty string', () => {
    const values: MacroValues = { click_id: 'c1', sub1: '' };
    expect(renderTemplate('https://t.example/?c={click_id}&p={payout}&s1={sub1}&s2={sub2}&t={timestamp}', values)).toBe(
      'https://t.example/?c=c1&p=&s1=&s2=&t=',
    );
  });

  it('ignores values that are not macros', () => {
    const values = { click_id: 'c1', bogus: 'zzz' } as MacroValues;
    expect(renderTemplate('https://t.example/?c={click_id}', values)).toBe('https://t.example/?c=c1');
  });

  it('renders every occurrence of a repeated macro', () => {
    expect(renderTemplate('https://t.example/{cid}/{click_id}?again={tid}', { click_id: 'a b' })).toBe(
      'https://t.example/a%20b/a%20b?again=a%20b',
    );
  });

  it('throws TemplateError for an unknown macro in raw text', () => {
    expect(() => renderTemplate('https://t.example/?c={clik_id}', { click_id: 'x' })).toThrow(TemplateError);
  });
});

describe('compileCached', () => {
  it('parses a given text once', () => {
    const text = 'https://cache.example/once?c={click_id}';
    expect(compileCached(text)).toBe(compileCached(text));
  });

  it('evicts the oldest entry beyond 1000 distinct texts', () => {
    const first = 'https://cache.example/first?c={click_id}';
    const firstCompiled = compileCached(first);
    for (let i = 0; i < 1000; i++) compileCached(`https://cache.example/${i}?c={click_id}`);
    const again = compileCached(first);
    expect(again).not.toBe(firstCompiled);
    expect(again).toEqual(firstCompiled);
  });

  it('does not cache failures', () => {
    expect(() => compileCached('https://cache.example/?c={nope}')).toThrow('unknown macro {nope}');
    expect(() => compileCached('https://cache.example/?c={nope}')).toThrow('unknown macro {nope}');
  });
});

describe('templatesOf', () => {
  it.each<[string | string[] | undefined, string[]]>([
    [undefined, []],
    ['https://a.example/', ['https://a.example/']],
    [
      ['https://a.example/', 'https://b.example/'],
      ['https://a.example/', 'https://b.example/'],
    ],
    [[], []],
    ['', []],
    [['', 'https://a.example/'], ['https://a.example/']],
  ])('%j -> %j', (input, expected) => {
    expect(templatesOf(input)).toEqual(expected);
  });

  it('returns a copy, not the configured list', () => {
    const list = ['https://a.example/'];
    const out = templatesOf(list);
    out.push('https://b.example/');
    expect(list).toEqual(['https://a.example/']);
  });
});
