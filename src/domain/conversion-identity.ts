import { hash } from 'node:crypto';
import { DEFAULT_EVENT, type ConversionFields } from './conversion.js';
import { statusKey } from '../templates/status-rules.js';

function identityParts(source: string, fields: ConversionFields): Array<string | null> {
  return [
    source,
    fields.click_id ?? null,
    // Missing event and the default one are the same conversion, as the receiver defaults it.
    fields.event ?? DEFAULT_EVENT,
    fields.conversion_id ?? fields.order_id ?? null,
  ];
}

function digest(parts: Array<string | null>): string {
  // One-shot hashing: a Hash object per call cost twice as much (1.2 vs 0.5 µs).
  return hash('sha256', JSON.stringify(parts), 'hex');
}

/**
 * Whether a report names its conversion at all: a click id, or an id of the
 * conversion or order. Without one, two reports cannot be told to be the
 * same, so neither is ever a duplicate of the other (each is kept).
 */
export function hasIdentity(fields: ConversionFields): boolean {
  return Boolean(fields.click_id || fields.conversion_id || fields.order_id);
}

/**
 * Which conversion a report is about, whatever its status: source, click id,
 * event and (conversion_id, else order_id). Reports with the same identity
 * and different statuses are the status changes of one conversion, linked in
 * the audit. The parts are JSON-encoded as a tuple so no value can imitate a
 * separator (`a|b`+`c` vs `a`+`b|c`), and an absent part (null) differs from any text.
 */
export function conversionIdentity(source: string, fields: ConversionFields): string {
  return digest(identityParts(source, fields));
}

/**
 * The key for duplicate detection: the identity plus the status, since a
 * network re-fires the same conversion when its status changes (pending ->
 * approved -> reversed) and each change must reach the tracker. The status is
 * compared without regard to case, as status rules do. Without a status the
 * tuple is the identity alone, so keys written before statuses counted stay valid.
 */
export function dedupeKey(source: string, fields: ConversionFields): string {
  const parts = identityParts(source, fields);
  if (fields.status !== undefined) parts.push(statusKey(fields.status));
  return digest(parts);
}
