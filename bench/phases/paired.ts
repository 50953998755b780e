import type { RelayLikeFigures } from '../lib/measure.js';
import type { BenchSettings } from '../lib/settings.js';
import { median, round } from '../lib/stats.js';
import { runMinimalRelay } from './minimal-relay.js';
import { runRelay } from './relay.js';

/** One figure's candidate ÷ baseline ratio (relay ÷ minimal relay in the `paired` phase) in every pair, and their median. */
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

/** One side of a paired comparison: a name for the log and how to run it once. */
export interface PairedSide {
  name: string;
  run(): Promise<RelayLikeFigures>;
}

/**
 * The machines are shared, and their speed drifts by tens of percent over a
 * minute: a single run of one followed by a single run of the other can put
 * that drift into the ratio. Here the two alternate, `baseline` first then
 * `candidate` first, each pair is compared on its own (candidate ÷
 * baseline), and the median of the pair ratios is reported with every
 * pair's value. Used by the `paired` phase (minimal relay vs relay) and by
 * `bench/ab.ts` (another checkout vs this one).
 */
export async function comparePairs(
  baseline: PairedSide,
  candidate: PairedSide,
  pairs: number,
  log: (line: string) => void,
): Promise<Omit<PairedResult, 'n'>> {
  const perPair = { cpuTotal: [] as number[], cpuProcess: [] as number[], e2ePerSec: [] as number[] };
  let allDelivered = true;
  for (let pair = 0; pair < pairs; pair++) {
    const order = pair % 2 === 0 ? [baseline, candidate] : [candidate, baseline];
    const runs = new Map<PairedSide, RelayLikeFigures>();
    for (const side of order) runs.set(side, await side.run());
    const base = runs.get(baseline)!;
    const mine = runs.get(candidate)!;
    for (const run of [base, mine]) {
      if (run.e2e.delivered !== run.accept.ok || run.e2e.duplicates > 0) allDelivered = false;
    }
    // Both run against a Redis of the bench's own, so the Redis share is always measured.
    const mineTotal = mine.cpu.totalSecPer1k ?? Number.NaN;
    const baseTotal = base.cpu.totalSecPer1k ?? Number.NaN;
    perPair.cpuTotal.push(mineTotal / baseTotal);
    perPair.cpuProcess.push(mine.cpu.processSecPer1k / base.cpu.processSecPer1k);
    perPair.e2ePerSec.push(mine.e2e.perSec / base.e2e.perSec);
    log(
      `  pair ${pair + 1}/${pairs} (${order.map((side) => side.name).join(' then ')}): CPU ${candidate.name}+Redis ${mineTotal.toFixed(3)} vs ` +
        `${baseTotal.toFixed(3)} s/1000 (${(mineTotal / baseTotal).toFixed(2)}×), process ${mine.cpu.processSecPer1k.toFixed(3)} vs ` +
        `${base.cpu.processSecPer1k.toFixed(3)}, redis ${(mine.cpu.redisSecPer1k ?? Number.NaN).toFixed(3)} vs ` +
        `${(base.cpu.redisSecPer1k ?? Number.NaN).toFixed(3)}, e2e ${mine.e2e.perSec.toFixed(0)} vs ${base.e2e.perSec.toFixed(0)}/s, ` +
        `e2e p50 ${mine.e2e.p50Ms.toFixed(0)} vs ${base.e2e.p50Ms.toFixed(0)} ms, ` +
        `Redis reads per conversion ${mine.redis.readsPerConversion.toFixed(2)} vs ${base.redis.readsPerConversion.toFixed(2)}`,
    );
  }
  const summarize = (values: number[]): PairedRatio => ({
    median: round(median(values), 3),
    perPair: values.map((v) => round(v, 3)),
  });
  return {
    pairs,
    cpuTotal: summarize(perPair.cpuTotal),
    cpuProcess: summarize(perPair.cpuProcess),
    e2ePerSec: summarize(perPair.e2ePerSec),
    allDelivered,
  };
}

/** The minimal relay against the relay, in alternating pairs (see `comparePairs`). */
export async function runPaired(settings: BenchSettings, pairs: number, log: (line: string) => void): Promise<PairedResult> {
  const result = await comparePairs(
    { name: 'minimal', run: () => runMinimalRelay(settings) },
    { name: 'relay', run: () => runRelay(settings) },
    pairs,
    log,
  );
  return { ...result, n: settings.n };
}
