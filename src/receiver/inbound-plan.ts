import type { SourceConfig } from '../domain/source.js';
import type { InboundPlan } from './read-conversion.js';

// Sources come from a cache and are reused, so each one's plan (and the alias table
// param-mapping builds for it) is made once, not per request.
const plans = new WeakMap<SourceConfig, InboundPlan>();

/** How this source's postbacks are read. */
export function inboundPlanOf(source: SourceConfig): InboundPlan {
  let plan = plans.get(source);
  if (!plan) {
    plan = { params: source.params };
    plans.set(source, plan);
  }
  return plan;
}
