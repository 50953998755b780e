import { fileURLToPath } from 'node:url';
import { startNode, type ManagedChild } from '../lib/children.js';
import { IpcClient, waitForReady } from '../lib/ipc.js';
import { startNoiseMeter, type Noise } from '../lib/noise.js';
import { processCpuSeconds, waitForQuietCpu } from '../lib/proc-cpu.js';
import { startRedis } from '../lib/redis-server.js';
import type { BenchSettings } from '../lib/settings.js';
import { perSecond, summarize } from '../lib/stats.js';
import { waitForCount } from '../lib/wait.js';

export interface BullmqCeilingResult {
  addsPerSec: number;
  /** Jobs through the no-op worker per second, first add to last processed: the queue's end-to-end ceiling. */
  processedPerSec: number;
  addP50Ms: number;
  addP99Ms: number;
  cpu: { producerSecPer1k: number; workerSecPer1k: number; redisSecPer1k: number; totalSecPer1k: number };
  noise: Noise;
}

interface Processed {
  count: number;
  firstAt: number;
  lastAt: number;
}

const SCRIPT = fileURLToPath(new URL('../baselines/bullmq-ceiling.ts', import.meta.url));

export async function runBullmqCeiling(settings: BenchSettings): Promise<BullmqCeilingResult> {
  const redis = await startRedis('bullmq-ceiling', settings.tmpDir);
  const children: ManagedChild[] = [];
  try {
    const env = { BENCH_REDIS_SOCKET: redis.socketPath };
    const worker = startNode('bullmq-ceiling worker', SCRIPT, { ipc: true, args: ['worker'], env });
    children.push(worker);
    const producer = startNode('bullmq-ceiling producer', SCRIPT, { ipc: true, args: ['producer'], env });
    children.push(producer);
    await Promise.all([waitForReady(worker), waitForReady(producer)]);
    const workerIpc = new IpcClient(worker);
    const producerIpc = new IpcClient(producer);
    const pids = [producer.pid, worker.pid];
    const cpu = () => pids.map((pid) => processCpuSeconds(pid));

    const pass = async (tag: string, n: number) => {
      const added = await producerIpc.call<{ startedAt: number; finishedAt: number; latencyMs: number[] }>(
        'add',
        { tag, n, concurrency: settings.concurrency },
        settings.deliveryTimeoutMs,
      );
      await waitForCount(
        `bullmq-ceiling: jobs processed (${tag})`,
        async () => (await workerIpc.call<Processed>('processed', tag)).count,
        n,
        { stallMs: settings.stallMs, timeoutMs: settings.deliveryTimeoutMs },
      );
      return added;
    };

    await pass('warm', settings.warmup);
    await waitForQuietCpu(pids);
    const noise = startNoiseMeter([...pids, redis.child.pid]);
    const [producerBefore, workerBefore] = cpu();
    const redisBefore = await redis.cpuSeconds();
    const added = await pass('run', settings.n);
    const noiseFigures = noise();
    await waitForQuietCpu(pids);
    const [producerAfter, workerAfter] = cpu();
    const redisSeconds = (await redis.cpuSeconds()) - redisBefore;
    const processed = await workerIpc.call<Processed>('processed', 'run');

    const perK = (seconds: number): number => (seconds / settings.n) * 1000;
    const producerSeconds = producerAfter! - producerBefore!;
    const workerSeconds = workerAfter! - workerBefore!;
    const addLatency = summarize(added.latencyMs);
    return {
      addsPerSec: perSecond(settings.n, added.startedAt, added.finishedAt),
      processedPerSec: perSecond(processed.count, added.startedAt, processed.lastAt),
      addP50Ms: addLatency.p50,
      addP99Ms: addLatency.p99,
      cpu: {
        producerSecPer1k: perK(producerSeconds),
        workerSecPer1k: perK(workerSeconds),
        redisSecPer1k: perK(redisSeconds),
        totalSecPer1k: perK(producerSeconds + workerSeconds + redisSeconds),
      },
      noise: noiseFigures,
    };
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    await redis.stop();
  }
}
