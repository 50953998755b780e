import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stopAllChildren } from './lib/children.js';
import type { BenchSettings } from './lib/settings.js';
import { runRelay } from './phases/relay.js';
import { comparePairs } from './phases/paired.js';

/**
 * `tsx bench/ab.ts <baseline checkout>`: is this tree's relay cheaper than
 * another checkout's (a `git worktree` of the commit before a change)? The
 * two alternate, baseline first then this tree first, BENCH_PAIRS (6) times
 * with BENCH_PAIRED_N (10,000) postbacks each, and each pair is compared on
 * its own: on these shared machines a single before/after pair can drift by
 * more than the change being measured. Prints every pair and the medians.
 * The baseline needs its own `node_modules` (a symlink to this one's will do).
 * BENCH_AB_CONFIG / BENCH_AB_BASELINE_CONFIG: JSON merged into this tree's /
 * the baseline's relay config file (top-level sections replaced whole), to
 * compare settings on the same code: `tsx bench/ab.ts .` with one of them set.
 * BENCH_AB_SPLIT=1: both run as a receiver process and a worker process, as
 * the bench's relay-split phase does.
 */
const baselineRoot = process.argv[2];
if (!baselineRoot || !existsSync(join(baselineRoot, 'src/main.ts'))) {
  process.stderr.write('usage: tsx bench/ab.ts <path of another checkout of postback-relay>\n');
  process.exit(2);
}
const pairs = Number(process.env.BENCH_PAIRS ?? 6);
const n = Number(process.env.BENCH_PAIRED_N ?? 10_000);
const tmpDir = mkdtempSync(join(tmpdir(), 'postback-ab-'));
const settings: BenchSettings = {
  n,
  // As in `npm run bench`: as many as are measured, so the JIT's one-off work stays out of the figures.
  warmup: Math.max(1_000, n),
  concurrency: 64,
  paced: { n: 50, ratePerSec: 50 },
  stallMs: 30_000,
  deliveryTimeoutMs: Math.max(120_000, n * 10),
  maxErrorRatio: 0.001,
  open: { ratePerSec: 0, seconds: 0, maxOutstanding: 0, connections: 0, baseline: false },
  memoryN: 0,
  tmpDir,
};

function configFromEnv(name: string): Record<string, unknown> | undefined {
  const text = process.env[name];
  if (!text) return undefined;
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${name} must be a JSON object`);
  return parsed as Record<string, unknown>;
}
const config = configFromEnv('BENCH_AB_CONFIG');
const baselineConfig = configFromEnv('BENCH_AB_BASELINE_CONFIG');
const split = process.env.BENCH_AB_SPLIT === '1';

try {
  const result = await comparePairs(
    {
      name: 'baseline',
      run: () =>
        runRelay(settings, { split, root: resolve(baselineRoot), ...(baselineConfig ? { config: baselineConfig } : {}) }),
    },
    { name: 'this tree', run: () => runRelay(settings, { split, ...(config ? { config } : {}) }) },
    pairs,
    (line) => process.stdout.write(`${line}\n`),
  );
  process.stdout.write(
    `this tree ÷ baseline, median of ${pairs} pairs (N=${n}): CPU relay process ${result.cpuProcess.median.toFixed(3)}×, ` +
      `relay+Redis ${result.cpuTotal.median.toFixed(3)}×, e2e deliveries/s ${result.e2ePerSec.median.toFixed(3)}×` +
      `${result.allDelivered ? '' : ' (a run did not deliver every accepted postback exactly once)'}\n`,
  );
} finally {
  await stopAllChildren();
  rmSync(tmpDir, { recursive: true, force: true });
}
