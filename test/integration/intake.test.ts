import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { createQueues, batchIdOf, findQueuedConversion, type RelayQueues } from '../../src/queue/queues.js';
import { createIntake, createOwnItems } from '../../src/queue/intake.js';
import { createKeys } from '../../src/store/keys.js';
import type { ConversionDraft } from '../../src/queue/intake.js';
import { uniquePrefix } from '../helpers/relay-harness.js';
import { loadQueueInternals, type QueueInternals } from '../../src/queue/bullmq-internals.js';

/** The receiver's intake against real Redis and a real BullMQ queue (no worker: jobs stay waiting). */
let redis: Redis;
let queueRedis: Redis;
let queues: RelayQueues;
const keys = createKeys(uniquePrefix());

beforeAll(() => {
  const path = inject('redisUrl').slice('unix://'.length);
  redis = new Redis({ path });
  queueRedis = new Redis({ path, maxRetriesPerRequest: null });
  queues = createQueues(queueRedis, keys.queuePrefix);
});
afterAll(async () => {
  await queues.close();
  redis.disconnect();
  queueRedis.disconnect();
});

const draft = (clickId: string): ConversionDraft => ({
  conversion: { click_id: clickId, source: 'net', event: 'conversion', received_at: Date.now() },
});

// Both ways into the queue: through BullMQ's internals (the seam) and through its public API (the fallback).
describe.each([
  {
    mode: 'internals',
    internals: async (): Promise<QueueInternals | null> => {
      const probe = await loadQueueInternals(queues.conversions);
      if (!probe.ok) throw new Error(probe.reason);
      return probe.internals;
    },
  },
  { mode: 'public API', internals: async (): Promise<QueueInternals | null> => null },
])('intake through $mode', ({ mode, internals }) => {
  it('claims nothing for reports without identity: each is its own, beside keyed ones or alone', async () => {
    const intake = createIntake(
      queues.conversions,
      redis,
      { windowMs: 60_000, maxBatch: 64, dedupeKey: keys.dedupe },
      await internals(),
    );
    const mixed = await Promise.all([
      intake.submit(draft('x'), undefined),
      intake.submit(draft('k'), `${mode}-digest-k`),
      intake.submit(draft('x'), undefined),
      intake.submit(draft('k again'), `${mode}-digest-k`),
    ]);
    expect(mixed.map((answer) => answer.duplicate)).toEqual([false, false, false, true]);
    expect(mixed[3].id).toBe(mixed[1].id);
    expect(new Set([mixed[0].id, mixed[1].id, mixed[2].id]).size).toBe(3);
    // A turn with nothing to claim at all.
    const alone = await Promise.all([intake.submit(draft('y'), undefined), intake.submit(draft('y'), undefined)]);
    expect(alone.map((answer) => answer.duplicate)).toEqual([false, false]);
    expect(alone[0].id).not.toBe(alone[1].id);
    const job = await queues.conversions.getJob(batchIdOf(alone[0].id));
    expect(job?.data.items.map((item) => item.dedupe)).toEqual([undefined, undefined]);
  });

  it('puts the conversions of one turn in one job, each with its own id, and answers duplicates with the first id', async () => {
    const intake = createIntake(
      queues.conversions,
      redis,
      { windowMs: 60_000, maxBatch: 64, dedupeKey: keys.dedupe },
      await internals(),
    );
    const answers = await Promise.all([
      intake.submit(draft('a'), `${mode}-digest-a`),
      intake.submit(draft('b'), `${mode}-digest-b`),
      intake.submit(draft('a again'), `${mode}-digest-a`),
    ]);
    const [a, b, again] = answers;
    expect(a.duplicate).toBe(false);
    expect(b.duplicate).toBe(false);
    expect(again).toEqual({ id: a.id, duplicate: true });
    expect(batchIdOf(a.id)).toBe(batchIdOf(b.id));

    const job = await queues.conversions.getJob(batchIdOf(a.id));
    expect(job?.data.items.map((item) => item.conversion.click_id)).toEqual(['a', 'b', 'a again']);
    // The worker routes only the items their dedupe keys name.
    const ownItems = createOwnItems(redis, keys.dedupe);
    const own = await ownItems(job!.data.items);
    expect(own.map((item) => item.conversion.click_id)).toEqual(['a', 'b']);
    // Jobs started in one turn share one read, each answered with its own items.
    const mget = vi.spyOn(redis, 'mget');
    const [first, second] = await Promise.all([ownItems(job!.data.items), ownItems(job!.data.items.slice(1))]);
    expect(mget).toHaveBeenCalledTimes(1);
    mget.mockRestore();
    expect(first.map((item) => item.conversion.click_id)).toEqual(['a', 'b']);
    expect(second.map((item) => item.conversion.click_id)).toEqual(['b']);
    expect((await findQueuedConversion(queues.conversions, b.id))?.conversion.click_id).toBe('b');

    // A later turn is a later job, and still sees the earlier dedupe key.
    const later = await intake.submit(draft('b later'), `${mode}-digest-b`);
    expect(later).toEqual({ id: b.id, duplicate: true });
  });

  it('splits a turn larger than maxBatch into several jobs', async () => {
    const intake = createIntake(
      queues.conversions,
      redis,
      { windowMs: 60_000, maxBatch: 2, dedupeKey: keys.dedupe },
      await internals(),
    );
    const answers = await Promise.all(
      ['x1', 'x2', 'x3', 'x4', 'x5'].map((id) => intake.submit(draft(id), `${mode}-digest-${id}`)),
    );
    const jobs = new Set(answers.map((answer) => batchIdOf(answer.id)));
    expect(jobs.size).toBe(3);
    for (const jobId of jobs) expect((await queues.conversions.getJob(jobId))!.data.items.length).toBeLessThanOrEqual(2);
  });

  it('refuses every conversion of a turn when Redis refuses the write, and writes none of them', async () => {
    const connect = async () => {
      const client = new Redis({
        path: inject('redisUrl').slice('unix://'.length),
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
      });
      await new Promise((resolve) => client.once('ready', resolve));
      return client;
    };
    const broken = await connect();
    const brokenQueueRedis = await connect();
    const brokenQueues = createQueues(brokenQueueRedis, keys.queuePrefix);
    await brokenQueues.conversions.waitUntilReady();
    const intake = createIntake(
      brokenQueues.conversions,
      broken,
      { windowMs: 60_000, maxBatch: 64, dedupeKey: keys.dedupe },
      await internals(),
    );
    broken.disconnect();
    brokenQueueRedis.disconnect();
    const results = await Promise.allSettled([
      intake.submit(draft('lost-1'), `${mode}-digest-lost-1`),
      intake.submit(draft('lost-2'), `${mode}-digest-lost-2`),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await redis.exists(keys.dedupe(`${mode}-digest-lost-1`), keys.dedupe(`${mode}-digest-lost-2`))).toBe(0);
  });
});
