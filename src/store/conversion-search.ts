import type { ConversionState } from '../domain/conversion.js';
import type { ConversionRecord } from './ledger.js';
import type { RelayKeys } from './keys.js';

/** A conversion search: every filter given must match. Times are unix ms, inclusive. */
export interface ConversionSearch {
  clickId?: string;
  source?: string;
  account?: string;
  offerId?: string;
  state?: ConversionState;
  since?: number;
  until?: number;
}

/** A recorded conversion with the state its deliveries give it. */
export interface FoundConversion {
  record: ConversionRecord;
  state: ConversionState;
}

/** Routing states the ledger keeps an index of (scored by received_at, like the search indexes). */
const STATE_INDEXED = new Set<ConversionState>(['unattributed', 'suppressed', 'no_postback']);

/**
 * The indexes that hold every conversion a search can match, all scored by
 * received_at: the search walks the one with the fewest entries in its time
 * range and checks the other filters on each record. The time index holds
 * every recorded conversion, so there is always one.
 */
export function candidateIndexes(keys: RelayKeys, search: ConversionSearch): string[] {
  const candidates = [keys.conversionsByTime];
  if (search.clickId !== undefined) candidates.push(keys.conversionsByClick(search.clickId));
  if (search.source !== undefined) candidates.push(keys.conversionsBySource(search.source));
  if (search.account !== undefined) candidates.push(keys.conversionsByAccount(search.account));
  if (search.offerId !== undefined) candidates.push(keys.conversionsByOffer(search.offerId));
  if (search.state !== undefined && STATE_INDEXED.has(search.state)) candidates.push(keys.conversionsByState(search.state));
  return candidates;
}

/**
 * Whether a record matches: indexes are written apart from the records (an
 * entry can outlive a re-attribution or a state change), so every filter is
 * checked on the record itself, the walked index's own included.
 */
export function matchesSearch(found: FoundConversion, search: ConversionSearch): boolean {
  const conversion = found.record.conversion;
  return (
    (search.clickId === undefined || conversion.click_id === search.clickId) &&
    (search.source === undefined || conversion.source === search.source) &&
    (search.account === undefined || conversion.account === search.account) &&
    (search.offerId === undefined || conversion.offer_id === search.offerId) &&
    (search.state === undefined || found.state === search.state) &&
    (search.since === undefined || conversion.received_at >= search.since) &&
    (search.until === undefined || conversion.received_at <= search.until)
  );
}
