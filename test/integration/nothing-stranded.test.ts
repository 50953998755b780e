import { Redis } from 'ioredis';
import { Queue, Worker } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONVERSIONS_QUEUE, RETRIES_QUEUE } from '../../src/queue/queues.js';
import { createKeys } from '../../src/store/keys.js';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';
import { hasRedisServer, startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';
import { connectRedis } from '../../src/redis/connection.js';

/**
 * "Nothing stranded" (SPEC): every pending/retrying delivery settles without
 * an operator, whatever went missing between the steps. Each relay here has
 * a redis-server of its own: the tests change its memory settings.
 */
let server: TestRedisServer;
let redis: Redis;
let tracker: Tracker;
let relay: TestRelay | undefined;
/** What the tracker answers right now. */
let answer = 500;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis({ path: server.socketPath });
  tracker = await startTracker();
  tracker.respond((_hit, res) => {
    res.statusCode = answer;
    res.end(answer === 200 ? 'OK' : 'down');
  });
});

afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await redis.config('SET', 'maxmemory', '0');
  answer = 500;
});

afterAll(async () => {
  redis?.disconnect();
  await tracker?.close();
  await server?.cleanup();
});

async function start(overrides: Parameters<typeof startTestRelay>[0] = {}): Promise<TestRelay> {
  relay = await startTestRelay({
    redis: { url: server.url },
    reconciler: { intervalMs: 200, graceMs: 500 },
    ...overrides,
  });
  await relay.request({ method: 'PUT', url: '/v1/sources/net', admin: true, body: { key: 'source-key-1' } });
  await relay.request({
    method: 'PUT',
    url: '/v1/accounts/acme',
    admin: true,
    body: { postback: { url: `${tracker.origin}/pb?cid={click_id}` } },
  });
  return relay;
}

async function send(r: TestRelay, clickId: string): Promise<string> {
  const response = await r.request({ url: `/postback/net?key=source-key-1&click_id=${clickId}&account=acme` });
  expect(response.body.status).toBe('accepted');
  return response.body.id as string;
}

async function conversionState(r: TestRelay, id: string): Promise<string | undefined> {
  return (await r.request({ url: `/v1/conversions/${id}`, admin: true })).body?.state;
}

async function recoveredCount(r: TestRelay): Promise<number> {
  const text = await r.relay.metrics.registry.getSingleMetricAsString('relay_deliveries_recovered_total');
  return Number(/relay_deliveries_recovered_total (\d+)/.exec(text)?.[1] ?? 0);
}

describe('nothing stranded', () => {
  it('delivers a retrying delivery whose job was removed, and counts the recovery', async () => {
    const r = await start({ delivery: { retryDelaysMs: [1_000, 1_000, 1_000] } });
    const ids = [await send(r, 'lost-1'), await send(r, 'lost-2')];
    const queue = new Queue(RETRIES_QUEUE, { connection: redis, prefix: createKeys(r.config.redis.keyPrefix).queuePrefix });
    try {
      // Both are retrying with a delayed job; then the jobs go (an operator cleaning the queue, a failover).
      await eventually(async () => ((await queue.getDelayedCount()) === 2 ? true : undefined), 10_000, 'two delayed retries');
      await queue.clean(0, 100, 'delayed');
      expect(await queue.getDelayedCount()).toBe(0);
      answer = 200;
      for (const id of ids) {
        await eventually(
          async () => ((await conversionState(r, id)) === 'delivered' ? true : undefined),
          10_000,
          `${id} delivered`,
        );
      }
      expect(await recoveredCount(r)).toBe(2);
    } finally {
      await queue.close();
    }
  });

  it('delivers every accepted conversion after Redis refused writes while they were retrying', async () => {
    const r = await start({
      delivery: { retryDelaysMs: Array.from({ length: 40 }, () => 250), circuitFailureThreshold: 100_000 },
      // BullMQ gives up on a job quickly here, as it does after ~17 minutes with the defaults.
      worker: { jobAttempts: 2, jobBackoffMs: 100 },
    });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await send(r, `full-${i}`));
    await eventually(async () =>
      tracker.hits.filter((h) => h.query.get('cid')?.startsWith('full-')).length >= 40 ? true : undefined,
    );
    // Redis at maxmemory (noeviction): every write that grows memory is refused.
    const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    await redis.config('SET', 'maxmemory', String(Math.max(1, used - 1_000_000)));
    const refused = await r.request({ url: '/postback/net?key=source-key-1&click_id=while-full&account=acme' });
    expect(refused.status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await redis.config('SET', 'maxmemory', '0');
    answer = 200;
    for (const id of ids) {
      await eventually(
        async () => ((await conversionState(r, id)) === 'delivered' ? true : undefined),
        20_000,
        `${id} delivered`,
      );
    }
  });

  it('records every attempt the tracker got, also those Redis first refused to record', async () => {
    const r = await start({
      delivery: { retryDelaysMs: Array.from({ length: 40 }, () => 200), circuitFailureThreshold: 100_000 },
      worker: { jobAttempts: 3, jobBackoffMs: 100 },
    });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await send(r, `count-${i}`));
    const hitsOf = (cid: string) => tracker.hits.filter((h) => h.query.get('cid') === cid).length;
    await eventually(async () => (ids.every((_, i) => hitsOf(`count-${i}`) >= 2) ? true : undefined));
    const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    await redis.config('SET', 'maxmemory', String(Math.max(1, used - 1_000_000)));
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    // Attempts were made while Redis refused their records.
    await redis.config('SET', 'maxmemory', '0');
    answer = 200;
    for (const [i, id] of ids.entries()) {
      const done = await eventually(
        async () => {
          const response = await r.request({ url: `/v1/conversions/${id}`, admin: true });
          return response.body?.state === 'delivered' ? response.body : undefined;
        },
        20_000,
        `${id} delivered`,
      );
      const attempts = done.deliveries[0].attempts as Array<{ attempt: number }>;
      expect({ id, attempts: attempts.length }).toEqual({ id, attempts: hitsOf(`count-${i}`) });
    }
  });

  it('puts back a conversion job BullMQ failed for good, and delivers its conversion', async () => {
    answer = 200;
    // A receiver alone: the conversion waits in its job. BullMQ gives a job one run here.
    const receiver = await start({ role: 'receiver', worker: { jobAttempts: 1 } });
    const id = await send(receiver, 'failed-job');
    const prefix = receiver.config.redis.keyPrefix;
    const queuePrefix = createKeys(prefix).queuePrefix;
    // A worker that breaks on it (a bug, Redis refusing its writes): the job ends in BullMQ's failed set.
    const breaking = new Worker(
      CONVERSIONS_QUEUE,
      async () => {
        throw new Error('broken worker');
      },
      { connection: { path: server.socketPath, maxRetriesPerRequest: null }, prefix: queuePrefix },
    );
    const conversions = new Queue(CONVERSIONS_QUEUE, { connection: redis, prefix: queuePrefix });
    try {
      await eventually(
        async () => ((await conversions.getFailedCount()) === 1 ? true : undefined),
        10_000,
        'a failed conversion job',
      );
      await breaking.close();
      const worker = await startTestRelay(
        { role: 'worker', redis: { url: server.url }, reconciler: { intervalMs: 200, graceMs: 500 } },
        prefix,
      );
      try {
        await eventually(
          async () => ((await conversionState(receiver, id)) === 'delivered' ? true : undefined),
          10_000,
          'delivered',
        );
        expect(tracker.hits.filter((h) => h.query.get('cid') === 'failed-job')).toHaveLength(1);
      } finally {
        await worker.close();
      }
    } finally {
      await breaking.close();
      await conversions.close();
    }
  });

  it('leaves a delivery with live work alone', async () => {
    const r = await start({ delivery: { retryDelaysMs: [2_500] }, reconciler: { intervalMs: 100, graceMs: 0 } });
    const id = await send(r, 'live-1');
    await eventually(async () =>
      (await conversionState(r, id)) === 'pending' && tracker.hits.some((h) => h.query.get('cid') === 'live-1')
        ? true
        : undefined,
    );
    answer = 200;
    await eventually(async () => ((await conversionState(r, id)) === 'delivered' ? true : undefined), 10_000, 'delivered');
    // Overdue from the start (grace 0), swept many times, but its delayed job was there all along.
    expect(await recoveredCount(r)).toBe(0);
    expect(tracker.hits.filter((h) => h.query.get('cid') === 'live-1')).toHaveLength(2);
    const unsettled = await redis.zcard(createKeys(r.config.redis.keyPrefix).unsettledDeliveries);
    expect(unsettled).toBe(0);
  });
});

describe.skipIf(!hasRedisServer())('nothing stranded on Redis Cluster', () => {
  it('delivers a retrying delivery whose job was removed (every reconciler command single-slot)', async () => {
    const cluster = await startRedisCluster();
    const queueRedis = connectRedis(cluster.url, 'background', { commandTimeoutMs: 2_000, autoPipelining: false });
    let r: TestRelay | undefined;
    answer = 500;
    try {
      r = await startTestRelay({
        redis: { url: cluster.url },
        delivery: { retryDelaysMs: [1_000, 1_000, 1_000] },
        reconciler: { intervalMs: 200, graceMs: 500 },
      });
      await r.request({ method: 'PUT', url: '/v1/sources/net', admin: true, body: { key: 'source-key-1' } });
      await r.request({
        method: 'PUT',
        url: '/v1/accounts/acme',
        admin: true,
        body: { postback: { url: `${tracker.origin}/pb?cid={click_id}` } },
      });
      const id = await send(r, 'cluster-lost');
      const queue = new Queue(RETRIES_QUEUE, {
        connection: queueRedis,
        prefix: createKeys(r.config.redis.keyPrefix).queuePrefix,
      });
      try {
        await eventually(async () => ((await queue.getDelayedCount()) === 1 ? true : undefined), 10_000, 'a delayed retry');
        await queue.clean(0, 100, 'delayed');
        answer = 200;
        await eventually(async () => ((await conversionState(r!, id)) === 'delivered' ? true : undefined), 10_000, 'delivered');
        expect(await recoveredCount(r)).toBe(1);
      } finally {
        await queue.close();
      }
    } finally {
      await r?.close();
      queueRedis.disconnect();
      await cluster.stop();
    }
  }, 60_000);
});
