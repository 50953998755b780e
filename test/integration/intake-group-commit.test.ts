import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createQueues, batchIdOf, type RelayQueues } from '../../src/queue/queues.js';
import { createIntake, type ConversionDraft } from '../../src/queue/intake.js';
import { loadQueueInternals } from '../../src/queue/bullmq-internals.js';
import { createKeys } from '../../src/store/keys.js';
import { uniquePrefix } from '../helpers/relay-harness.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';

/**
 * The receiver's group commit, on a Redis of this test's own (it pauses the
 * server's writes, which would stall every other test sharing one).
 */
let server: TestRedisServer;
let redis: Redis;
let admin: Redis;
let queueRedis: Redis;
let queues: RelayQueues;
const keys = createKeys(uniquePrefix());

beforeAll(async () => {
  server = await startRedisServer();
  const path = server.socketPath;
  redis = new Redis({ path });
  admin = new Redis({ path });
  queueRedis = new Redis({ path, maxRetriesPerRequest: null });
  queues = createQueues(queueRedis, keys.queuePrefix);
});
afterAll(async () => {
  await queues.close();
  redis.disconnect();
  admin.disconnect();
  queueRedis.disconnect();
  await server.cleanup();
});

const draft = (clickId: string): ConversionDraft => ({
  conversion: { click_id: clickId, source: 'net', event: 'conversion', received_at: Date.now() },
});
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('intake group commit', () => {
  it('sends what arrives while a transaction is in flight as one job once it is done', async () => {
    const probe = await loadQueueInternals(queues.conversions);
    if (!probe.ok) throw new Error(probe.reason);
    const intake = createIntake(
      queues.conversions,
      redis,
      { windowMs: 60_000, maxBatch: 64, dedupeKey: keys.dedupe },
      probe.internals,
    );
    // A warm connection and loaded scripts, so the pause below holds the transaction itself.
    await intake.submit(draft('warm-up'), 'digest-warm-up');

    await admin.client('PAUSE', 300, 'WRITE');
    const first = intake.submit(draft('first'), 'digest-first');
    await nextTurn();
    const later: Array<Promise<{ id: string; duplicate: boolean }>> = [];
    for (const clickId of ['second', 'third', 'fourth']) {
      later.push(intake.submit(draft(clickId), `digest-${clickId}`));
      await nextTurn();
    }
    const [a, ...rest] = await Promise.all([first, ...later]);
    // Three turns' reports, held while the first transaction waited on Redis: one job, not three.
    expect(new Set(rest.map((answer) => batchIdOf(answer.id))).size).toBe(1);
    expect(batchIdOf(rest[0]!.id)).not.toBe(batchIdOf(a.id));
    const job = await queues.conversions.getJob(batchIdOf(rest[0]!.id));
    expect(job?.data.items.map((item) => item.conversion.click_id)).toEqual(['second', 'third', 'fourth']);
  });
});
