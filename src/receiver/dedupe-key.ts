import { createHash } from 'node:crypto';
import { DEFAULT_EVENT, type ConversionFields } from '../domain/conversion.js';

/**
 * The identity of a conversion for duplicate detection: source, click id,
 * event and (conversion_id, else order_id). The parts are JSON-encoded as a
 * tuple so no value can imitate a separator (`a|b`+`c` vs `a`+`b|c`), and an
 * absent part (null) differs from any text.
 */
export function dedupeKey(source: string, fields: ConversionFields): string {
  const identity = JSON.stringify([
    source,
    fields.click_id ?? null,
    // Missing event and the default one are the same conversion, as the receiver defaults it.
    fields.event ?? DEFAULT_EVENT,
    fields.conversion_id ?? fields.order_id ?? null,
  ]);
  return createHash('sha256').update(identity, 'utf8').digest('hex');
}
