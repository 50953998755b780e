import type { ConversionFields } from '../domain/conversion.js';
import { SUB_FIELDS, type Click } from '../domain/click.js';
import { looksLikeTransactionId } from './transaction-id.js';

export const UNKNOWN_CLICK_REASON = 'unknown click id: no click with this transaction id in the attribution window';

/**
 * Whether the receiver should spend a Redis read on the click: only for an id
 * this relay could have issued, and only when the click could change
 * something (a field is missing, or the source insists on a known click).
 */
export function needsClickLookup(fields: ConversionFields, requireClick: boolean): boolean {
  if (!looksLikeTransactionId(fields.click_id)) return false;
  if (requireClick) return true;
  return fields.account === undefined || fields.offer_id === undefined || SUB_FIELDS.some((sub) => fields[sub] === undefined);
}

/**
 * The conversion's fields completed from its click. What the conversion
 * carries itself always wins: the sender knows its own conversion best.
 */
export function attributeFromClick<F extends ConversionFields>(fields: F, click: Click | null | undefined): F {
  if (!click) return fields;
  const out: F = { ...fields };
  if (out.account === undefined && click.account !== undefined) out.account = click.account;
  if (out.offer_id === undefined) out.offer_id = click.offer_id;
  for (const sub of SUB_FIELDS) {
    if (out[sub] === undefined && click[sub] !== undefined) out[sub] = click[sub];
  }
  return out;
}
