/**
 * Issue 16's targets, each with the figure measured in this run and whether
 * it holds. Pure: the run's results in, rows out (printed by `bench/run.ts`,
 * unit-tested on made-up figures).
 *
 * Where a paired figure exists it is the verdict's basis (the box drifts by
 * tens of percent within a minute, and pairing cancels that); the single-run
 * ratio is shown beside it, with its own verdict, because split roles have
 * no paired phase.
 */

export type Verdict = 'holds' | 'NOT met' | 'stated' | 'not measured';

export interface TargetCheck {
  target: string;
  /** What the figure is and how it was taken. */
  basis: string;
  measured: number;
  /** The bound, or NaN when the target is a figure to state, not a bound. */
  limit: number;
  /** Lower is better for bounds written "≤", higher for "≥". */
  sense: '≤' | '≥' | 'stated';
  digits: number;
  unit: string;
  verdict: Verdict;
  /** A derived statement (e.g. memory for a volume kept for the retention). */
  note?: string;
}

export const ISSUE16 = {
  cpuRatioMax: 0.7,
  burstE2eP50MaxMs: 100,
  deliveriesRatioMin: 1.5,
  openAcceptP99MaxMs: 10,
  openE2eP99MaxMs: 250,
  bytesPerQueuedDeliveryMax: 1024,
  bytesPerAuditAttemptMax: 300,
  /** The retention the memory figure is stated for (the relay's default `retentionMs`). */
  retentionDays: 7,
  /** The volume the 7-day figure is worked out for, per day. */
  statedConversionsPerDay: 1_000_000,
} as const;

interface LoopFigures {
  e2e: { perSec: number; p50Ms: number };
  cpu: { totalSecPer1k?: number };
}

export interface TargetInputs {
  minimalRelay?: LoopFigures;
  relay?: LoopFigures;
  relaySplit?: LoopFigures;
  /** Medians of the paired phase (relay ÷ minimal relay). */
  paired?: { pairs: number; n: number; cpuTotal: { median: number }; e2ePerSec: { median: number } };
  openLoop?: {
    ratePerSec: number;
    relay: { accept: { p99Ms: number }; e2e: { p99Ms: number } };
    relaySplit?: { accept: { p99Ms: number }; e2e: { p99Ms: number } };
  };
  memory?: {
    queued: { bytesPerItem: number };
    retrying: { bytesPerItem: number };
    delivered: { bytesPerItem: number };
    bytesPerExtraAttempt: number;
  };
  concurrency: number;
}

function check(
  target: string,
  basis: string,
  measured: number | undefined,
  sense: '≤' | '≥',
  limit: number,
  digits: number,
  unit: string,
): TargetCheck {
  const value = measured ?? Number.NaN;
  const verdict: Verdict = !Number.isFinite(value)
    ? 'not measured'
    : (sense === '≤' ? value <= limit : value >= limit)
      ? 'holds'
      : 'NOT met';
  return { target, basis, measured: value, limit, sense, digits, unit, verdict };
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a / b;
}

export function issue16Targets(r: TargetInputs): TargetCheck[] {
  const t = ISSUE16;
  const pairedBasis = r.paired ? `paired phase, median of ${r.paired.pairs} pairs, N=${r.paired.n}` : 'paired phase';
  const rows: TargetCheck[] = [
    check(
      'CPU per conversion, relay + Redis ÷ minimal relay',
      pairedBasis,
      r.paired?.cpuTotal.median,
      '≤',
      t.cpuRatioMax,
      2,
      '×',
    ),
    check(
      'CPU per conversion, relay + Redis ÷ minimal relay',
      'relay and minimal-relay phases (one run each)',
      ratio(r.relay?.cpu.totalSecPer1k, r.minimalRelay?.cpu.totalSecPer1k),
      '≤',
      t.cpuRatioMax,
      2,
      '×',
    ),
    check(
      'e2e p50 under a burst',
      `relay phase, one process, ${r.concurrency} clients flat out`,
      r.relay?.e2e.p50Ms,
      '≤',
      t.burstE2eP50MaxMs,
      1,
      'ms',
    ),
    check(
      'e2e p50 under a burst',
      `relay-split phase, ${r.concurrency} clients flat out`,
      r.relaySplit?.e2e.p50Ms,
      '≤',
      t.burstE2eP50MaxMs,
      1,
      'ms',
    ),
    check(
      'e2e deliveries/s ÷ minimal relay, one process',
      pairedBasis,
      r.paired?.e2ePerSec.median,
      '≥',
      t.deliveriesRatioMin,
      2,
      '×',
    ),
    check(
      'e2e deliveries/s ÷ minimal relay, one process',
      'relay and minimal-relay phases (one run each)',
      ratio(r.relay?.e2e.perSec, r.minimalRelay?.e2e.perSec),
      '≥',
      t.deliveriesRatioMin,
      2,
      '×',
    ),
    check(
      'e2e deliveries/s ÷ minimal relay, split roles',
      'relay-split and minimal-relay phases (one run each)',
      ratio(r.relaySplit?.e2e.perSec, r.minimalRelay?.e2e.perSec),
      '≥',
      t.deliveriesRatioMin,
      2,
      '×',
    ),
  ];
  const rate = r.openLoop ? `${r.openLoop.ratePerSec}/s` : 'the offered rate';
  for (const [label, figures] of [
    ['one process', r.openLoop?.relay],
    ['split roles', r.openLoop?.relaySplit],
  ] as const) {
    rows.push(
      check(
        `open loop: accept p99, ${label}`,
        `open-loop phase at ${rate}, from each request's due time`,
        figures?.accept.p99Ms,
        '≤',
        t.openAcceptP99MaxMs,
        2,
        'ms',
      ),
      check(
        `open loop: e2e p99, ${label}`,
        `open-loop phase at ${rate}, from each request's due time`,
        figures?.e2e.p99Ms,
        '≤',
        t.openE2eP99MaxMs,
        1,
        'ms',
      ),
    );
  }
  const delivered = r.memory?.delivered.bytesPerItem;
  const keptBytes = delivered === undefined ? undefined : delivered * t.statedConversionsPerDay * t.retentionDays;
  rows.push({
    target: `Redis memory per delivered conversion kept ${t.retentionDays} days (record, attempt, search indexes)`,
    basis: 'memory phase, used_memory delta ÷ conversions',
    measured: delivered ?? Number.NaN,
    limit: Number.NaN,
    sense: 'stated',
    digits: 0,
    unit: 'B',
    verdict: delivered === undefined ? 'not measured' : 'stated',
    ...(keptBytes === undefined
      ? {}
      : {
          note: `${(keptBytes / 1e9).toFixed(1)} GB for ${t.statedConversionsPerDay.toLocaleString('en-US')} conversions a day kept ${t.retentionDays} days`,
        }),
  });
  rows.push(
    check(
      'Redis memory per queued delivery',
      'memory phase, conversions held queued',
      r.memory?.queued.bytesPerItem,
      '≤',
      t.bytesPerQueuedDeliveryMax,
      0,
      'B',
    ),
    check(
      'Redis memory per retained audit attempt',
      'memory phase, (failed − delivered) ÷ extra attempts',
      r.memory?.bytesPerExtraAttempt,
      '≤',
      t.bytesPerAuditAttemptMax,
      0,
      'B',
    ),
  );
  return rows;
}

function measuredText(c: TargetCheck): string {
  return Number.isFinite(c.measured) ? `${c.measured.toFixed(c.digits)} ${c.unit}`.replace(' ×', '×') : 'n/a';
}

function limitText(c: TargetCheck): string {
  return c.sense === 'stated' ? '(stated)' : `${c.sense} ${c.limit} ${c.unit}`.replace(' ×', '×');
}

const HEADER = ['issue 16 target', 'measured', 'bound', 'verdict', 'basis'];

function cells(c: TargetCheck): string[] {
  return [c.target, measuredText(c), limitText(c), c.note ? `${c.verdict}: ${c.note}` : c.verdict, c.basis];
}

export function targetsTextTable(checks: TargetCheck[]): string {
  const table = [HEADER, ...checks.map(cells)];
  const widths = HEADER.map((_, column) => Math.max(...table.map((line) => [...line[column]!].length)));
  const render = (line: string[]) =>
    line
      .map((cell, column) => cell + ' '.repeat(widths[column]! - [...cell].length))
      .join('  ')
      .trimEnd();
  return [render(table[0]!), widths.map((width) => '-'.repeat(width)).join('  '), ...table.slice(1).map(render)].join('\n');
}

export function targetsMarkdownTable(checks: TargetCheck[]): string {
  const line = (parts: string[]) => `| ${parts.join(' | ')} |`;
  return [line(HEADER), line(['---', '---:', '---:', '---', '---']), ...checks.map((c) => line(cells(c)))].join('\n');
}
