import { randomBytes } from 'node:crypto';
import { guard } from '../lib/children.js';
import { acceptedId, postbackPath, runLoad } from '../lib/load.js';
import { cpuOf, matchHits, per1k, type RelayLikeTarget } from '../lib/measure.js';
import { startNoiseMeter, type Noise } from '../lib/noise.js';
import { runOpenLoad, type OpenLoadResult } from '../lib/open-load.js';
import { waitForQuietCpu } from '../lib/proc-cpu.js';
import type { RelayShutdown } from '../lib/relay-process.js';
import { withMinimalRelay, withRelay, worseShutdown } from '../lib/targets.js';
import type { BenchSettings } from '../lib/settings.js';
import { percentile, summarize } from '../lib/stats.js';
import { waitForCount } from '../lib/wait.js';

/** The issue's targets at a steady offered load. */
export const OPEN_LOOP_TARGETS = { acceptP99Ms: 10, e2eP99Ms: 250 } as const;
/** A backlog of at most this much of the offered load at the end of the schedule counts as keeping up (the e2e target's worth). */
const KEPT_UP_BACKLOG_SECONDS = OPEN_LOOP_TARGETS.e2eP99Ms / 1000;

export interface OpenLoopFigures {
  offered: number;
  offeredPerSec: number;
  sent: number;
  /** Sent per second, first due time to the last actual send: below the offered rate only when requests were dropped. */
  sentPerSec: number;
  /** Due while `maxOutstanding` requests were unanswered, so never sent. */
  dropped: number;
  accepted: number;
  /** Sent but not accepted (any other answer, or none within 30 s). */
  errors: number;
  errorKinds: Record<string, number>;
  /** The generator's own lateness (send time − due time): large values mean the bench, not the server, fell behind. */
  sendLagP99Ms: number;
  peakOutstanding: number;
  /** Due time → accept answer read, accepted requests only (drops and errors are counted above, not here). */
  accept: { p50Ms: number; p99Ms: number; maxMs: number };
  /**
   * Due time → first ping at the tracker, per accepted postback. An accepted
   * postback never delivered counts as infinitely late (a percentile it
   * reaches reads n/a).
   */
  e2e: {
    delivered: number;
    undelivered: number;
    duplicates: number;
    wrongTxid: number;
    wrongPayout: number;
    unexpected: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
  };
  /** Pings that reached the tracker during the schedule, per second of it: the delivery rate under the load. */
  deliveriesPerSec: number;
  /** All deliveries ÷ (last ping − first due time): the rate including the drain after the schedule. */
  deliveriesPerSecOverall: number;
  /**
   * When the schedule ended: postbacks accepted (now or later) but not yet at
   * the tracker, i.e. still in a request, the queue or a delivery.
   */
  backlogAtEnd: number;
  /** The backlog at the end in seconds of offered load. */
  backlogSeconds: number;
  /** Last ping − end of the schedule (0 when nothing was left). */
  drainMs: number;
  /** Nothing dropped and a backlog at the end of at most the e2e target's worth of load. */
  keptUp: boolean;
  /** Set when the accepted postbacks were not all delivered within the wait (the figures above count them as missing). */
  drainError?: string;
  /** CPU seconds per 1,000 delivered, first due time to drained and quiet; cores busy during the schedule. */
  cpu: { processSecPer1k: number; redisSecPer1k: number; totalSecPer1k: number; processCores: number; redisCores: number };
  noise: Noise;
}

export interface OpenLoopResult {
  ratePerSec: number;
  seconds: number;
  maxOutstanding: number;
  connections: number;
  relay: OpenLoopFigures;
  /** The same load on the relay scaled out on this machine: a receiver process and a worker process. */
  relaySplit: OpenLoopFigures;
  /** The same load on the minimal relay (absent with BENCH_OPEN_BASELINE=0). */
  minimalRelay?: OpenLoopFigures;
  /** The noisier of the two runs, so the repeat-when-noisy rule covers both sides. */
  noise: Noise;
  counters: Record<string, number>;
  warnLines: number;
  warnSamples: string[];
  shutdown: RelayShutdown;
}

/**
 * Steady offered load: the relay, then the relay as a receiver process and a
 * worker process, then the minimal relay (each with a fresh Redis and tracker) takes postbacks at a fixed rate for a fixed time,
 * sent on schedule whatever the answers. Latencies run from each request's
 * due time, so a stall shows in every request it delayed.
 */
export async function runOpenLoop(settings: BenchSettings): Promise<OpenLoopResult> {
  const relayPart = await openLoopOnRelay(settings);
  const splitPart = await openLoopOnRelay(settings, { split: true });
  const minimalRelay = settings.open.baseline ? await openLoopOnMinimalRelay(settings) : undefined;
  const noises = [relayPart.figures.noise, splitPart.figures.noise, ...(minimalRelay ? [minimalRelay.noise] : [])];
  return {
    ratePerSec: settings.open.ratePerSec,
    seconds: settings.open.seconds,
    maxOutstanding: settings.open.maxOutstanding,
    connections: settings.open.connections,
    relay: relayPart.figures,
    relaySplit: splitPart.figures,
    ...(minimalRelay ? { minimalRelay } : {}),
    noise: {
      othersPercent: Math.max(...noises.map((n) => n.othersPercent)),
      stealPercent: Math.max(...noises.map((n) => n.stealPercent)),
    },
    counters: relayPart.counters,
    warnLines: relayPart.warn.lines + splitPart.warn.lines,
    warnSamples: [...relayPart.warn.samples, ...splitPart.warn.samples].slice(0, 5),
    shutdown: worseShutdown(relayPart.shutdown, splitPart.shutdown),
  };
}

function openLoopOnRelay(settings: BenchSettings, options: { split?: boolean } = {}) {
  const name = options.split ? 'relay split (open loop)' : 'relay (open loop)';
  return withRelay(name, settings, (target) => measureOpenLoop(target, settings), { split: options.split === true });
}

function openLoopOnMinimalRelay(settings: BenchSettings): Promise<OpenLoopFigures> {
  return withMinimalRelay('minimal relay (open loop)', settings, (target) => measureOpenLoop(target, settings));
}

async function measureOpenLoop(target: RelayLikeTarget, settings: BenchSettings): Promise<OpenLoopFigures> {
  const { ratePerSec, seconds, maxOutstanding, connections } = settings.open;
  const tag = randomBytes(3).toString('hex');
  const within = <T>(promise: Promise<T>): Promise<T> => guard(promise, target.guards);
  const delivered = (runTag: string, count: number, what: string) =>
    within(
      waitForCount(what, async () => (await target.tracker.count(runTag)).unique, count, {
        stallMs: settings.stallMs,
        timeoutMs: settings.deliveryTimeoutMs,
      }),
    );

  // Warm-up as in the closed-loop phases: JIT, pools, script cache; delivered before anything is measured.
  const warmTag = `w${tag}`;
  const warm = await within(
    runLoad({
      origin: target.origin,
      n: settings.warmup,
      concurrency: settings.concurrency,
      path: (i) => postbackPath(`${warmTag}-${i}`),
      accept: acceptedId,
    }),
  );
  if (warm.ok === 0) throw new Error(`${target.name}: no warm-up postback was accepted: ${JSON.stringify(warm.errorKinds)}`);
  await delivered(warmTag, warm.ok, `${target.name}: warm-up deliveries at the tracker`);
  await waitForQuietCpu(target.cpuPids);

  const runTag = `o${tag}`;
  const noise = startNoiseMeter([...target.cpuPids, target.redis.child.pid, target.tracker.child.pid]);
  const cpuBefore = cpuOf(target.cpuPids);
  const redisBefore = await target.redis.cpuSeconds();
  // CPU at the end of the schedule, for the cores busy while the load was on.
  let atScheduleEnd: Promise<{ process: number; redis: number }> | undefined;
  const scheduleTimer = setTimeout(() => {
    atScheduleEnd = target.redis.cpuSeconds().then((redisSeconds) => ({ process: cpuOf(target.cpuPids), redis: redisSeconds }));
  }, seconds * 1000);
  let run: OpenLoadResult;
  try {
    run = await within(
      runOpenLoad({
        origin: target.origin,
        ratePerSec,
        durationMs: seconds * 1000,
        maxOutstanding,
        connections,
        path: (i) => postbackPath(`${runTag}-${i}`),
        accept: acceptedId,
      }),
    );
  } finally {
    clearTimeout(scheduleTimer);
  }
  let drainError: string | undefined;
  try {
    await delivered(runTag, run.ok, `${target.name}: open-loop deliveries at the tracker`);
  } catch (error) {
    // Keep the figures: the missing deliveries count as infinitely late, and the run reports why.
    const details = target.diagnose ? await target.diagnose().catch((e: unknown) => `(diagnose failed: ${String(e)})`) : '';
    drainError = `${(error as Error).message}${details ? `\n${details}` : ''}`;
    for (const child of target.guards) if (child.proc.exitCode !== null || child.proc.signalCode !== null) throw error;
  }
  const noiseFigures = noise();
  await waitForQuietCpu(target.cpuPids);
  const cpuSeconds = cpuOf(target.cpuPids) - cpuBefore;
  const redisSeconds = (await target.redis.cpuSeconds()) - redisBefore;
  const endCpu = atScheduleEnd ? await atScheduleEnd : undefined;

  const dump = await target.tracker.dump(runTag);
  const { latency: e2eLatency, arrivals, lastAt, wrongTxid, wrongPayout, unexpected } = matchHits(dump, run.ids, run.scheduledAt);
  const deliveredByEnd = arrivals.filter((at) => at <= run.scheduleEndAt).length;
  const deliveredCount = e2eLatency.length;
  const undelivered = Math.max(0, run.ok - deliveredCount);
  // Missing deliveries sort last: a percentile that reaches them is unknown (n/a), not flattering.
  const e2eSorted = Float64Array.from([...e2eLatency, ...new Array<number>(undelivered).fill(Number.POSITIVE_INFINITY)]).sort();
  const finite = (value: number) => (Number.isFinite(value) ? value : Number.NaN);
  const accept = summarize(run.latencyMs);
  const lag = summarize(run.sendLagMs);
  const windowSeconds = (run.scheduleEndAt - run.startedAt) / 1000;
  const backlogAtEnd = Math.max(0, run.ok - deliveredByEnd);
  const scheduleCpuSeconds = endCpu ? { process: endCpu.process - cpuBefore, redis: endCpu.redis - redisBefore } : undefined;
  return {
    offered: run.offered,
    offeredPerSec: ratePerSec,
    sent: run.sent,
    sentPerSec: run.sent > 0 ? run.sent / ((run.lastSentAt - run.startedAt) / 1000 + 1 / ratePerSec) : 0,
    dropped: run.dropped,
    accepted: run.ok,
    errors: run.errors,
    errorKinds: run.errorKinds,
    sendLagP99Ms: lag.p99,
    peakOutstanding: run.peakOutstanding,
    accept: { p50Ms: accept.p50, p99Ms: accept.p99, maxMs: accept.max },
    e2e: {
      delivered: deliveredCount,
      undelivered,
      duplicates: dump.total - dump.hits.length,
      wrongTxid,
      wrongPayout,
      unexpected,
      p50Ms: finite(percentile(e2eSorted, 50)),
      p99Ms: finite(percentile(e2eSorted, 99)),
      maxMs: finite(e2eSorted.length ? e2eSorted[e2eSorted.length - 1]! : Number.NaN),
    },
    deliveriesPerSec: deliveredByEnd / windowSeconds,
    deliveriesPerSecOverall: deliveredCount > 0 ? deliveredCount / ((lastAt - run.startedAt) / 1000) : 0,
    backlogAtEnd,
    backlogSeconds: backlogAtEnd / ratePerSec,
    drainMs: deliveredCount > 0 ? Math.max(0, lastAt - run.scheduleEndAt) : Number.NaN,
    keptUp: run.dropped === 0 && undelivered === 0 && backlogAtEnd <= ratePerSec * KEPT_UP_BACKLOG_SECONDS,
    ...(drainError ? { drainError } : {}),
    cpu: {
      processSecPer1k: per1k(cpuSeconds, deliveredCount),
      redisSecPer1k: per1k(redisSeconds, deliveredCount),
      totalSecPer1k: per1k(cpuSeconds + redisSeconds, deliveredCount),
      processCores: scheduleCpuSeconds ? scheduleCpuSeconds.process / windowSeconds : Number.NaN,
      redisCores: scheduleCpuSeconds ? scheduleCpuSeconds.redis / windowSeconds : Number.NaN,
    },
    noise: noiseFigures,
  };
}
