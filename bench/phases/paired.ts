import type { RelayLikeFigures } from '../lib/measure.js';
import type { BenchSettings } from '../lib/settings.js';
import { median, round } from '../lib/stats.js';
import { runMinimalRelay } from './minimal-relay.js';
import { runRelay } from './relay.js';

/** One figure's relay ÷ minimal relay ratio in every pair, and their median. */
export interface PairedRatio {
  median: number;
  perPair: number[];
}

export interface PairedResult {
  pairs: number;
  n: number;
  cpuTotal: PairedRatio;
  cpuProcess: PairedRatio;
  e2ePerSec: PairedRatio;
  /** Every run delivered all it accepted, exactly once (else the ratios mean little). */
  allDelivered: boolean;
}

/**
 * The machines are shared, and their speed drifts by tens of percent over a
 * minute: a single minimal-relay run followed by a single relay run can put
 * that drift into the ratio. Here the two alternate, minimal first then relay
 * first, each pair is compared on its own, and the median of the pair ratios
 * is reported with every pair's value.
 */
export async function runPaired(settings: BenchSettings, pairs: number, log: (line: string) => void): Promise<PairedResult> {
  const perPair = { cpuTotal: [] as number[], cpuProcess: [] as number[], e2ePerSec: [] as number[] };
  let allDelivered = true;
  for (let pair = 0; pair < pairs; pair++) {
    const order = pair % 2 === 0 ? (['minimal', 'relay'] as const) : (['relay', 'minimal'] as const);
    const runs: Partial<Record<'minimal' | 'relay', RelayLikeFigures>> = {};
    for (const which of order) runs[which] = which === 'minimal' ? await runMinimalRelay(settings) : await runRelay(settings);
    const minimal = runs.minimal!;
    const relay = runs.relay!;
    for (const run of [minimal, relay]) {
      if (run.e2e.delivered !== run.accept.ok || run.e2e.duplicates > 0) allDelivered = false;
    }
    // Both run against a Redis of the bench's own, so the Redis share is always measured.
    const relayTotal = relay.cpu.totalSecPer1k ?? Number.NaN;
    const minimalTotal = minimal.cpu.totalSecPer1k ?? Number.NaN;
    perPair.cpuTotal.push(relayTotal / minimalTotal);
    perPair.cpuProcess.push(relay.cpu.processSecPer1k / minimal.cpu.processSecPer1k);
    perPair.e2ePerSec.push(relay.e2e.perSec / minimal.e2e.perSec);
    log(
      `  pair ${pair + 1}/${pairs} (${order.join(' then ')}): CPU relay+Redis ${relayTotal.toFixed(3)} vs ` +
        `${minimalTotal.toFixed(3)} s/1000 (${(relayTotal / minimalTotal).toFixed(2)}×), ` +
        `e2e ${relay.e2e.perSec.toFixed(0)} vs ${minimal.e2e.perSec.toFixed(0)}/s`,
    );
  }
  const summarize = (values: number[]): PairedRatio => ({ median: round(median(values), 3), perPair: values.map((v) => round(v, 3)) });
  return {
    pairs,
    n: settings.n,
    cpuTotal: summarize(perPair.cpuTotal),
    cpuProcess: summarize(perPair.cpuProcess),
    e2ePerSec: summarize(perPair.e2ePerSec),
    allDelivered,
  };
}
