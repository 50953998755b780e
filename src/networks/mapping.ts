import type { InboundPlan } from '../receiver/read-conversion.js';
import type { NetworkPreset } from './presets.js';

/**
 * How a source's postbacks are read, from its network preset (if any) and
 * its explicit `params`. An explicit entry replaces the preset's names for
 * that field (the operator knows their network's URL best); fields it does
 * not name keep the preset's. A name the operator maps explicitly is read
 * even when the preset excludes it.
 */
export function inboundPlanFor(
  preset: NetworkPreset | undefined,
  explicit: Readonly<Record<string, readonly string[]>> | undefined,
): InboundPlan {
  const params: Record<string, readonly string[]> = { ...(preset?.params ?? {}) };
  for (const [field, names] of Object.entries(explicit ?? {})) {
    if (Array.isArray(names) && names.length > 0) params[field] = names;
  }
  return {
    params,
    ...(preset && preset.exclude.length > 0 ? { exclude: preset.exclude } : {}),
    ...(preset?.status_map ? { statusMap: preset.status_map } : {}),
  };
}
