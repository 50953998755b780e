import { CONVERSION_FIELDS } from '../domain/conversion.js';

/** Canonical macro names: every conversion field, plus the time it was received. */
export const MACRO_NAMES = [...CONVERSION_FIELDS, 'timestamp'] as const;

export type MacroName = (typeof MACRO_NAMES)[number];

/** Values to substitute, keyed by canonical name; an absent value renders as the empty string. */
export type MacroValues = Partial<Record<MacroName, string>>;

export const CLICK_ID_MACRO = 'click_id' satisfies MacroName;

/** Alternative spellings trackers and networks use in their own docs, accepted in templates. */
export const MACRO_ALIASES: Readonly<Record<string, MacroName>> = Object.freeze({
  clickid: 'click_id',
  cid: 'click_id',
  transaction_id: 'click_id',
  tid: 'click_id',
  sum: 'payout',
  revenue: 'payout',
  sale_amount: 'amount',
  goal: 'event',
  txid: 'conversion_id',
  aff_id: 'account',
});

// A Map rather than an object lookup: `{__proto__}` or `{constructor}` in a
// template must be an unknown macro, not something found on Object.prototype.
const LOOKUP: ReadonlyMap<string, MacroName> = new Map<string, MacroName>([
  ...MACRO_NAMES.map((name) => [name, name] as const),
  ...Object.entries(MACRO_ALIASES),
]);

/** The canonical name for a macro or alias as written inside the braces; undefined when unknown. Case-sensitive. */
export function canonicalMacro(name: string): MacroName | undefined {
  return LOOKUP.get(name);
}
