import type { SourceConfig } from '../domain/source.js';
import { inboundPlanFor } from '../networks/mapping.js';
import { findNetwork } from '../networks/presets.js';
import type { InboundPlan } from './read-conversion.js';

// Sources come from a cache and are reused, so each one's plan (and the alias table
// param-mapping builds for it) is made once, not per request.
const plans = new WeakMap<SourceConfig, InboundPlan>();

/** How this source's postbacks are read: its network preset's names and statuses, its own `params` first. */
export function inboundPlanOf(source: SourceConfig): InboundPlan {
  let plan = plans.get(source);
  if (!plan) {
    // A preset removed from the code since the source was saved reads as the defaults.
    plan = inboundPlanFor(source.network ? findNetwork(source.network) : undefined, source.params);
    plans.set(source, plan);
  }
  return plan;
}
