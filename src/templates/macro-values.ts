import type { Conversion } from '../domain/conversion.js';
import { stableConversionId } from '../domain/conversion-id.js';
import type { MacroValues } from './macros.js';
import { mapStatus } from './status-rules.js';

/**
 * The values a conversion offers to templates. `{conversion_id}` is stable
 * per conversion (see stableConversionId), so every ping carries a dedupe key
 * that a status change keeps.
 */
export function macroValuesOf(conversion: Conversion): MacroValues {
  const {
    id: _id,
    received_at,
    source: _source,
    conversion_id: _conversionId,
    previous_id: _previous,
    warnings: _warnings,
    ...fields
  } = conversion;
  return {
    ...fields,
    conversion_id: stableConversionId(conversion),
    timestamp: String(Math.floor(received_at / 1000)),
  };
}

/**
 * `{status}` in the words of the level that matched (its `status_map`); the
 * status as received when the level has no map or the map does not name it.
 */
export function withStatusMap(values: MacroValues, statusMap: Readonly<Record<string, string>> | undefined): MacroValues {
  if (statusMap === undefined || values.status === undefined) return values;
  const status = mapStatus(statusMap, values.status);
  const { status: _received, ...rest } = values;
  return status === undefined ? rest : { ...rest, status };
}
