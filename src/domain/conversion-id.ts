import { hash } from 'node:crypto';
import { DEFAULT_EVENT, type Conversion } from './conversion.js';

/** 22 base64url characters: 132 bits of the digest, plenty against collisions, short in a tracker's txid column. */
const DERIVED_LENGTH = 22;

/**
 * The `{conversion_id}` a tracker dedupes on, the same for every report of
 * one conversion: the sender's conversion id, else its order id, else one
 * derived from (source, click id, event). A network re-fires a conversion when
 * its status changes (pending -> approved); with a fresh id per report Voluum
 * would count the approval as a second conversion and Keitaro as a rebill.
 * The relay's own id is the last resort, for a conversion without a click id
 * (which is never delivered) and nothing else to go on.
 */
export function stableConversionId(
  conversion: Pick<Conversion, 'id' | 'source' | 'click_id' | 'event' | 'conversion_id' | 'order_id'>,
): string {
  if (conversion.conversion_id !== undefined) return conversion.conversion_id;
  if (conversion.order_id !== undefined) return conversion.order_id;
  if (conversion.click_id === undefined) return conversion.id;
  // A JSON tuple, so no value can imitate a separator between the parts.
  const parts = JSON.stringify([conversion.source, conversion.click_id, conversion.event || DEFAULT_EVENT]);
  return hash('sha256', parts, 'base64url').slice(0, DERIVED_LENGTH);
}
