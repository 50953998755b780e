import { measureRelayLike, type RelayLikeFigures } from '../lib/measure.js';
import type { RelayShutdown } from '../lib/relay-process.js';
import type { BenchSettings } from '../lib/settings.js';
import { withRelay } from '../lib/targets.js';

export interface RelayResult extends RelayLikeFigures {
  /** The relay's own counters at the end (warm-up included): what it thinks happened. */
  counters: Record<string, number>;
  /** Log lines at warn or above, and a few of them. */
  warnLines: number;
  warnSamples: string[];
  shutdown: RelayShutdown;
}

/**
 * The relay as an operator runs it: `node --import tsx src/main.ts`, configured through env and the admin API.
 * `split`: as one scales it out, a receiver process and a worker process (RELAY_ROLE) on the one machine.
 */
export async function runRelay(
  settings: BenchSettings,
  options: { split?: boolean; root?: string; config?: Record<string, unknown> } = {},
): Promise<RelayResult> {
  const name = options.split ? 'relay-split' : 'relay';
  const run = await withRelay(name, settings, (target) => measureRelayLike(target, settings), {
    split: options.split === true,
    ...(options.root ? { root: options.root } : {}),
    ...(options.config ? { config: options.config } : {}),
  });
  return {
    ...run.figures,
    counters: run.counters,
    warnLines: run.warn.lines,
    warnSamples: run.warn.samples,
    shutdown: run.shutdown,
  };
}
