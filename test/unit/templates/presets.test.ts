import { describe, expect, it } from 'vitest';
import { checkTemplate, renderTemplate, type MacroValues } from '../../../src/templates/index.js';
import { PRESET_NAMES, PresetError, isPresetName, presetTemplate } from '../../../src/templates/presets.js';
import { expandAccountPresets } from '../../../src/admin/account-presets.js';

const BASE = 'https://trk.example.com';

const VALUES: MacroValues = {
  click_id: 'ck 1&x',
  payout: '1.50',
  conversion_id: 'conv-9',
  status: 'approved',
  event: 'sale',
};

function rendered(template: string): { path: string; query: Record<string, string> } {
  const url = new URL(renderTemplate(template, VALUES));
  return { path: `${url.origin}${url.pathname}`, query: Object.fromEntries(url.searchParams) };
}

describe('presetTemplate', () => {
  const cases: Array<{ preset: string; base: string; template: string; path: string; query: Record<string, string> }> = [
    {
      preset: 'voluum',
      base: BASE,
      template: `${BASE}/postback?cid={click_id}&payout={payout}&txid={conversion_id}`,
      path: `${BASE}/postback`,
      query: { cid: 'ck 1&x', payout: '1.50', txid: 'conv-9' },
    },
    {
      preset: 'redtrack',
      base: BASE,
      template: `${BASE}/postback?clickid={click_id}&sum={payout}&rdtk_event_id={conversion_id}`,
      path: `${BASE}/postback`,
      query: { clickid: 'ck 1&x', sum: '1.50', rdtk_event_id: 'conv-9' },
    },
    {
      preset: 'bemob',
      base: BASE,
      template: `${BASE}/postback?cid={click_id}&payout={payout}&txid={conversion_id}`,
      path: `${BASE}/postback`,
      query: { cid: 'ck 1&x', payout: '1.50', txid: 'conv-9' },
    },
    {
      preset: 'binom',
      base: BASE,
      template: `${BASE}/click.php?cnv_id={click_id}&payout={payout}&cnv_status={status}`,
      path: `${BASE}/click.php`,
      query: { cnv_id: 'ck 1&x', payout: '1.50', cnv_status: 'approved' },
    },
    {
      preset: 'keitaro',
      base: `${BASE}/a1b2c3d`,
      template: `${BASE}/a1b2c3d/postback?subid={click_id}&status={status}&payout={payout}&tid={conversion_id}`,
      path: `${BASE}/a1b2c3d/postback`,
      query: { subid: 'ck 1&x', status: 'approved', payout: '1.50', tid: 'conv-9' },
    },
    {
      preset: 'clickflare',
      base: BASE,
      template: `${BASE}/cf/cv?click_id={click_id}&payout={payout}&txid={conversion_id}`,
      path: `${BASE}/cf/cv`,
      query: { click_id: 'ck 1&x', payout: '1.50', txid: 'conv-9' },
    },
    {
      preset: 'prosper202',
      base: BASE,
      template: `${BASE}/tracking202/static/gpb.php?subid={click_id}&amount={payout}&txid={conversion_id}`,
      path: `${BASE}/tracking202/static/gpb.php`,
      query: { subid: 'ck 1&x', amount: '1.50', txid: 'conv-9' },
    },
  ];

  it('covers every preset', () => {
    expect(cases.map((c) => c.preset).sort()).toEqual([...PRESET_NAMES].sort());
  });

  it.each(cases)('$preset renders the documented URL with our macros', ({ preset, base, template, path, query }) => {
    const text = presetTemplate(preset, base);
    expect(text).toBe(template);
    expect(checkTemplate(text)).toEqual({ ok: true, warnings: [] });
    const url = rendered(text);
    expect(url.path).toBe(path);
    expect(url.query).toEqual(query);
  });

  it('renders a missing value as an empty parameter, not as the macro', () => {
    const url = new URL(renderTemplate(presetTemplate('binom', BASE), { click_id: 'c1' }));
    expect(Object.fromEntries(url.searchParams)).toEqual({ cnv_id: 'c1', payout: '', cnv_status: '' });
  });

  it('ignores trailing slashes and normalises the origin', () => {
    expect(presetTemplate('voluum', 'https://TRK.Example.com/')).toBe(presetTemplate('voluum', BASE));
    expect(presetTemplate('voluum', 'https://trk.example.com:443//')).toBe(presetTemplate('voluum', BASE));
    expect(presetTemplate('voluum', '  https://trk.example.com \n')).toBe(presetTemplate('voluum', BASE));
    expect(presetTemplate('keitaro', `${BASE}/a1b2c3d/`)).toBe(presetTemplate('keitaro', `${BASE}/a1b2c3d`));
  });

  it('keeps a path prefix (install folder, postback key) and an explicit port', () => {
    expect(presetTemplate('binom', 'http://trk.example.com:8080/binom')).toBe(
      'http://trk.example.com:8080/binom/click.php?cnv_id={click_id}&payout={payout}&cnv_status={status}',
    );
    expect(presetTemplate('voluum', `${BASE}/tracker/`)).toMatch(/^https:\/\/trk\.example\.com\/tracker\/postback\?cid=/);
  });

  it('does not repeat the endpoint when the base is already the full postback address', () => {
    expect(presetTemplate('voluum', `${BASE}/postback`)).toBe(presetTemplate('voluum', BASE));
    expect(presetTemplate('binom', `${BASE}/click.php`)).toBe(presetTemplate('binom', BASE));
    expect(presetTemplate('clickflare', `${BASE}/cf/cv/`)).toBe(presetTemplate('clickflare', BASE));
    expect(presetTemplate('keitaro', `${BASE}/a1b2c3d/postback`)).toBe(presetTemplate('keitaro', `${BASE}/a1b2c3d`));
    // Only a whole trailing segment counts.
    expect(presetTemplate('voluum', `${BASE}/mypostback`)).toBe(
      `${BASE}/mypostback/postback?cid={click_id}&payout={payout}&txid={conversion_id}`,
    );
  });

  it('prosper202: a numeric click id (what gpb.php requires) goes out as it came, in an install folder too', () => {
    const text = presetTemplate('prosper202', 'https://p202.example.com/tracker/');
    expect(text).toBe(
      'https://p202.example.com/tracker/tracking202/static/gpb.php?subid={click_id}&amount={payout}&txid={conversion_id}',
    );
    expect(presetTemplate('prosper202', 'https://p202.example.com/tracker/tracking202/static/gpb.php')).toBe(text);
    const url = new URL(renderTemplate(text, { click_id: '000123456789', payout: '12.5', conversion_id: 'c-1' }));
    expect(url.searchParams.get('subid')).toBe('000123456789');
    expect(url.searchParams.get('amount')).toBe('12.5');
    expect(url.search).toBe('?subid=000123456789&amount=12.5&txid=c-1');
  });

  it('requires the postback key in a Keitaro base', () => {
    for (const base of [BASE, `${BASE}/`, `${BASE}/postback`]) {
      expect(() => presetTemplate('keitaro', base)).toThrow(/keitaro base_url must include the postback key/);
    }
  });

  it('cannot be turned into extra macros through the base path', () => {
    const text = presetTemplate('voluum', `${BASE}/{payout}`);
    expect(text.startsWith(`${BASE}/%7Bpayout%7D/postback?`)).toBe(true);
    expect(checkTemplate(text).ok).toBe(true);
  });

  it('names an unknown preset and lists the known ones', () => {
    expect(() => presetTemplate('voloom', BASE)).toThrow(PresetError);
    expect(() => presetTemplate('voloom', BASE)).toThrow(
      'unknown preset "voloom"; known: voluum, redtrack, bemob, binom, keitaro, clickflare, prosper202',
    );
    for (const name of ['Voluum', '__proto__', 'toString', 'constructor', '']) {
      expect(isPresetName(name)).toBe(false);
      expect(() => presetTemplate(name, BASE)).toThrow(/^unknown preset/);
    }
  });

  it.each([
    ['trk.example.com', /must be an absolute http or https URL/],
    ['ftp://trk.example.com', /must be an absolute http or https URL/],
    ['https:trk.example.com', /must be an absolute http or https URL/],
    ['https://', /must be an absolute http or https URL/],
    ['https://exa mple.com', /must be an absolute http or https URL/],
    ['https://user:pw@trk.example.com', /must not contain credentials/],
    ['https://trk.example.com/postback?cid=REPLACE', /must not contain a query string/],
    ['https://trk.example.com/?', /must not contain a query string/],
    ['https://trk.example.com/#x', /must not contain a query string or fragment/],
  ])('rejects the base %s, naming it', (base, message) => {
    let caught: unknown;
    try {
      presetTemplate('voluum', base);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PresetError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).toContain(`base_url ${JSON.stringify(base)}`);
  });

  it('asks for a base when none is given', () => {
    expect(() => presetTemplate('voluum', '')).toThrow(/base_url is required/);
    expect(() => presetTemplate('voluum', undefined as unknown as string)).toThrow(/base_url is required/);
  });
});

describe('expandAccountPresets', () => {
  const voluum = presetTemplate('voluum', BASE);
  const binom = presetTemplate('binom', BASE);

  it('expands the object form at every template position, including inside lists', () => {
    const input = {
      postback: {
        url: { preset: 'voluum', base_url: BASE },
        events: { lead: [{ preset: 'binom', base_url: BASE }, 'https://x.example/pb?cid={click_id}'] },
      },
      offers: {
        '42': { url: [{ preset: 'voluum', base_url: BASE }], events: { sale: { preset: 'binom', base_url: BASE } } },
        '43': { disabled: true },
      },
    };
    const before = JSON.stringify(input);
    const { value, errors } = expandAccountPresets(input);
    expect(errors).toEqual([]);
    expect(value).toEqual({
      postback: { url: voluum, events: { lead: [binom, 'https://x.example/pb?cid={click_id}'] } },
      offers: { '42': { url: [voluum], events: { sale: binom } }, '43': { disabled: true } },
    });
    expect(JSON.stringify(input)).toBe(before);
  });

  it('names the path of each bad preset', () => {
    const { errors } = expandAccountPresets({
      postback: { url: { preset: 'voluum', base_url: 'trk.example.com' } },
      offers: {
        '42': { url: { preset: 'voloom', base_url: BASE } },
        '7': {
          url: ['https://ok.example/?cid={click_id}', { base_url: BASE }],
          events: { lead: { preset: 'voluum', base_url: BASE, et: 'x' } },
        },
      },
    });
    expect(errors).toEqual([
      {
        path: 'postback.url',
        message: expect.stringMatching(/^base_url "trk\.example\.com" must be an absolute http or https URL/),
      },
      { path: 'offers.7.url.1', message: expect.stringMatching(/^"preset" is required, one of: voluum, redtrack/) },
      { path: 'offers.7.events.lead', message: 'unknown field(s) in preset: et' },
      {
        path: 'offers.42.url',
        message: 'unknown preset "voloom"; known: voluum, redtrack, bemob, binom, keitaro, clickflare, prosper202',
      },
    ]);
  });

  it('passes anything else through for the schema to judge', () => {
    for (const input of [
      undefined,
      null,
      'text',
      [1],
      { postback: 'x' },
      { postback: { url: 5 } },
      { offers: [] },
      { other: { preset: 'voluum' } },
    ]) {
      expect(expandAccountPresets(input)).toEqual({ value: input, errors: [] });
    }
  });

  it('keeps an event named __proto__ as a plain key', () => {
    const input = JSON.parse(`{"postback":{"events":{"__proto__":{"preset":"voluum","base_url":"${BASE}"}}}}`);
    const { value, errors } = expandAccountPresets(input);
    expect(errors).toEqual([]);
    const events = (value as { postback: { events: Record<string, unknown> } }).postback.events;
    expect(Object.getPrototypeOf(events)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(events, '__proto__')?.value).toBe(voluum);
  });
});
