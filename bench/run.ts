import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, stopAllChildren } from './lib/children.js';
import { sleep } from './lib/clock.js';
import type { AcceptFigures, E2eFigures, RelayLikeFigures } from './lib/measure.js';
import { issue16Targets, targetsMarkdownTable, targetsTextTable } from './lib/issue-targets.js';
import { markdownTable, row, textTable, type ComparisonRow } from './lib/report.js';
import type { Noise } from './lib/noise.js';
import type { BenchSettings } from './lib/settings.js';
import { round } from './lib/stats.js';
import { runBullmqCeiling, type BullmqCeilingResult } from './phases/bullmq-ceiling.js';
import { runClick, type ClickResult } from './phases/click.js';
import { runFastifyBare, type FastifyBareResult } from './phases/fastify-bare.js';
import { FAILED_VARIANT_ATTEMPTS, MEMORY_TARGETS, runMemory, type MemoryResult, type MemoryVariant } from './phases/memory.js';
import { runMinimalRelay } from './phases/minimal-relay.js';
import { OPEN_LOOP_TARGETS, runOpenLoop, type OpenLoopFigures, type OpenLoopResult } from './phases/open-loop.js';
import { runPaired, type PairedResult } from './phases/paired.js';
import { runRelay, type RelayResult } from './phases/relay.js';

/**
 * `npm run bench`: the relay against three baselines, each measured in this
 * same run on this same machine, reported as ratios. Any failed request above
 * the threshold, any lost or wrong delivery, a crashed or hung process, or the
 * hard timeout makes it exit non-zero after printing why.
 *
 * Environment: BENCH_N (20000), BENCH_QUICK=1 or --quick (N=2000), BENCH_CONCURRENCY (64),
 * BENCH_WARMUP (N: unmeasured postbacks first, so the JIT has settled), BENCH_PACED_N (250) and BENCH_PACED_RATE (50/s) for the unsaturated latency run,
 * BENCH_PHASES (comma list of fastify-bare, bullmq-ceiling, minimal-relay, relay, relay-split: a receiver process and a
 * worker process instead of one, click: tracking-link redirects,
 * open-loop: a steady offered load on the relay and on the minimal relay, paired: the minimal relay and the relay
 * alternated BENCH_PAIRS (4) times with BENCH_PAIRED_N (N/2) postbacks each, compared pair by pair, memory: Redis bytes per queued,
 * retrying and delivered conversion),
 * BENCH_RATE (3000/s) and BENCH_OPEN_S (10; 5 when quick) for the open-loop run, BENCH_OPEN_MAX_OUTSTANDING (2000:
 * a request due while this many are unanswered is dropped and counted), BENCH_OPEN_CONNECTIONS (256),
 * BENCH_OPEN_BASELINE=0 (skip the minimal relay's open-loop run), BENCH_MEMORY_N (N: postbacks per memory variant),
 * BENCH_REDIS_ARGS (extra redis-server settings for every phase), BENCH_TIMEOUT_S (600, whole run), BENCH_STALL_S (30, no progress), BENCH_NOISY_RETRIES (2:
 * a measurement during which other processes took over 10% of the CPUs is repeated), BENCH_RELAY_CPU_PROF=1
 * (profile the relay into bench/results/; summarise with `tsx bench/profile-summary.ts`).
 */
const wallStart = Date.now();
const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const n = intFromEnv('BENCH_N', quick ? 2_000 : 20_000);
const hardTimeoutS = intFromEnv('BENCH_TIMEOUT_S', 600);
const ALL_PHASES = [
  'fastify-bare',
  'bullmq-ceiling',
  'minimal-relay',
  'relay',
  'relay-split',
  'click',
  'open-loop',
  'paired',
  'memory',
] as const;
type PhaseName = (typeof ALL_PHASES)[number];
const phases = (process.env.BENCH_PHASES?.split(',').map((name) => name.trim()) ?? [...ALL_PHASES]) as PhaseName[];
for (const phase of phases) {
  if (!ALL_PHASES.includes(phase)) fatalUsage(`BENCH_PHASES: unknown phase "${phase}" (known: ${ALL_PHASES.join(', ')})`);
}

const tmpDir = mkdtempSync(join(tmpdir(), 'postback-bench-'));
const settings: BenchSettings = {
  n,
  // As many as are measured: V8 optimises a function once it has run enough, and code that
  // runs once per job or per event-loop turn (the relay batches ~20 conversions into each)
  // gets there late. With 2,000, TurboFan was still compiling in the measured run: 155
  // functions, 816 ms of CPU in the relay (13 % of the run) against 88 and 295 ms in the
  // minimal relay; with 20,000, 63 and 296 ms against 35 and 155 ms.
  warmup: intFromEnv('BENCH_WARMUP', Math.max(1_000, n)),
  concurrency: intFromEnv('BENCH_CONCURRENCY', 64),
  paced: { n: intFromEnv('BENCH_PACED_N', 250), ratePerSec: intFromEnv('BENCH_PACED_RATE', 50) },
  stallMs: intFromEnv('BENCH_STALL_S', 30) * 1000,
  // Generous (a floor of 100 deliveries/s), but finite: a relay slower than that is broken, not slow.
  deliveryTimeoutMs: Math.max(120_000, n * 10),
  maxErrorRatio: 0.001,
  open: {
    ratePerSec: intFromEnv('BENCH_RATE', 3_000),
    seconds: intFromEnv('BENCH_OPEN_S', quick ? 5 : 10),
    maxOutstanding: intFromEnv('BENCH_OPEN_MAX_OUTSTANDING', 2_000),
    connections: intFromEnv('BENCH_OPEN_CONNECTIONS', 256),
    baseline: process.env.BENCH_OPEN_BASELINE !== '0',
  },
  memoryN: intFromEnv('BENCH_MEMORY_N', n),
  tmpDir,
};
const pairs = intFromEnv('BENCH_PAIRS', 4);
const pairedN = intFromEnv('BENCH_PAIRED_N', Math.max(1_000, Math.round(n / 2)));

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopAllChildren();
    rmSync(tmpDir, { recursive: true, force: true });
  })();
  return cleaning;
}

async function abort(reason: string, exitCode: number): Promise<never> {
  process.stderr.write(`\nBENCH FAILED: ${reason}\n`);
  await Promise.race([cleanup(), sleep(15_000)]);
  process.exit(exitCode);
}

process.once('SIGINT', () => void abort('interrupted (SIGINT)', 130));
process.once('SIGTERM', () => void abort('terminated (SIGTERM)', 143));
process.on('uncaughtException', (error) => void abort(`uncaught: ${error.stack ?? String(error)}`, 1));
process.on('unhandledRejection', (error) => void abort(`unhandled rejection: ${String(error)}`, 1));
setTimeout(() => void abort(`hard timeout: the bench took longer than ${hardTimeoutS} s`, 124), hardTimeoutS * 1000).unref();

/** Above this share of the CPUs taken by others during a measurement, it is repeated, then flagged. */
const NOISY_PERCENT = 10;
const noisyRetries = intFromEnv('BENCH_NOISY_RETRIES', 2, 0);

const results: {
  fastifyBare?: FastifyBareResult;
  bullmqCeiling?: BullmqCeilingResult;
  minimalRelay?: RelayLikeFigures;
  relay?: RelayResult;
  /** The relay as a receiver process and a worker process. */
  relaySplit?: RelayResult;
  click?: ClickResult;
  /** Fastify bare measured right before the click phase: its ratio then compares neighbours, not runs minutes apart. */
  clickBare?: FastifyBareResult;
  openLoop?: OpenLoopResult;
  paired?: PairedResult;
  memory?: MemoryResult;
} = {};
const problems: string[] = [];
const warnings: string[] = [];
const phaseSeconds: Record<string, number> = {};
const loadBefore = loadavg();

log(
  `postback-relay bench: N=${n}, warm-up ${settings.warmup}, concurrency ${settings.concurrency}, ` +
    `${cpus().length} CPUs, load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`,
);
for (const phase of phases) {
  const start = Date.now();
  log(`\n▶ ${phase}`);
  try {
    if (phase === 'fastify-bare') results.fastifyBare = await leastNoisy(() => runFastifyBare(settings));
    if (phase === 'bullmq-ceiling') results.bullmqCeiling = await leastNoisy(() => runBullmqCeiling(settings));
    if (phase === 'minimal-relay') results.minimalRelay = await leastNoisy(() => runMinimalRelay(settings));
    if (phase === 'relay') results.relay = await leastNoisy(() => runRelay(settings));
    if (phase === 'relay-split') results.relaySplit = await leastNoisy(() => runRelay(settings, { split: true }));
    if (phase === 'click') {
      results.clickBare = await leastNoisy(() => runFastifyBare(settings));
      results.click = await leastNoisy(() => runClick(settings));
    }
    if (phase === 'open-loop') results.openLoop = await leastNoisy(() => runOpenLoop(settings));
    // Drift between runs is what pairing cancels; each pair is kept whatever its noise.
    if (phase === 'paired') {
      const pairedSettings = { ...settings, n: pairedN, warmup: Math.min(settings.warmup, Math.max(1_000, pairedN)) };
      results.paired = await runPaired(pairedSettings, pairs, log);
    }
    // Bytes, not time: a busy machine does not skew them, so no repeat.
    if (phase === 'memory') results.memory = await runMemory(settings);
  } catch (error) {
    problems.push(`${phase}: ${(error as Error).message}`);
    log(`  failed: ${(error as Error).message}`);
  }
  phaseSeconds[phase] = round((Date.now() - start) / 1000, 1);
  log(`  ${phase} took ${phaseSeconds[phase]} s`);
  describePhase(phase);
}

checkAccept('fastify-bare', results.fastifyBare?.accept);
for (const [name, noise] of [
  ['fastify-bare', results.fastifyBare?.noise],
  ['bullmq-ceiling', results.bullmqCeiling?.noise],
  ['minimal-relay', results.minimalRelay?.noise],
  ['relay', results.relay?.noise],
  ['relay-split', results.relaySplit?.noise],
  ['click', results.click?.noise],
  ['open-loop', results.openLoop?.noise],
] as const) {
  if (noise && noise.othersPercent + noise.stealPercent > NOISY_PERCENT) {
    warnings.push(
      `${name}: measured on a busy machine, the quietest of its attempts (other processes ${noise.othersPercent.toFixed(0)}%, ` +
        `steal ${noise.stealPercent.toFixed(0)}% of all CPUs): its figures, and ratios against it, are skewed`,
    );
  }
}
checkRelayLike('minimal-relay', results.minimalRelay);
checkRelayLike('relay', results.relay);
checkRelayLike('relay-split', results.relaySplit);
for (const [name, result] of [
  ['relay', results.relay],
  ['relay-split', results.relaySplit],
] as const) {
  if (!result) continue;
  const { warnLines, warnSamples, shutdown } = result;
  if (warnLines > 0)
    warnings.push(`${name} logged ${warnLines} lines at warn or above, e.g.:\n    ${warnSamples.join('\n    ')}`);
  if (process.env.BENCH_RELAY_CPU_PROF === '1')
    warnings.push(`${name}: ran under --cpu-prof; its figures include profiler overhead`);
  if (shutdown.forced) problems.push(`${name}: did not exit within 30 s of SIGTERM (killed)`);
  else if (shutdown.code !== 0)
    warnings.push(`${name}: exited with code ${shutdown.code} (signal ${shutdown.signal}) after SIGTERM`);
}
if (results.click) {
  const { clicks, duplicateIds, redis, warnLines, warnSamples, shutdown } = results.click;
  checkAccept('click', clicks);
  if (duplicateIds > 0) problems.push(`click: ${duplicateIds} transaction ids were handed out more than once`);
  if (redis.keysAdded < clicks.ok)
    warnings.push(`click: ${clicks.ok} clicks redirected but only ${redis.keysAdded} Redis keys added`);
  if (warnLines > 0)
    warnings.push(`click: the relay logged ${warnLines} lines at warn or above, e.g.:\n    ${warnSamples.join('\n    ')}`);
  if (shutdown.forced) problems.push(`click: the relay did not exit within 30 s of SIGTERM (killed)`);
  else if (shutdown.code !== 0)
    warnings.push(`click: the relay exited with code ${shutdown.code} (signal ${shutdown.signal}) after SIGTERM`);
}

if (results.openLoop) {
  const o = results.openLoop;
  for (const [name, figures] of [
    ['open-loop relay', o.relay],
    ['open-loop relay split', o.relaySplit],
    ['open-loop minimal relay', o.minimalRelay],
  ] as const) {
    if (!figures) continue;
    const e = figures.e2e;
    if (e.wrongTxid > 0) problems.push(`${name}: ${e.wrongTxid} pings carried a txid other than the accepted id`);
    if (e.wrongPayout > 0) problems.push(`${name}: ${e.wrongPayout} pings carried a payout other than 1.50`);
    if (e.unexpected > 0) problems.push(`${name}: ${e.unexpected} pings for postbacks that were not accepted`);
    if (figures.drainError) problems.push(`${name}: ${e.undelivered} accepted postbacks not delivered: ${figures.drainError}`);
    if (e.duplicates > 0) warnings.push(`${name}: ${e.duplicates} duplicate pings (at-least-once allows them)`);
    // Overload is what this phase looks for: refusals and drops are findings, not bench failures.
    if (figures.dropped > 0) {
      warnings.push(
        `${name}: ${figures.dropped} of ${figures.offered} scheduled postbacks dropped (${o.maxOutstanding} unanswered already): ` +
          `it did not keep up with ${o.ratePerSec}/s`,
      );
    }
    if (figures.errors > 0)
      warnings.push(
        `${name}: ${figures.errors} of ${figures.sent} sent postbacks not accepted: ${JSON.stringify(figures.errorKinds)}`,
      );
    if (figures.sendLagP99Ms > 5) {
      warnings.push(
        `${name}: the load generator sent late (p99 ${figures.sendLagP99Ms.toFixed(1)} ms after the due time); latencies include it`,
      );
    }
  }
  if (o.warnLines > 0)
    warnings.push(
      `open-loop: the relay logged ${o.warnLines} lines at warn or above, e.g.:\n    ${o.warnSamples.join('\n    ')}`,
    );
  if (o.shutdown.forced) problems.push('open-loop: the relay did not exit within 30 s of SIGTERM (killed)');
  else if (o.shutdown.code !== 0)
    warnings.push(`open-loop: the relay exited with code ${o.shutdown.code} (signal ${o.shutdown.signal}) after SIGTERM`);
}
if (results.paired && !results.paired.allDelivered) {
  problems.push('paired: a run did not deliver every accepted postback exactly once');
}
if (results.memory) {
  for (const v of [results.memory.queued, results.memory.retrying, results.memory.delivered, results.memory.failed]) {
    if (v.items < v.sent) warnings.push(`memory ${v.variant}: ${v.sent - v.items} of ${v.sent} postbacks not accepted`);
    const expectedAttempts = v.variant === 'queued' ? 0 : v.variant === 'failed' ? FAILED_VARIANT_ATTEMPTS * v.items : v.items;
    if (v.attempts < expectedAttempts)
      problems.push(`memory ${v.variant}: ${v.items} accepted but only ${v.attempts} pings (expected ${expectedAttempts})`);
    if (v.warnLines > 0)
      warnings.push(
        `memory ${v.variant}: the relay logged ${v.warnLines} lines at warn or above, e.g.:\n    ${v.warnSamples.join('\n    ')}`,
      );
    if (v.shutdown.forced) problems.push(`memory ${v.variant}: the relay did not exit within 30 s of SIGTERM (killed)`);
    else if (v.shutdown.code !== 0)
      warnings.push(
        `memory ${v.variant}: the relay exited with code ${v.shutdown.code} (signal ${v.shutdown.signal}) after SIGTERM`,
      );
  }
}

const { fastifyBare, bullmqCeiling, minimalRelay, relay, relaySplit, click, clickBare, openLoop, paired, memory } = results;
const pairedLabel = `paired runs (median of ${paired?.pairs ?? pairs}, N=${paired?.n ?? pairedN})`;
const open = openLoop?.relay;
const openMinimal = openLoop?.minimalRelay;
const openSplit = openLoop?.relaySplit;
const openLabel = `open loop ${settings.open.ratePerSec}/s`;
const rows: ComparisonRow[] = [
  row('accepted/s', 'higher', 0, relay?.accept.perSec, 'Fastify bare', fastifyBare?.accept.perSec),
  row('accepted/s', 'higher', 0, relay?.accept.perSec, 'minimal relay', minimalRelay?.accept.perSec),
  row('e2e deliveries/s', 'higher', 0, relay?.e2e.perSec, 'BullMQ ceiling (processed/s)', bullmqCeiling?.processedPerSec),
  row('e2e deliveries/s', 'higher', 0, relay?.e2e.perSec, 'minimal relay', minimalRelay?.e2e.perSec),
  row('CPU s/1000, relay + Redis', 'lower', 3, relay?.cpu.totalSecPer1k, 'minimal relay', minimalRelay?.cpu.totalSecPer1k),
  row('CPU s/1000, relay process', 'lower', 3, relay?.cpu.processSecPer1k, 'minimal relay', minimalRelay?.cpu.processSecPer1k),
  row('CPU s/1000, Redis', 'lower', 3, relay?.cpu.redisSecPer1k, 'minimal relay', minimalRelay?.cpu.redisSecPer1k),
  row('accept p50 ms', 'lower', 2, relay?.accept.p50Ms, 'Fastify bare', fastifyBare?.accept.p50Ms),
  row('accept p99 ms', 'lower', 2, relay?.accept.p99Ms, 'Fastify bare', fastifyBare?.accept.p99Ms),
  row('accept p99 ms', 'lower', 2, relay?.accept.p99Ms, 'minimal relay', minimalRelay?.accept.p99Ms),
  row('e2e p50 ms', 'lower', 1, relay?.e2e.p50Ms, 'minimal relay', minimalRelay?.e2e.p50Ms),
  row('e2e p99 ms', 'lower', 1, relay?.e2e.p99Ms, 'minimal relay', minimalRelay?.e2e.p99Ms),
  row(
    `paced ${settings.paced.ratePerSec}/s: accept p99 ms`,
    'lower',
    2,
    relay?.paced.accept.p99Ms,
    'minimal relay',
    minimalRelay?.paced.accept.p99Ms,
  ),
  row(
    `paced ${settings.paced.ratePerSec}/s: e2e p50 ms`,
    'lower',
    1,
    relay?.paced.e2e.p50Ms,
    'minimal relay',
    minimalRelay?.paced.e2e.p50Ms,
  ),
  row(
    `paced ${settings.paced.ratePerSec}/s: e2e p99 ms`,
    'lower',
    1,
    relay?.paced.e2e.p99Ms,
    'minimal relay',
    minimalRelay?.paced.e2e.p99Ms,
  ),
  row(
    'Redis commands per conversion',
    'lower',
    1,
    relay?.redis.callsPerConversion,
    'minimal relay',
    minimalRelay?.redis.callsPerConversion,
  ),
  row(
    'Redis socket reads per conversion',
    'lower',
    2,
    relay?.redis.readsPerConversion,
    'minimal relay',
    minimalRelay?.redis.readsPerConversion,
  ),
  row(
    'Redis bytes in + out per conversion',
    'lower',
    0,
    relay ? relay.redis.bytesInPerConversion + relay.redis.bytesOutPerConversion : undefined,
    'minimal relay',
    minimalRelay ? minimalRelay.redis.bytesInPerConversion + minimalRelay.redis.bytesOutPerConversion : undefined,
  ),
  row('split roles: e2e deliveries/s', 'higher', 0, relaySplit?.e2e.perSec, 'minimal relay', minimalRelay?.e2e.perSec),
  row(
    'split roles: CPU s/1000, relay + Redis',
    'lower',
    3,
    relaySplit?.cpu.totalSecPer1k,
    'minimal relay',
    minimalRelay?.cpu.totalSecPer1k,
  ),
  // Where a conversion's CPU goes: taking it in (against answering bare) and delivering it.
  row(
    'split roles: CPU s/1000, receiver process',
    'lower',
    3,
    relaySplit?.cpu.perProcessSecPer1k?.[0],
    'Fastify bare',
    fastifyBare?.cpu.processSecPer1k,
  ),
  row(
    'split roles: CPU s/1000, worker process',
    'lower',
    3,
    relaySplit?.cpu.perProcessSecPer1k?.[1],
    'minimal relay process',
    minimalRelay?.cpu.processSecPer1k,
  ),
  row('split roles: e2e p99 ms', 'lower', 1, relaySplit?.e2e.p99Ms, 'minimal relay', minimalRelay?.e2e.p99Ms),
  row('clicks/s', 'higher', 0, click?.clicks.perSec, 'Fastify bare, just before', clickBare?.accept.perSec),
  row('click p99 ms', 'lower', 2, click?.clicks.p99Ms, 'Fastify bare, just before', clickBare?.accept.p99Ms),
  row('Redis bytes per click', 'lower', 0, click?.redis.bytesPerClick, '(no baseline)', undefined),
  row(`${openLabel}: sent/s`, 'higher', 0, open?.sentPerSec, 'offered rate', openLoop?.ratePerSec),
  row(`${openLabel}: accept p50 ms`, 'lower', 2, open?.accept.p50Ms, 'minimal relay (open loop)', openMinimal?.accept.p50Ms),
  row(
    `${openLabel}: accept p99 ms`,
    'lower',
    2,
    open?.accept.p99Ms,
    'target (issue 5)',
    openLoop ? OPEN_LOOP_TARGETS.acceptP99Ms : undefined,
  ),
  row(`${openLabel}: accept p99 ms`, 'lower', 2, open?.accept.p99Ms, 'minimal relay (open loop)', openMinimal?.accept.p99Ms),
  row(`${openLabel}: e2e p50 ms`, 'lower', 1, open?.e2e.p50Ms, 'minimal relay (open loop)', openMinimal?.e2e.p50Ms),
  row(
    `${openLabel}: e2e p99 ms`,
    'lower',
    1,
    open?.e2e.p99Ms,
    'target (issue 5)',
    openLoop ? OPEN_LOOP_TARGETS.e2eP99Ms : undefined,
  ),
  row(`${openLabel}: e2e p99 ms`, 'lower', 1, open?.e2e.p99Ms, 'minimal relay (open loop)', openMinimal?.e2e.p99Ms),
  row(
    `${openLabel}: deliveries/s`,
    'higher',
    0,
    open?.deliveriesPerSec,
    'minimal relay (open loop)',
    openMinimal?.deliveriesPerSec,
  ),
  row(`${openLabel}: backlog at end`, 'lower', 0, open?.backlogAtEnd, 'minimal relay (open loop)', openMinimal?.backlogAtEnd),
  row(
    `${openLabel}, split roles: accept p99 ms`,
    'lower',
    2,
    openSplit?.accept.p99Ms,
    'target (issue 5)',
    openLoop ? OPEN_LOOP_TARGETS.acceptP99Ms : undefined,
  ),
  row(
    `${openLabel}, split roles: e2e p99 ms`,
    'lower',
    1,
    openSplit?.e2e.p99Ms,
    'target (issue 5)',
    openLoop ? OPEN_LOOP_TARGETS.e2eP99Ms : undefined,
  ),
  row(
    `${pairedLabel}: e2e deliveries/s ÷ minimal relay`,
    'higher',
    2,
    paired?.e2ePerSec.median,
    'parity',
    paired ? 1 : undefined,
  ),
  row(`${pairedLabel}: CPU relay + Redis ÷ minimal relay`, 'lower', 2, paired?.cpuTotal.median, 'parity', paired ? 1 : undefined),
  row(
    `${pairedLabel}: CPU relay process ÷ minimal relay`,
    'lower',
    2,
    paired?.cpuProcess.median,
    'parity',
    paired ? 1 : undefined,
  ),
  row(
    'Redis B per queued delivery',
    'lower',
    0,
    memory?.queued.bytesPerItem,
    'target (issue 5)',
    memory ? MEMORY_TARGETS.bytesPerQueuedDelivery : undefined,
  ),
  row(
    'Redis B per retrying delivery',
    'lower',
    0,
    memory?.retrying.bytesPerItem,
    'target (issue 5)',
    memory ? MEMORY_TARGETS.bytesPerQueuedDelivery : undefined,
  ),
  row(
    'Redis B per retained audit attempt',
    'lower',
    0,
    memory?.bytesPerExtraAttempt,
    'target (issue 5)',
    memory ? MEMORY_TARGETS.bytesPerAuditAttempt : undefined,
  ),
  row(
    'Redis B per delivered conversion (record, indexes, keys)',
    'lower',
    0,
    memory?.delivered.bytesPerItem,
    '(no baseline)',
    undefined,
  ),
];

const loadAfter = loadavg();
const wallSeconds = round((Date.now() - wallStart) / 1000, 1);
const context =
  `N=${n} postbacks, ${settings.concurrency} in flight, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? '?'}), ` +
  `load average ${loadBefore[0]!.toFixed(2)} → ${loadAfter[0]!.toFixed(2)}, node ${process.version}, ${redisVersion()}, ` +
  `${gitDescription()}; all phases in one run of ${wallSeconds} s`;
const targets = issue16Targets({ minimalRelay, relay, relaySplit, paired, openLoop, memory, concurrency: settings.concurrency });
log(`\n${textTable(rows)}\n`);
log(`Issue 16's targets:\n\n${targetsTextTable(targets)}\n`);
log('Markdown:\n');
log(`${markdownTable(rows)}\n\n${targetsMarkdownTable(targets)}\n\n_${context}._\n`);

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });
const resultsPath = join(resultsDir, 'last.json');
writeFileSync(
  resultsPath,
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      context,
      settings: { ...settings, tmpDir: undefined, phases },
      machine: { cpus: cpus().length, model: cpus()[0]?.model.trim(), loadBefore, loadAfter },
      wallSeconds,
      phaseSeconds,
      results,
      rows,
      targets,
      warnings,
      problems,
      ok: problems.length === 0,
    },
    (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value),
    2,
  )}\n`,
);
log(`results: ${resultsPath}`);
log(`wall time: ${wallSeconds} s`);

await cleanup();
for (const warning of warnings) log(`warning: ${warning}`);
if (problems.length > 0) {
  process.stderr.write(`\nBENCH FAILED (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n`);
  for (const problem of problems) process.stderr.write(`  - ${problem}\n`);
  process.exit(1);
}
process.exit(0);

// ---- helpers ----

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function intFromEnv(name: string, fallback: number, min = 1): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min) fatalUsage(`${name} must be an integer ≥ ${min} (got "${text}")`);
  return Number(text);
}

/**
 * Runs a measurement again while other processes took a large share of the
 * machine, and keeps the quietest attempt. The choice is made on noise alone,
 * never on the figures, so it cannot flatter either side; a phase that stayed
 * noisy through every attempt is flagged in the warnings.
 */
async function leastNoisy<T extends { noise: Noise }>(measure: () => Promise<T>): Promise<T> {
  const noiseOf = (result: T) => result.noise.othersPercent + result.noise.stealPercent;
  let best: T | undefined;
  for (let attempt = 0; ; attempt++) {
    const result = await measure();
    if (!best || noiseOf(result) < noiseOf(best)) best = result;
    const outOfTime = Date.now() - wallStart > (hardTimeoutS * 1000) / 2;
    if (noiseOf(result) <= NOISY_PERCENT || attempt >= noisyRetries || outOfTime) return best;
    log(`  others took ${noiseOf(result).toFixed(0)}% of the CPUs during the measurement: measuring again`);
  }
}

function fatalUsage(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function checkAccept(name: string, accept: AcceptFigures | undefined): void {
  if (!accept) return;
  if (accept.errorRatio > settings.maxErrorRatio) {
    problems.push(
      `${name}: ${accept.errors} of ${accept.n} requests not accepted ` +
        `(${(accept.errorRatio * 100).toFixed(2)}% > ${settings.maxErrorRatio * 100}%): ${JSON.stringify(accept.errorKinds)}`,
    );
  } else if (accept.errors > 0) {
    warnings.push(`${name}: ${accept.errors} of ${accept.n} requests not accepted: ${JSON.stringify(accept.errorKinds)}`);
  }
}

function checkRelayLike(name: string, figures: RelayLikeFigures | undefined): void {
  if (!figures) return;
  checkAccept(name, figures.accept);
  checkAccept(`${name} (paced run)`, figures.paced.accept);
  checkPings(name, figures.e2e);
  checkPings(`${name} (paced run)`, figures.paced.e2e);
}

function checkPings(name: string, e2e: E2eFigures): void {
  if (e2e.wrongTxid > 0) problems.push(`${name}: ${e2e.wrongTxid} pings carried a txid other than the accepted id`);
  if (e2e.wrongPayout > 0) problems.push(`${name}: ${e2e.wrongPayout} pings carried a payout other than 1.50`);
  if (e2e.unexpected > 0) problems.push(`${name}: ${e2e.unexpected} pings for postbacks that were not accepted`);
  if (e2e.duplicates > 0) warnings.push(`${name}: ${e2e.duplicates} duplicate pings (at-least-once allows them)`);
}

function describePhase(phase: PhaseName): void {
  const f = (value: number | undefined, digits = 0) =>
    value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
  const acceptLine = (a: AcceptFigures) =>
    `  accepted ${a.ok}/${a.n} (${a.errors} errors) ${f(a.perSec)}/s, p50 ${f(a.p50Ms, 2)} ms, p99 ${f(a.p99Ms, 2)} ms, max ${f(a.maxMs, 1)} ms`;
  const relayLike = (r: RelayLikeFigures) => [
    acceptLine(r.accept),
    `  delivered ${r.e2e.delivered} (${r.e2e.duplicates} duplicates) ${f(r.e2e.perSec)}/s, e2e p50 ${f(r.e2e.p50Ms, 1)} ms, p99 ${f(r.e2e.p99Ms, 1)} ms, max ${f(r.e2e.maxMs, 1)} ms`,
    `  CPU s/1000: process ${f(r.cpu.processSecPer1k, 3)}` +
      // Several processes only with split roles: the receiver's, then the worker's.
      (r.cpu.perProcessSecPer1k
        ? ` (receiver ${f(r.cpu.perProcessSecPer1k[0], 3)}, worker ${f(r.cpu.perProcessSecPer1k[1], 3)})`
        : '') +
      `, redis ${f(r.cpu.redisSecPer1k, 3)}, total ${f(r.cpu.totalSecPer1k, 3)}` +
      (r.cpu.harness
        ? `; the bench's side: load generator ${f(r.cpu.harness.loadGeneratorSecPer1k, 3)}, tracker ${f(r.cpu.harness.trackerSecPer1k, 3)}`
        : ''),
    `  paced ${r.paced.ratePerSec}/s: accept p50 ${f(r.paced.accept.p50Ms, 2)} ms, p99 ${f(r.paced.accept.p99Ms, 2)} ms; ` +
      `e2e p50 ${f(r.paced.e2e.p50Ms, 1)} ms, p99 ${f(r.paced.e2e.p99Ms, 1)} ms, max ${f(r.paced.e2e.maxMs, 1)} ms`,
    `  Redis commands per conversion (inside scripts included): ${f(r.redis.callsPerConversion, 1)}; most Redis time: ` +
      r.redis.top
        .slice(0, 6)
        .map((c) => `${c.command} ×${f(c.callsPerConversion, 1)} ${f(c.usecPerConversion)} µs`)
        .join(', '),
    `  Redis traffic per conversion: ${f(r.redis.bytesInPerConversion)} B in, ${f(r.redis.bytesOutPerConversion)} B out, ` +
      `in ${f(r.redis.readsPerConversion, 2)} socket reads`,
  ];
  const lines: string[] = [];
  if (phase === 'fastify-bare' && results.fastifyBare) {
    lines.push(acceptLine(results.fastifyBare.accept), `  CPU s/1000: process ${f(results.fastifyBare.cpu.processSecPer1k, 3)}`);
  }
  if (phase === 'bullmq-ceiling' && results.bullmqCeiling) {
    const c = results.bullmqCeiling;
    lines.push(
      `  adds ${f(c.addsPerSec)}/s (p50 ${f(c.addP50Ms, 2)} ms, p99 ${f(c.addP99Ms, 2)} ms), processed ${f(c.processedPerSec)}/s`,
      `  CPU s/1000: producer ${f(c.cpu.producerSecPer1k, 3)}, worker ${f(c.cpu.workerSecPer1k, 3)}, redis ${f(c.cpu.redisSecPer1k, 3)}`,
    );
  }
  if (phase === 'minimal-relay' && results.minimalRelay) lines.push(...relayLike(results.minimalRelay));
  const relayResult = phase === 'relay' ? results.relay : phase === 'relay-split' ? results.relaySplit : undefined;
  if (relayResult) {
    const r = relayResult;
    lines.push(...relayLike(r), `  shutdown ${r.shutdown.ms} ms (code ${r.shutdown.code}), warn+ log lines ${r.warnLines}`);
    const counters = Object.entries(r.counters).map(([name, value]) => `    ${name.replace('postback_relay_', '')} ${value}`);
    if (counters.length) lines.push('  relay counters (warm-up included):', ...counters);
  }
  if (phase === 'click' && results.click) {
    const c = results.click;
    if (results.clickBare) lines.push(`  Fastify bare just before: ${acceptLine(results.clickBare.accept).trim()}`);
    lines.push(
      `  redirected ${c.clicks.ok}/${c.clicks.n} (${c.clicks.errors} errors${c.clicks.errors ? ` ${JSON.stringify(c.clicks.errorKinds)}` : ''}) ` +
        `${f(c.clicks.perSec)}/s, p50 ${f(c.clicks.p50Ms, 2)} ms, p99 ${f(c.clicks.p99Ms, 2)} ms, max ${f(c.clicks.maxMs, 1)} ms`,
      `  CPU s/1000: relay ${f(c.cpu.processSecPer1k, 3)}, redis ${f(c.cpu.redisSecPer1k, 3)}, total ${f(c.cpu.totalSecPer1k, 3)}`,
      `  Redis: ${f(c.redis.bytesPerClick)} bytes per click (used_memory ${c.redis.usedMemoryBefore} → ${c.redis.usedMemoryAfter}, ` +
        `${c.redis.keysAdded} keys added); commands per click ${f(c.redis.callsPerClick, 1)}: ` +
        c.redis.top
          .slice(0, 6)
          .map((x) => `${x.command} ×${f(x.callsPerClick, 1)} ${f(x.usecPerClick)} µs`)
          .join(', '),
      `  shutdown ${c.shutdown.ms} ms (code ${c.shutdown.code}), warn+ log lines ${c.warnLines}`,
    );
    const counters = Object.entries(c.counters).map(([name, value]) => `    ${name.replace('postback_relay_', '')} ${value}`);
    if (counters.length) lines.push('  relay counters (warm-up included):', ...counters);
  }
  if (phase === 'open-loop' && results.openLoop) {
    const o = results.openLoop;
    const openLines = (label: string, r: OpenLoopFigures) => [
      `  ${label}: sent ${r.sent}/${r.offered} at ${f(r.sentPerSec)}/s (${r.dropped} dropped, ${r.errors} not accepted${r.errors ? ` ${JSON.stringify(r.errorKinds)}` : ''}; ` +
        `peak ${r.peakOutstanding} unanswered, generator lag p99 ${f(r.sendLagP99Ms, 2)} ms)`,
      `    accept (from due time) p50 ${f(r.accept.p50Ms, 2)} ms, p99 ${f(r.accept.p99Ms, 2)} ms, max ${f(r.accept.maxMs, 1)} ms`,
      `    delivered ${r.e2e.delivered}/${r.accepted} (${r.e2e.duplicates} duplicates), e2e p50 ${f(r.e2e.p50Ms, 1)} ms, p99 ${f(r.e2e.p99Ms, 1)} ms, ` +
        `max ${f(r.e2e.maxMs, 1)} ms`,
      `    ${f(r.deliveriesPerSec)} deliveries/s during the schedule (${f(r.deliveriesPerSecOverall)}/s to the last); backlog at the end ` +
        `${r.backlogAtEnd} (${f(r.backlogSeconds, 2)} s of load), drained ${f(r.drainMs)} ms later: ${r.keptUp ? 'kept up' : 'did NOT keep up'}`,
      `    CPU s/1000: process ${f(r.cpu.processSecPer1k, 3)}, redis ${f(r.cpu.redisSecPer1k, 3)}, total ${f(r.cpu.totalSecPer1k, 3)}; ` +
        `cores busy during the schedule: process ${f(r.cpu.processCores, 2)}, redis ${f(r.cpu.redisCores, 2)}`,
    ];
    lines.push(
      `  ${o.ratePerSec}/s for ${o.seconds} s, at most ${o.maxOutstanding} unanswered, ${o.connections} connections`,
      ...openLines('relay', o.relay),
      ...openLines('relay, split roles', o.relaySplit),
      ...(o.minimalRelay ? openLines('minimal relay', o.minimalRelay) : []),
      `  relay shutdown ${o.shutdown.ms} ms (code ${o.shutdown.code}), warn+ log lines ${o.warnLines}`,
    );
  }
  if (phase === 'paired' && results.paired) {
    const p = results.paired;
    for (const [label, ratio] of [
      ['e2e deliveries/s', p.e2ePerSec],
      ['CPU relay + Redis', p.cpuTotal],
      ['CPU relay process', p.cpuProcess],
    ] as const) {
      lines.push(
        `  ${label}, relay ÷ minimal relay: median ${f(ratio.median, 2)}× (pairs: ${ratio.perPair.map((v) => `${v.toFixed(2)}×`).join(', ')})`,
      );
    }
  }
  if (phase === 'memory' && results.memory) {
    const memoryLines = (v: MemoryVariant, target?: number) => [
      `  ${v.variant}: ${f(v.bytesPerItem)} B per ${v.item}${target ? ` (target ${target} B: ${f(v.bytesPerItem / target, 2)}×)` : ''}; ` +
        `${v.items}/${v.sent} accepted, ${v.attempts} attempts, used_memory ${v.usedMemoryBefore} → ${v.usedMemoryAfter}, ` +
        `${f(v.keysPerItem, 2)} keys each; ${f(v.eventStreamBytesPerItem)} B of it in BullMQ's capped event streams`,
      `    MEMORY USAGE by key kind, B per item: ` +
        v.breakdown
          .slice(0, 8)
          .map((k) => `${k.kind} ${f(k.bytesPerItem)}${k.keys ? ` (+${k.keys} keys)` : ''}`)
          .join(', '),
    ];
    const m = results.memory;
    lines.push(
      ...memoryLines(m.queued, MEMORY_TARGETS.bytesPerQueuedDelivery),
      ...memoryLines(m.retrying, MEMORY_TARGETS.bytesPerQueuedDelivery),
      ...memoryLines(m.delivered),
      ...memoryLines(m.failed),
      `  per retained audit attempt: ${f(m.bytesPerExtraAttempt)} B (failed minus delivered, ÷ ${FAILED_VARIANT_ATTEMPTS - 1} more attempts; ` +
        `target ${MEMORY_TARGETS.bytesPerAuditAttempt} B: ${f(m.bytesPerExtraAttempt / MEMORY_TARGETS.bytesPerAuditAttempt, 2)}×)`,
    );
  }
  const noise = {
    'fastify-bare': results.fastifyBare,
    'bullmq-ceiling': results.bullmqCeiling,
    'minimal-relay': results.minimalRelay,
    relay: results.relay,
    'relay-split': results.relaySplit,
    click: results.click,
    'open-loop': results.openLoop,
    paired: undefined,
    memory: undefined,
  }[phase]?.noise;
  if (noise) lines.push(`  machine: other processes ${f(noise.othersPercent)}%, steal ${f(noise.stealPercent)}% of the CPUs`);
  for (const line of lines) log(line);
}

function redisVersion(): string {
  try {
    return `redis ${/v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? '?'}`;
  } catch {
    return 'redis ?';
  }
}

/** The commit measured, and whether src/ differed from it (the lead edits while benches run). */
function gitDescription(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    return `commit ${commit}${dirty ? ' + uncommitted src/ changes' : ''}`;
  } catch {
    return 'commit ?';
  }
}
