import { randomBytes } from 'node:crypto';
import { guard, type ManagedChild } from './children.js';
import { acceptedId, postbackPath, runLoad, type LoadResult } from './load.js';
import { processCpuSeconds, waitForQuietCpu } from './proc-cpu.js';
import { startNoiseMeter, type Noise } from './noise.js';
import type { BenchRedis } from './redis-server.js';
import type { BenchSettings } from './settings.js';
import { perSecond, summarize } from './stats.js';
import type { BenchTracker, TrackerDump } from './tracker.js';
import { waitForCount } from './wait.js';
import { DEFAULT_EVENT } from '../../src/domain/conversion.js';
import { stableConversionId } from '../../src/domain/conversion-id.js';

/** The source every bench postback is sent as (see postbackPath). */
const BENCH_SOURCE = 'bench';

export interface AcceptFigures {
  n: number;
  ok: number;
  errors: number;
  errorRatio: number;
  errorKinds: Record<string, number>;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface E2eFigures {
  /** Accepted conversions that reached the tracker (first arrival each). */
  delivered: number;
  /** Pings beyond the first per conversion (at-least-once allows them; they should be rare). */
  duplicates: number;
  /** Arrived with a txid other than the id the accept answer gave, or a payout other than `1.50`. */
  wrongTxid: number;
  wrongPayout: number;
  /** Arrived although its request was not accepted. */
  unexpected: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface CpuFigures {
  /** CPU seconds per 1,000 conversions of the process(es) under test. */
  processSecPer1k: number;
  /** Each process's share, in `cpuPids` order, when there are several (split roles: receiver, worker). */
  perProcessSecPer1k?: number[];
  redisSecPer1k?: number;
  totalSecPer1k?: number;
  /**
   * What the bench's own side costs per 1,000 conversions on the same
   * machine: the load generator (the bench process) and the tracker. On a
   * small box they bound what any relay can reach end to end.
   */
  harness?: { loadGeneratorSecPer1k: number; trackerSecPer1k: number };
}

export interface RelayLikeFigures {
  accept: AcceptFigures;
  e2e: E2eFigures;
  cpu: CpuFigures;
  noise: Noise;
  /**
   * Latency with no backlog: a short paced run after the main one. Under the
   * flat-out run, e2e latency is mostly time spent queued behind earlier
   * postbacks, so it measures throughput again, not what one ping costs.
   */
  paced: { ratePerSec: number; accept: AcceptFigures; e2e: E2eFigures };
  /** Redis commands per conversion (commands run inside scripts included), and each command's share, most Redis time first (µs per conversion). */
  redis: {
    callsPerConversion: number;
    top: Array<{ command: string; callsPerConversion: number; usecPerConversion: number }>;
    /** What the relay's clients sent to Redis and got back, per conversion (the bench's INFO calls included, a few hundred bytes per run). */
    bytesInPerConversion: number;
    bytesOutPerConversion: number;
    /** Reads Redis made from the relay's sockets per conversion: its writes that reached Redis apart (the bench's INFO calls included). */
    readsPerConversion: number;
  };
}

/** What a relay under test (the real one or the minimal baseline) offers to be measured. */
export interface RelayLikeTarget {
  name: string;
  origin: string;
  /** Processes whose CPU counts as the relay's. */
  cpuPids: number[];
  redis: BenchRedis;
  tracker: BenchTracker;
  /** Children whose death aborts the measurement at once. */
  guards: ManagedChild[];
  /** Extra state to print when deliveries get stuck (queue depths, metrics, logs). */
  diagnose?(): Promise<string>;
}

export function acceptFigures(load: LoadResult): AcceptFigures {
  const latency = summarize(load.latencyMs);
  return {
    n: load.n,
    ok: load.ok,
    errors: load.errors,
    errorRatio: load.errors / load.n,
    errorKinds: load.errorKinds,
    perSec: perSecond(load.ok, load.startedAt, load.finishedAt),
    p50Ms: latency.p50,
    p99Ms: latency.p99,
    maxMs: latency.max,
  };
}

export function cpuOf(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
}

export const per1k = (seconds: number, count: number): number => (count > 0 ? (seconds / count) * 1000 : Number.NaN);

/** Receiver only: accepted/s and latency of a server that answers postbacks (the Fastify floor). */
export async function measureAccept(
  target: { name: string; origin: string; cpuPids: number[]; guards: ManagedChild[] },
  settings: BenchSettings,
): Promise<{ accept: AcceptFigures; cpu: CpuFigures; noise: Noise }> {
  const tag = randomBytes(3).toString('hex');
  const load = (prefix: string, n: number) =>
    guard(
      runLoad({
        origin: target.origin,
        n,
        concurrency: settings.concurrency,
        path: (i) => postbackPath(`${prefix}${tag}-${i}`),
        accept: acceptedId,
      }),
      target.guards,
    );
  await load('w', settings.warmup);
  await waitForQuietCpu(target.cpuPids);
  const noise = startNoiseMeter(target.cpuPids);
  const cpuBefore = cpuOf(target.cpuPids);
  const run = await load('m', settings.n);
  const noiseFigures = noise();
  await waitForQuietCpu(target.cpuPids);
  const cpuSeconds = cpuOf(target.cpuPids) - cpuBefore;
  return { accept: acceptFigures(run), cpu: { processSecPer1k: per1k(cpuSeconds, run.ok) }, noise: noiseFigures };
}

/**
 * The full path: postbacks in, pings out. The warm-up is delivered before
 * the CPU counters are read, and the counters are read again only once every
 * accepted conversion has reached the tracker and the relay has gone quiet,
 * so the CPU figure covers receiving, queueing, delivering and recording.
 */
export async function measureRelayLike(target: RelayLikeTarget, settings: BenchSettings): Promise<RelayLikeFigures> {
  const tag = randomBytes(3).toString('hex');
  const within = <T>(promise: Promise<T>): Promise<T> => guard(promise, target.guards);
  const load = (runTag: string, n: number, ratePerSec?: number) =>
    within(
      runLoad({
        origin: target.origin,
        n,
        concurrency: settings.concurrency,
        path: (i) => postbackPath(`${runTag}-${i}`),
        accept: acceptedId,
        ...(ratePerSec ? { ratePerSec } : {}),
      }),
    );
  const delivered = async (runTag: string, count: number, what: string): Promise<void> => {
    try {
      await within(
        waitForCount(what, async () => (await target.tracker.count(runTag)).unique, count, {
          stallMs: settings.stallMs,
          timeoutMs: settings.deliveryTimeoutMs,
        }),
      );
    } catch (error) {
      const details = target.diagnose ? await target.diagnose().catch((e: unknown) => `(diagnose failed: ${String(e)})`) : '';
      throw new Error(`${target.name}: ${(error as Error).message}${details ? `\n${details}` : ''}`, { cause: error });
    }
  };

  const warmTag = `w${tag}`;
  const warm = await load(warmTag, settings.warmup);
  if (warm.ok === 0) {
    throw new Error(`${target.name}: no warm-up postback was accepted: ${JSON.stringify(warm.errorKinds)}`);
  }
  await delivered(warmTag, warm.ok, 'warm-up deliveries at the tracker');
  await waitForQuietCpu(target.cpuPids);

  const noise = startNoiseMeter([...target.cpuPids, target.redis.child.pid, target.tracker.child.pid]);
  const cpuBefore = cpuOf(target.cpuPids);
  const perProcessBefore = target.cpuPids.map((pid) => cpuOf([pid]));
  const redisBefore = await target.redis.cpuSeconds();
  const statsBefore = await target.redis.commandStats();
  const netBefore = await target.redis.netBytes();
  const trackerBefore = cpuOf([target.tracker.child.pid]);
  const benchBefore = process.cpuUsage();
  const runTag = `m${tag}`;
  const run = await load(runTag, settings.n);
  const benchUsage = process.cpuUsage(benchBefore);
  await delivered(runTag, run.ok, 'deliveries at the tracker');
  const trackerSeconds = cpuOf([target.tracker.child.pid]) - trackerBefore;
  const noiseFigures = noise();
  await waitForQuietCpu(target.cpuPids);
  const cpuSeconds = cpuOf(target.cpuPids) - cpuBefore;
  const perProcessSeconds = target.cpuPids.map((pid, index) => cpuOf([pid]) - perProcessBefore[index]!);
  const redisSeconds = (await target.redis.cpuSeconds()) - redisBefore;
  const redisCommands = commandDelta(statsBefore, await target.redis.commandStats(), run.ok);
  const netAfter = await target.redis.netBytes();

  const pacedTag = `p${tag}`;
  const paced = await load(pacedTag, settings.paced.n, settings.paced.ratePerSec);
  await delivered(pacedTag, paced.ok, 'paced-run deliveries at the tracker');

  return {
    accept: acceptFigures(run),
    e2e: await e2eFigures(target.tracker, runTag, run),
    cpu: {
      processSecPer1k: per1k(cpuSeconds, run.ok),
      ...(perProcessSeconds.length > 1 ? { perProcessSecPer1k: perProcessSeconds.map((seconds) => per1k(seconds, run.ok)) } : {}),
      redisSecPer1k: per1k(redisSeconds, run.ok),
      totalSecPer1k: per1k(cpuSeconds + redisSeconds, run.ok),
      harness: {
        loadGeneratorSecPer1k: per1k((benchUsage.user + benchUsage.system) / 1e6, run.ok),
        trackerSecPer1k: per1k(trackerSeconds, run.ok),
      },
    },
    noise: noiseFigures,
    paced: {
      ratePerSec: settings.paced.ratePerSec,
      accept: acceptFigures(paced),
      e2e: await e2eFigures(target.tracker, pacedTag, paced),
    },
    redis: {
      ...redisCommands,
      bytesInPerConversion: (netAfter.in - netBefore.in) / run.ok,
      bytesOutPerConversion: (netAfter.out - netBefore.out) / run.ok,
      readsPerConversion: (netAfter.reads - netBefore.reads) / run.ok,
    },
  };
}

export type CommandStats = Record<string, { calls: number; usec: number }>;

export function commandDelta(
  before: CommandStats,
  after: CommandStats,
  conversions: number,
): Pick<RelayLikeFigures['redis'], 'callsPerConversion' | 'top'> {
  const rows = Object.entries(after).map(([command, { calls, usec }]) => ({
    command,
    calls: calls - (before[command]?.calls ?? 0),
    usec: usec - (before[command]?.usec ?? 0),
  }));
  // The bench's own INFO calls are not the relay's.
  const relayRows = rows.filter((row) => row.command !== 'info' && row.calls > 0);
  const totalCalls = relayRows.reduce((sum, row) => sum + row.calls, 0);
  return {
    callsPerConversion: totalCalls / conversions,
    top: relayRows
      .sort((a, b) => b.usec - a.usec)
      .map((row) => ({
        command: row.command,
        callsPerConversion: row.calls / conversions,
        usecPerConversion: row.usec / conversions,
      })),
  };
}

/** What the tracker received, matched against what was accepted: one entry per delivered postback. */
export interface MatchedHits {
  /** Tracker receive time minus the request's start time, per delivered postback. */
  latency: number[];
  /** Tracker receive times of the delivered postbacks. */
  arrivals: number[];
  lastAt: number;
  wrongTxid: number;
  wrongPayout: number;
  /** Hits whose click id names no accepted postback. */
  unexpected: number;
}

/**
 * Matches the tracker's hits to the accepted postbacks by the index in their
 * click id, checking each carried the conversion's id and the payout as sent.
 */
export function matchHits(dump: TrackerDump, ids: ReadonlyArray<string | undefined>, startedAt: ArrayLike<number>): MatchedHits {
  const matched: MatchedHits = {
    latency: [],
    arrivals: [],
    lastAt: Number.NEGATIVE_INFINITY,
    wrongTxid: 0,
    wrongPayout: 0,
    unexpected: 0,
  };
  for (const [clickId, at, txid, payout] of dump.hits) {
    const index = Number(clickId.slice(clickId.lastIndexOf('-') + 1));
    const id = ids[index];
    if (id === undefined) {
      matched.unexpected += 1;
      continue;
    }
    matched.latency.push(at - startedAt[index]!);
    matched.arrivals.push(at);
    matched.lastAt = Math.max(matched.lastAt, at);
    // The relay's {conversion_id} is stable per conversion (derived from source, click id and event when the
    // sender gives none, see stableConversionId); the minimal relay sends the id it answered with.
    if (txid !== id && txid !== stableConversionId({ id, source: BENCH_SOURCE, click_id: clickId, event: DEFAULT_EVENT }))
      matched.wrongTxid += 1;
    if (payout !== '1.50') matched.wrongPayout += 1;
  }
  return matched;
}

async function e2eFigures(tracker: BenchTracker, runTag: string, run: LoadResult): Promise<E2eFigures> {
  const dump = await tracker.dump(runTag);
  const { latency, lastAt, wrongTxid, wrongPayout, unexpected } = matchHits(dump, run.ids, run.sentAt);
  const summary = summarize(latency);
  return {
    delivered: latency.length,
    duplicates: dump.total - dump.hits.length,
    wrongTxid,
    wrongPayout,
    unexpected,
    perSec: perSecond(latency.length, run.startedAt, lastAt),
    p50Ms: summary.p50,
    p99Ms: summary.p99,
    maxMs: summary.max,
  };
}
