import { describe, expect, it } from 'vitest';
import { CONVERSION_FIELDS, type ConversionField } from '../../../src/domain/conversion.js';
import { numberToDecimalText, parseConversionInput, type ConversionInputResult } from '../../../src/receiver/conversion-input.js';

function fieldsOf(result: ConversionInputResult) {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.errors)}`);
  return result.fields;
}

function badFieldsOf(result: ConversionInputResult): string[] {
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.fields)}`);
  return result.errors.map((e) => e.field);
}

function warningsOf(result: ConversionInputResult) {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.errors)}`);
  return result.warnings;
}

function droppedFieldsOf(result: ConversionInputResult): string[] {
  return warningsOf(result).map((w) => w.field);
}

function messageFor(result: ConversionInputResult, field: string): string | undefined {
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.fields)}`);
  return result.errors.find((e) => e.field === field)?.message;
}

describe('numberToDecimalText', () => {
  it.each([
    [1e-7, '0.0000001'],
    [2.5e21, '2500000000000000000000'],
    [1e21, '1000000000000000000000'],
    [1.5, '1.5'],
    [0, '0'],
    [-0, '0'],
    [-1.5e-7, '-0.00000015'],
    [1.2345e-10, '0.00000000012345'],
    [1.2345e25, '12345000000000000000000000'],
    [-2.5e21, '-2500000000000000000000'],
    [123, '123'],
    [0.000001, '0.000001'],
    [0.1 + 0.2, '0.30000000000000004'],
    [999999999999999900000, '999999999999999900000'],
  ])('%s -> %s', (n, expected) => {
    expect(numberToDecimalText(n)).toBe(expected);
  });
});

describe('payout and amount', () => {
  it.each([
    [1e-7, '0.0000001'],
    [2.5e21, '2500000000000000000000'],
    [1.5, '1.5'],
    [0, '0'],
    [-3, '-3'],
  ])('JSON number %s becomes %s', (n, expected) => {
    expect(fieldsOf(parseConversionInput({ payout: n, amount: n }))).toMatchObject({
      payout: expected,
      amount: expected,
    });
  });

  it.each([
    ['1.50', '1.50'],
    ['0.00', '0.00'],
    ['10', '10'],
    ['-3.25', '-3.25'],
    ['007', '007'],
    [' 1.50 ', '1.50'],
    ['1'.repeat(32), '1'.repeat(32)],
  ])('decimal text %j is kept as %j', (text, expected) => {
    expect(fieldsOf(parseConversionInput({ payout: text, amount: text }))).toMatchObject({
      payout: expected,
      amount: expected,
    });
  });

  it.each([
    'abc',
    '1,5',
    '1e5',
    '1E5',
    '+1',
    '.5',
    '1.',
    '1.2.3',
    '0x10',
    'Infinity',
    'NaN',
    '1 000',
    '-',
    '--1',
    '$1',
    '1.5USD',
    '١٢',
  ])('drops %j with a warning instead of refusing the conversion', (text) => {
    const result = parseConversionInput({ click_id: 'c', payout: text, amount: text });
    expect(fieldsOf(result)).toEqual({ click_id: 'c', event: 'conversion' });
    expect(droppedFieldsOf(result)).toEqual(['payout', 'amount']);
    const warning = warningsOf(result)[0]!;
    expect(warning.value).toBe(text);
    expect(warning.message).toMatch(/decimal.*dropped/);
  });

  it('drops a comma-joined pair of payouts (##CPA_AMOUNT##,##RS_AMOUNT##) with a warning', () => {
    const result = parseConversionInput({ click_id: 'c', payout: '1,5,0' });
    expect(fieldsOf(result).payout).toBeUndefined();
    expect(warningsOf(result)).toEqual([{ field: 'payout', value: '1,5,0', message: expect.stringMatching(/decimal/) }]);
  });

  it('has no warnings for a clean conversion', () => {
    expect(warningsOf(parseConversionInput({ click_id: 'c', payout: '1.50' }))).toEqual([]);
  });

  it('rejects a decimal longer than 32 characters, naming the length', () => {
    const result = parseConversionInput({ payout: '1'.repeat(33) });
    expect(badFieldsOf(result)).toEqual(['payout']);
    expect(messageFor(result, 'payout')).toMatch(/32/);
  });

  it('rejects a JSON number whose text exceeds 32 characters', () => {
    expect(badFieldsOf(parseConversionInput({ payout: 1e40 }))).toEqual(['payout']);
  });

  it.each([NaN, Infinity, -Infinity])('drops the non-finite number %s with a warning', (n) => {
    const result = parseConversionInput({ amount: n });
    expect(droppedFieldsOf(result)).toEqual(['amount']);
    expect(warningsOf(result)[0]!.message).toMatch(/finite/);
  });
});

describe('text fields', () => {
  it('trims strings and omits absent ones', () => {
    const fields = fieldsOf(parseConversionInput({ click_id: '  abc \n', offer_id: '\t42 ', sub1: '' }));
    expect(fields).toEqual({ click_id: 'abc', offer_id: '42', event: 'conversion' });
  });

  it('turns numbers into text in any field', () => {
    const fields = fieldsOf(parseConversionInput({ offer_id: 42, account: 7, sub1: 1e-7, click_id: 0 }));
    expect(fields).toMatchObject({ offer_id: '42', account: '7', sub1: '0.0000001', click_id: '0' });
  });

  it('keeps spaces and punctuation inside ids', () => {
    expect(fieldsOf(parseConversionInput({ offer_id: 'Offer #1 (EU)' })).offer_id).toBe('Offer #1 (EU)');
  });

  it('accepts well-formed non-ASCII text, including astral characters', () => {
    expect(fieldsOf(parseConversionInput({ sub1: 'Zürich 😀' })).sub1).toBe('Zürich 😀');
  });

  it('drops sub ids with lone surrogates, which cannot be percent-encoded later', () => {
    expect(droppedFieldsOf(parseConversionInput({ sub1: 'a\uD800b', sub2: '\uDE00' }))).toEqual(['sub1', 'sub2']);
  });

  it('refuses a click id with a lone surrogate: dropping it would change the conversion', () => {
    expect(badFieldsOf(parseConversionInput({ click_id: 'a\uD800b' }))).toEqual(['click_id']);
  });

  it('drops keys that are not canonical fields', () => {
    const fields = fieldsOf(parseConversionInput({ click_id: 'a', key: 'secret' } as Record<string, unknown>));
    expect(fields).toEqual({ click_id: 'a', event: 'conversion' });
  });
});

const MAX_LENGTH: [ConversionField, number][] = [
  ['click_id', 256],
  ['offer_id', 128],
  ['account', 128],
  ['order_id', 256],
  ['conversion_id', 256],
  ['status', 64],
  ['event', 128],
  ['sub1', 512],
  ['sub2', 512],
  ['sub3', 512],
  ['sub4', 512],
  ['sub5', 512],
];

describe('length limits', () => {
  it.each(MAX_LENGTH)('%s accepts %i characters', (field, max) => {
    expect(fieldsOf(parseConversionInput({ [field]: 'a'.repeat(max) }))[field]).toBe('a'.repeat(max));
  });

  it.each(MAX_LENGTH)('%s rejects more than %i characters, naming the field', (field, max) => {
    const result = parseConversionInput({ [field]: 'a'.repeat(max + 1) });
    expect(badFieldsOf(result)).toEqual([field]);
    expect(messageFor(result, field)).toBe(`must be at most ${max} characters`);
  });

  it('measures the length after trimming', () => {
    expect(fieldsOf(parseConversionInput({ status: `  ${'a'.repeat(64)}  ` })).status).toBe('a'.repeat(64));
  });

  it.each(CONVERSION_FIELDS)('rejects a 20 KB junk value in %s', (field) => {
    const junk = 'x'.repeat(20 * 1024);
    const result = parseConversionInput({ [field]: junk });
    expect(badFieldsOf(result)).toEqual([field]);
    if (field !== 'currency') expect(messageFor(result, field)).toMatch(/at most \d+ characters/);
  });
});

describe('control characters', () => {
  const controls = ['\u0000', '\u0001', '\u0008', '\t', '\n', '\r', '\u001b', '\u001f', '\u007f'];
  it.each(controls.map((c) => [JSON.stringify(c), c]))('refuses %s inside an identifying value', (_label, c) => {
    const result = parseConversionInput({ click_id: `a${c}b`, sub5: `x${c}y`, order_id: `1${c}2` });
    expect(badFieldsOf(result)).toEqual(['click_id', 'order_id']);
    expect(messageFor(result, 'click_id')).toMatch(/control/);
  });

  it.each(['payout', 'amount', 'currency', 'sub5'] as const)('drops a control character in %s with a warning', (field) => {
    expect(droppedFieldsOf(parseConversionInput({ [field]: 'US\u0000D' }))).toEqual([field]);
  });

  it.each(['event', 'status', 'account', 'offer_id'] as const)(
    'refuses a control character in %s (it routes the ping)',
    (field) => {
      expect(badFieldsOf(parseConversionInput({ [field]: 'US\u0000D' }))).toEqual([field]);
    },
  );

  it('trims surrounding whitespace controls instead of rejecting them', () => {
    expect(fieldsOf(parseConversionInput({ click_id: '\r\nabc\t\n' })).click_id).toBe('abc');
  });
});

describe('wrong types', () => {
  const wrong: [string, unknown][] = [
    ['true', true],
    ['false', false],
    ['object', { a: 1 }],
    ['empty object', {}],
    ['array', ['a']],
    ['empty array', []],
    ['symbol', Symbol('s')],
    ['function', () => 'a'],
  ];
  it.each(wrong)('refuses %s as a click id; drops it with a warning in payout, currency and sub ids', (_label, value) => {
    const result = parseConversionInput({ click_id: value, payout: value, sub1: value, currency: value });
    expect(badFieldsOf(result)).toEqual(['click_id']);
    expect(messageFor(result, 'click_id')).toMatch(/string/);
    const lenient = parseConversionInput({ click_id: 'c', payout: value, sub1: value, currency: value });
    expect(droppedFieldsOf(lenient)).toEqual(['payout', 'currency', 'sub1']);
    expect(fieldsOf(lenient)).toEqual({ click_id: 'c', event: 'conversion' });
  });

  it('treats null as absent', () => {
    expect(fieldsOf(parseConversionInput({ click_id: null, payout: null }))).toEqual({ event: 'conversion' });
  });
});

describe('currency', () => {
  it.each([
    ['usd', 'USD'],
    ['Eur', 'EUR'],
    ['GBP', 'GBP'],
    [' rub ', 'RUB'],
  ])('%j -> %s', (input, expected) => {
    expect(fieldsOf(parseConversionInput({ currency: input })).currency).toBe(expected);
  });

  it.each(['US', 'USDT', 'usd1', '12A', 'U$D', 'US D', 'ÜSD', '840'])('drops %j with a warning', (input) => {
    const result = parseConversionInput({ currency: input });
    expect(fieldsOf(result).currency).toBeUndefined();
    expect(warningsOf(result)).toEqual([{ field: 'currency', value: input, message: expect.stringMatching(/ISO 4217/) }]);
  });

  it('drops a numeric currency with a warning', () => {
    expect(droppedFieldsOf(parseConversionInput({ currency: 840 }))).toEqual(['currency']);
  });
});

describe('event', () => {
  it.each([
    ['absent', {}],
    ['empty', { event: '' }],
    ['blank', { event: '   ' }],
    ['null', { event: null }],
  ])('defaults to conversion when %s', (_label, input) => {
    expect(fieldsOf(parseConversionInput(input)).event).toBe('conversion');
  });

  it.each(['sale', 'Sale', 'lead_v2', 'goal:1', 'a.b-c', 'deposit-2', '1'])('keeps %j as sent', (event) => {
    expect(fieldsOf(parseConversionInput({ event })).event).toBe(event);
  });

  it.each(['Reach Level 10', 'sale now', 'a/b', 'a?b', 'a&b', 'a{b}', 'évent', 'a%20b'])(
    'keeps the printable name %j',
    (event) => {
      const result = parseConversionInput({ event });
      expect(fieldsOf(result).event).toBe(event);
      expect(warningsOf(result)).toEqual([]);
    },
  );
});

describe('several bad fields', () => {
  it('reports every bad field once, by canonical name', () => {
    const result = parseConversionInput({
      click_id: 'x'.repeat(257),
      event: 'fine event',
      payout: 'abc',
      amount: '1,5',
      currency: 'dollars',
      offer_id: true,
      order_id: 'ok',
      status: 's\u0000',
      account: { id: 1 },
      sub3: 'y'.repeat(20_000),
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    // Payout, amount and currency would only have been dropped with warnings.
    expect(result.errors.map((e) => e.field)).toEqual(['click_id', 'offer_id', 'status', 'account', 'sub3']);
    for (const error of result.errors) expect(error.message).not.toBe('');
  });

  it('reports one message per field even when it breaks several rules, the length first', () => {
    const result = parseConversionInput({ payout: `a\u0000${'b'.repeat(40)}` });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([{ field: 'payout', message: 'must be at most 32 characters' }]);
  });
});

describe('a complete conversion', () => {
  it('normalises every field', () => {
    const fields = fieldsOf(
      parseConversionInput({
        click_id: ' abc123 ',
        event: 'sale',
        payout: '1.50',
        amount: 99.9,
        currency: 'usd',
        offer_id: 17,
        order_id: 'ORD-1',
        conversion_id: 'c-1',
        status: 'approved',
        account: 'acme',
        sub1: 's1',
        sub2: 's2',
        sub3: 's3',
        sub4: 's4',
        sub5: 's5',
      }),
    );
    expect(fields).toEqual({
      click_id: 'abc123',
      event: 'sale',
      payout: '1.50',
      amount: '99.9',
      currency: 'USD',
      offer_id: '17',
      order_id: 'ORD-1',
      conversion_id: 'c-1',
      status: 'approved',
      account: 'acme',
      sub1: 's1',
      sub2: 's2',
      sub3: 's3',
      sub4: 's4',
      sub5: 's5',
    });
  });
});
