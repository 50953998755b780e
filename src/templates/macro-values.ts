import type { Conversion } from '../domain/conversion.js';
import type { MacroValues } from './macros.js';

/**
 * The values a conversion offers to templates. `{conversion_id}` falls back
 * to the relay's own id so every ping carries a stable dedupe key.
 */
export function macroValuesOf(conversion: Conversion): MacroValues {
  const { id, received_at, source: _source, conversion_id, ...fields } = conversion;
  return {
    ...fields,
    conversion_id: conversion_id ?? id,
    timestamp: String(Math.floor(received_at / 1000)),
  };
}
