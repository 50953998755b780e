import { describe, expect, it } from 'vitest';
import { issue16Targets, targetsTextTable, type TargetInputs } from '../../../bench/lib/issue-targets.js';

const loop = (perSec: number, p50Ms: number, cpu: number) => ({ e2e: { perSec, p50Ms }, cpu: { totalSecPer1k: cpu } });

const full: TargetInputs = {
  concurrency: 64,
  minimalRelay: loop(4000, 600, 0.34),
  relay: loop(6400, 80, 0.2),
  relaySplit: loop(5000, 150, 0.3),
  paired: { pairs: 4, n: 10000, cpuTotal: { median: 0.71 }, e2ePerSec: { median: 1.5 } },
  openLoop: {
    ratePerSec: 3000,
    relay: { accept: { p99Ms: 9.9 }, e2e: { p99Ms: 300 } },
    relaySplit: { accept: { p99Ms: 40 }, e2e: { p99Ms: 250 } },
  },
  memory: {
    queued: { bytesPerItem: 535 },
    retrying: { bytesPerItem: 2700 },
    delivered: { bytesPerItem: 1700 },
    bytesPerExtraAttempt: 301,
  },
};

function verdicts(inputs: TargetInputs): Record<string, string> {
  return Object.fromEntries(issue16Targets(inputs).map((c) => [`${c.target} / ${c.basis}`, c.verdict]));
}

describe('issue 16 targets', () => {
  it('judges each bound on its own side, boundary values included', () => {
    const v = Object.values(verdicts(full));
    const rows = issue16Targets(full);
    const byTarget = (prefix: string) => rows.filter((c) => c.target.startsWith(prefix)).map((c) => c.verdict);
    expect(byTarget('CPU per conversion')).toEqual(['NOT met', 'holds']); // 0.71 paired; 0.2/0.34 single
    expect(byTarget('e2e p50 under a burst')).toEqual(['holds', 'NOT met']); // 80 ms one process; 150 ms split
    expect(byTarget('e2e deliveries/s ÷ minimal relay, one process')).toEqual(['holds', 'holds']); // 1.5 exactly; 1.6
    expect(byTarget('e2e deliveries/s ÷ minimal relay, split roles')).toEqual(['NOT met']); // 1.25
    expect(byTarget('open loop: accept p99')).toEqual(['holds', 'NOT met']);
    expect(byTarget('open loop: e2e p99')).toEqual(['NOT met', 'holds']);
    expect(byTarget('Redis memory per queued')).toEqual(['holds']);
    expect(byTarget('Redis memory per retained audit attempt')).toEqual(['NOT met']);
    expect(v.length).toBe(rows.length);
  });

  it('states the memory kept for the retention, worked out for a daily volume', () => {
    const kept = issue16Targets(full).find((c) => c.sense === 'stated')!;
    expect(kept.verdict).toBe('stated');
    expect(kept.measured).toBe(1700);
    expect(kept.note).toBe('11.9 GB for 1,000,000 conversions a day kept 7 days');
  });

  it('says "not measured" for phases that did not run, and the table still renders', () => {
    const rows = issue16Targets({ concurrency: 64 });
    expect(new Set(rows.map((c) => c.verdict))).toEqual(new Set(['not measured']));
    expect(targetsTextTable(rows)).toContain('not measured');
  });
});
