import { z } from 'zod';
import {
  CONVERSION_FIELDS,
  DEFAULT_EVENT,
  type ConversionField,
  type ConversionFields,
  type FieldWarning,
} from '../domain/conversion.js';
import type { MappedFields } from './param-mapping.js';

/** Validated fields; `event` is always set (defaulted). */
export type ParsedConversionFields = ConversionFields & { event: string };

export interface FieldError {
  field: string;
  message: string;
}

export type { FieldWarning };

export type ConversionInputResult =
  { ok: true; fields: ParsedConversionFields; warnings: FieldWarning[] } | { ok: false; errors: FieldError[] };

/**
 * Fields a malformed value of which is dropped with a warning instead of
 * refusing the conversion: money and sub ids. Refusing loses the conversion
 * (the network retries into the same 400, and Everflow disables a postback
 * that keeps failing), while a missing payout still credits the click. The
 * others decide where and whether a ping goes (click, account, offer, event,
 * status) or which conversion this is (order and conversion ids): guessing
 * without them could ping the wrong account or fire a declined sale, so a
 * malformed one still refuses. A value over its length limit always refuses:
 * it is not a network's slip but an unusable request.
 */
const LENIENT_FIELDS: ReadonlySet<string> = new Set<ConversionField>([
  'payout',
  'amount',
  'currency',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
]);

/** How much of a dropped value a warning repeats. */
const WARNING_VALUE_MAX = 128;

/**
 * A JSON number's decimal text without an exponent. `String(n)` switches to
 * exponent form below 1e-6 and from 1e21, which no tracker parses as money.
 */
export function numberToDecimalText(n: number): string {
  const text = String(n);
  const e = text.indexOf('e');
  if (e === -1) return text;
  const negative = text.startsWith('-');
  const mantissa = text.slice(negative ? 1 : 0, e);
  const exponent = Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot === -1 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const integerLength = (dot === -1 ? mantissa.length : dot) + exponent;
  let out: string;
  if (integerLength <= 0) out = `0.${'0'.repeat(-integerLength)}${digits}`;
  else if (integerLength >= digits.length) out = digits + '0'.repeat(integerLength - digits.length);
  else out = `${digits.slice(0, integerLength)}.${digits.slice(integerLength)}`;
  return negative ? `-${out}` : out;
}

/** Absent, null and blank all mean "not sent"; numbers become text so every field is a string. */
function normalize(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return numberToDecimalText(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

// The inbound text ends up in logs, in Redis and substituted into outbound URLs.
const CONTROL = /[\u0000-\u001f\u007f]/;
// encodeURIComponent throws on a lone surrogate, which would fail the delivery later instead of the request now.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
// Plain decimal only: no sign other than `-`, no exponent, no thousands or comma separators.
const DECIMAL = /^-?\d+(?:\.\d+)?$/;
const CURRENCY = /^[A-Za-z]{3}$/;

interface TextRules {
  max: number;
  pattern?: RegExp;
  patternMessage?: string;
}

function text({ max, pattern, patternMessage }: TextRules) {
  let schema = z
    .string({
      error: (issue) => (typeof issue.input === 'number' ? 'must be a finite number' : 'must be a string or number'),
    })
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters')
    .refine((s) => !LONE_SURROGATE.test(s), 'must be well-formed text');
  if (pattern) schema = schema.regex(pattern, patternMessage);
  return z.preprocess(normalize, schema.optional());
}

const decimal = () => text({ max: 32, pattern: DECIMAL, patternMessage: 'must be a plain decimal number like 1.50' });
const sub = () => text({ max: 512 });

const fieldSchemas = {
  click_id: text({ max: 256 }),
  // Networks send event names as people wrote them (`Reach Level 10`): any printable text.
  event: text({ max: 128 }),
  payout: decimal(),
  amount: decimal(),
  currency: z.preprocess(
    normalize,
    z
      .string({ error: 'must be a 3-letter ISO 4217 code' })
      // A long value is an unusable request (400); a short malformed one (`usd1`) is dropped with a warning.
      .max(32, 'must be at most 32 characters')
      .regex(CURRENCY, 'must be a 3-letter ISO 4217 code')
      .transform((s) => s.toUpperCase())
      .optional(),
  ),
  offer_id: text({ max: 128 }),
  order_id: text({ max: 256 }),
  conversion_id: text({ max: 256 }),
  status: text({ max: 64 }),
  account: text({ max: 128 }),
  sub1: sub(),
  sub2: sub(),
  sub3: sub(),
  sub4: sub(),
  sub5: sub(),
} satisfies Record<ConversionField, z.ZodType>;

/** The canonical fields as one object (the API reference documents the postback's parameters from it). */
export const conversionInputSchema = z.object(fieldSchemas);

type FieldIssue = z.core.$ZodIssue & { field: string };
type FieldsCheck = { success: true; data: ConversionFields } | { success: false; issues: FieldIssue[] };

/**
 * The same rules as `conversionInputSchema`, run on the fields present only:
 * a postback carries three or four of the fifteen, and an absent one is valid
 * by definition (every field is optional). Per request this was most of the
 * receiver's validation time.
 */
function checkFields(input: Readonly<MappedFields>): FieldsCheck {
  const data: ConversionFields = {};
  const issues: FieldIssue[] = [];
  // In the canonical order, whatever the sender's, so answers list fields the same way every time.
  for (const field of CONVERSION_FIELDS) {
    const value = input[field];
    if (value === undefined) continue;
    const result = fieldSchemas[field].safeParse(value);
    if (!result.success) for (const issue of result.error.issues) issues.push({ ...issue, field });
    else if (result.data !== undefined) data[field] = result.data;
  }
  return issues.length > 0 ? { success: false, issues } : { success: true, data };
}

function warningValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else if (typeof value === 'object' && value !== null) text = JSON.stringify(value) ?? '';
  else text = typeof value;
  return text.length > WARNING_VALUE_MAX ? `${text.slice(0, WARNING_VALUE_MAX)}…` : text;
}

/**
 * Validates and normalises mapped inbound values. A malformed money or sub id
 * value is dropped with a warning (see LENIENT_FIELDS); any other bad field
 * fails the whole input, reporting every such field (one message each) so the
 * sender can fix them all at once.
 */
export function parseConversionInput(mapped: Readonly<MappedFields>): ConversionInputResult {
  let result = checkFields(mapped);
  const warnings: FieldWarning[] = [];
  if (!result.success) {
    const errors: FieldError[] = [];
    const issuesByField = new Map<string, z.core.$ZodIssue[]>();
    for (const issue of result.issues) {
      issuesByField.set(issue.field, [...(issuesByField.get(issue.field) ?? []), issue]);
    }
    const dropped: MappedFields = { ...mapped };
    for (const [field, issues] of issuesByField) {
      const tooLong = issues.find((issue) => issue.code === 'too_big');
      if (LENIENT_FIELDS.has(field) && !tooLong) {
        const value = mapped[field as ConversionField];
        warnings.push({ field, value: warningValue(value), message: `${issues[0]!.message}; dropped` });
        delete dropped[field as ConversionField];
      } else {
        errors.push({ field, message: (tooLong ?? issues[0]!).message });
      }
    }
    if (errors.length > 0) return { ok: false, errors };
    // Fields validate independently, so without the dropped ones the rest passes as before.
    result = checkFields(dropped);
    if (!result.success)
      return { ok: false, errors: result.issues.map((issue) => ({ field: issue.field, message: issue.message })) };
  }
  return { ok: true, fields: { ...result.data, event: result.data.event ?? DEFAULT_EVENT }, warnings };
}
