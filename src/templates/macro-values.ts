import type { Conversion } from '../domain/conversion.js';
import type { MacroValues } from './macros.js';
import { mapStatus } from './status-rules.js';

/**
 * The values a conversion offers to templates. `{conversion_id}` falls back
 * to the relay's own id so every ping carries a stable dedupe key.
 */
export function macroValuesOf(conversion: Conversion): MacroValues {
  const { id, received_at, source: _source, conversion_id, previous_id: _previous, warnings: _warnings, ...fields } = conversion;
  return {
    ...fields,
    conversion_id: conversion_id ?? id,
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
