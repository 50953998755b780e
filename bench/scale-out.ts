import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { guard, stopAllChildren } from './lib/children.js';
import { acceptFigures, cpuOf, matchHits, per1k } from './lib/measure.js';
import { acceptedId, postbackPath, runLoad } from './lib/load.js';
import { waitForQuietCpu } from './lib/proc-cpu.js';
import { startRedis } from './lib/redis-server.js';
import { startRelayProcess, type RelayProcess } from './lib/relay-process.js';
import type { BenchSettings } from './lib/settings.js';
import { perSecond, summarize } from './lib/stats.js';
import { startTracker } from './lib/tracker.js';
import { waitForCount } from './lib/wait.js';
import { startRedisCluster } from '../test/helpers/redis-cluster.js';

/**
 * `tsx bench/scale-out.ts`: the relay scaled out, on this one machine, in
 * four layouts measured one after the other with the same load (BENCH_N
 * postbacks, 20,000, after as many unmeasured, 64 in flight spread over the
 * receivers): one receiver + one worker on a single Redis, one receiver +
 * two workers on it (an added worker), one receiver + one worker on a
 * 3-master Redis Cluster on loopback, and two receivers + two workers on
 * that cluster. Prints accepted/s, deliveries/s, latencies and CPU per
 * 1,000 conversions (relay processes, Redis servers). Not part of
 * `npm run bench`: on a 2-core machine it shows the cost of the layouts,
 * not what more machines would give.
 */
const n = Number(process.env.BENCH_N ?? 20_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 64);
const tmpDir = mkdtempSync(join(tmpdir(), 'postback-scale-'));
const settings: BenchSettings = {
  n,
  warmup: n,
  concurrency,
  paced: { n: 0, ratePerSec: 1 },
  stallMs: 30_000,
  deliveryTimeoutMs: Math.max(120_000, n * 10),
  maxErrorRatio: 0.001,
  open: { ratePerSec: 0, seconds: 0, maxOutstanding: 0, connections: 0, baseline: false },
  memoryN: 0,
  tmpDir,
};

interface RedisUnderTest {
  url: string;
  cpuSeconds(): Promise<number>;
  pids?: number[];
  stop(): Promise<void>;
}

async function singleRedis(): Promise<RedisUnderTest> {
  const redis = await startRedis('scale-single', tmpDir);
  return { url: redis.url, cpuSeconds: () => redis.cpuSeconds(), pids: [redis.child.pid], stop: () => redis.stop() };
}

async function clusterRedis(): Promise<RedisUnderTest> {
  const cluster = await startRedisCluster();
  const clients = cluster.ports.map((port) => new Redis({ port, host: '127.0.0.1', lazyConnect: false }));
  return {
    url: cluster.url,
    async cpuSeconds() {
      let total = 0;
      for (const client of clients) {
        const info = await client.info('cpu');
        total += Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
      }
      return total;
    },
    async stop() {
      for (const client of clients) client.disconnect();
      await cluster.stop();
    },
  };
}

interface LayoutFigures {
  layout: string;
  accepted: number;
  acceptedPerSec: number;
  acceptP99Ms: number;
  deliveredPerSec: number;
  e2eP50Ms: number;
  e2eP99Ms: number;
  relaySecPer1k: number;
  receiverSecPer1k: number;
  workerSecPer1k: number;
  redisSecPer1k: number;
  wrongTxid: number;
}

async function measureLayout(layout: string, redis: RedisUnderTest, receivers: number, workers: number): Promise<LayoutFigures> {
  const tracker = await startTracker(layout);
  const relays: RelayProcess[] = [];
  try {
    // startRelayProcess only reads the URL of the Redis it is given.
    const target = { url: redis.url } as Parameters<typeof startRelayProcess>[1];
    for (let i = 0; i < receivers; i++) {
      relays.push(await startRelayProcess(`${layout} receiver ${i + 1}`, target, settings, { env: { RELAY_ROLE: 'receiver' } }));
    }
    for (let i = 0; i < workers; i++) {
      relays.push(await startRelayProcess(`${layout} worker ${i + 1}`, target, settings, { env: { RELAY_ROLE: 'worker' } }));
    }
    const front = relays[0]!;
    await front.adminPut('/v1/sources/bench', { key: 'bench-key-123', default_account: 'acct' });
    await front.adminPut('/v1/accounts/acct', { postback: { url: tracker.postbackTemplate } });
    const guards = [...relays.map((relay) => relay.child), tracker.child];
    const receiverRelays = relays.slice(0, receivers);
    const pids = relays.map((relay) => relay.child.pid);
    const tag = randomBytes(3).toString('hex');

    /** Every receiver gets its share of the clients and of the postbacks; one index space across them. */
    const load = async (runTag: string, total: number) => {
      const share = Math.ceil(total / receivers);
      const parts = await guard(
        Promise.all(
          receiverRelays.map((relay, r) =>
            runLoad({
              origin: relay.origin,
              n: Math.min(share, total - r * share),
              concurrency: Math.max(1, Math.round(concurrency / receivers)),
              path: (i) => postbackPath(`${runTag}-${r * share + i}`),
              accept: acceptedId,
            }),
          ),
        ),
        guards,
      );
      const ids = new Array<string | undefined>(total);
      const sentAt = new Float64Array(total);
      const latency = new Float64Array(total);
      parts.forEach((part, r) => {
        for (let i = 0; i < part.n; i++) {
          ids[r * share + i] = part.ids[i];
          sentAt[r * share + i] = part.sentAt[i]!;
          latency[r * share + i] = part.latencyMs[i]!;
        }
      });
      const ok = parts.reduce((sum, part) => sum + part.ok, 0);
      const errors = parts.reduce((sum, part) => sum + part.errors, 0);
      const startedAt = Math.min(...parts.map((part) => part.startedAt));
      const finishedAt = Math.max(...parts.map((part) => part.finishedAt));
      return {
        n: total,
        ok,
        errors,
        errorKinds: Object.assign({}, ...parts.map((part) => part.errorKinds)) as Record<string, number>,
        sentAt,
        latencyMs: latency,
        ids,
        startedAt,
        finishedAt,
      };
    };
    const delivered = (runTag: string, count: number) =>
      guard(
        waitForCount('deliveries at the tracker', async () => (await tracker.count(runTag)).unique, count, {
          stallMs: settings.stallMs,
          timeoutMs: settings.deliveryTimeoutMs,
        }),
        guards,
      );

    const warm = await load(`w${tag}`, settings.warmup);
    await delivered(`w${tag}`, warm.ok);
    await waitForQuietCpu(pids);
    const before = pids.map((pid) => cpuOf([pid]));
    const redisBefore = await redis.cpuSeconds();
    const runTag = `m${tag}`;
    const run = await load(runTag, n);
    await delivered(runTag, run.ok);
    await waitForQuietCpu(pids);
    const spent = pids.map((pid, i) => cpuOf([pid]) - before[i]!);
    const redisSeconds = (await redis.cpuSeconds()) - redisBefore;
    const hits = matchHits(await tracker.dump(runTag), run.ids, run.sentAt);
    const e2e = summarize(hits.latency);
    const accept = acceptFigures(run);
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    return {
      layout,
      accepted: run.ok,
      acceptedPerSec: accept.perSec,
      acceptP99Ms: accept.p99Ms,
      deliveredPerSec: perSecond(hits.latency.length, run.startedAt, hits.lastAt),
      e2eP50Ms: e2e.p50,
      e2eP99Ms: e2e.p99,
      relaySecPer1k: per1k(sum(spent), run.ok),
      receiverSecPer1k: per1k(sum(spent.slice(0, receivers)), run.ok),
      workerSecPer1k: per1k(sum(spent.slice(receivers)), run.ok),
      redisSecPer1k: per1k(redisSeconds, run.ok),
      wrongTxid: hits.wrongTxid,
    };
  } finally {
    await Promise.all(relays.map((relay) => relay.stop()));
    await tracker.stop();
  }
}

const out = (line: string) => process.stdout.write(`${line}\n`);
out(`scale-out: N=${n}, warm-up ${n}, ${concurrency} in flight, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(2)}`);
const rows: LayoutFigures[] = [];
try {
  for (const [layout, makeRedis, receivers, workers] of [
    ['1 receiver + 1 worker, single Redis', singleRedis, 1, 1],
    ['1 receiver + 2 workers, single Redis', singleRedis, 1, 2],
    ['1 receiver + 1 worker, 3-master cluster', clusterRedis, 1, 1],
    ['2 receivers + 2 workers, 3-master cluster', clusterRedis, 2, 2],
  ] as const) {
    const redis = await makeRedis();
    try {
      const figures = await measureLayout(layout, redis, receivers, workers);
      rows.push(figures);
      out(`  ${layout}: ${JSON.stringify(figures)}`);
    } finally {
      await redis.stop();
    }
  }
  const f = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
  out(
    '\n| layout | accepted/s | accept p99 ms | deliveries/s | e2e p50 ms | e2e p99 ms | CPU s/1000: receivers | workers | Redis |',
  );
  out('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    out(
      `| ${r.layout} | ${f(r.acceptedPerSec)} | ${f(r.acceptP99Ms, 1)} | ${f(r.deliveredPerSec)} | ${f(r.e2eP50Ms)} | ${f(r.e2eP99Ms)} | ` +
        `${f(r.receiverSecPer1k, 3)} | ${f(r.workerSecPer1k, 3)} | ${f(r.redisSecPer1k, 3)} |`,
    );
  }
  out(`\nload average after: ${loadavg()[0]!.toFixed(2)}`);
  if (rows.some((r) => r.wrongTxid > 0 || r.accepted < n)) {
    process.stderr.write('scale-out: a layout did not accept every postback or delivered a wrong txid\n');
    process.exitCode = 1;
  }
} finally {
  await stopAllChildren();
  rmSync(tmpDir, { recursive: true, force: true });
}
