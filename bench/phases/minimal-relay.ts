import { measureRelayLike, type RelayLikeFigures } from '../lib/measure.js';
import type { BenchSettings } from '../lib/settings.js';
import { withMinimalRelay } from '../lib/targets.js';

export async function runMinimalRelay(settings: BenchSettings): Promise<RelayLikeFigures> {
  return withMinimalRelay('minimal-relay', settings, (target) => measureRelayLike(target, settings));
}
