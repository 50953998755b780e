import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createQueues, type RelayQueues } from '../../src/queue/queues.js';
import { loadQueueInternals } from '../../src/queue/bullmq-internals.js';
import { createKeys } from '../../src/store/keys.js';
import { Job } from 'bullmq';
import { startTestRelay, uniquePrefix, eventually } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';

/**
 * The contract between the relay and the installed BullMQ's internals. When a
 * BullMQ upgrade breaks it, this file says where; the relay itself falls back
 * to the public API (last test) rather than refusing postbacks.
 */
let redis: Redis;
let queues: RelayQueues;
const keys = createKeys(uniquePrefix());

beforeAll(() => {
  const path = inject('redisUrl').slice('unix://'.length);
  redis = new Redis({ path, maxRetriesPerRequest: null });
  queues = createQueues(redis, keys.queuePrefix);
});
afterAll(async () => {
  await queues.close();
  redis.disconnect();
});

describe('BullMQ internals seam', () => {
  it('finds the add script and a backend that queues it synchronously in the installed BullMQ', async () => {
    const probe = await loadQueueInternals(queues.conversions);
    expect(probe.ok ? 'ok' : probe.reason).toBe('ok');
  });

  it('adds through a transaction exactly the job the public API adds', async () => {
    const probe = await loadQueueInternals(queues.conversions);
    if (!probe.ok) throw new Error(probe.reason);
    const client = redis.duplicate();
    probe.internals.defineOn(client);
    const data = { items: [{ conversion: { id: 'seam-1:0', click_id: 'c', source: 's', event: 'conversion', received_at: 1 } }] };
    const transaction = client.multi();
    const opts = { ...queues.conversions.defaultJobOptions, jobId: 'seam-1' };
    probe.internals.addToTransaction(
      transaction,
      queues.conversions,
      new Job(queues.conversions, 'conversions', data, opts, 'seam-1'),
    );
    const results = await transaction.exec();
    client.disconnect();
    expect(results?.map(([error]) => error)).toEqual([null]);
    await queues.conversions.add('conversions', data, { ...opts, jobId: 'public-1' });

    const [viaSeam, viaPublic] = await Promise.all([queues.conversions.getJob('seam-1'), queues.conversions.getJob('public-1')]);
    expect(viaSeam?.data).toEqual(viaPublic?.data);
    expect(viaSeam?.name).toBe(viaPublic?.name);
    const { jobId: _a, ...seamOpts } = viaSeam!.opts;
    const { jobId: _b, ...publicOpts } = viaPublic!.opts;
    expect(seamOpts).toEqual(publicOpts);
    expect(await queues.conversions.getJobState('seam-1')).toBe(await queues.conversions.getJobState('public-1'));
  });

  it('reports, without throwing, internals that are not there', async () => {
    const probe = await loadQueueInternals(queues.conversions, 'bullmq/dist/esm/scripts/addStandardJob-99.js');
    expect(probe.ok).toBe(false);
    expect(!probe.ok && probe.reason).toMatch(/addStandardJob-99/);
  });
});

describe('a relay whose BullMQ internals are not what it expects', () => {
  let tracker: Tracker;
  beforeAll(async () => {
    tracker = await startTracker();
  });
  afterAll(() => tracker.close());

  it('accepts and delivers through the public API, and says so once in the log and in a metric', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    });
    const relay = await startTestRelay({}, undefined, {
      logger: pino({ level: 'warn' }, logStream),
      loadQueueInternals: (queue) => loadQueueInternals(queue, 'bullmq/dist/esm/scripts/renamed-by-an-upgrade.js'),
    });
    try {
      await relay.request({
        method: 'PUT',
        url: '/v1/sources/net',
        admin: true,
        body: { key: 'fallback-key-1', default_account: 'acme' },
      });
      await relay.request({
        method: 'PUT',
        url: '/v1/accounts/acme',
        admin: true,
        body: { postback: { url: `${tracker.origin}/pb?cid={click_id}` } },
      });
      const first = await relay.request({ url: '/postback/net?key=fallback-key-1&click_id=fallback-1' });
      const again = await relay.request({ url: '/postback/net?key=fallback-key-1&click_id=fallback-1' });
      expect(first.body).toMatchObject({ status: 'accepted' });
      expect(again.body).toMatchObject({ status: 'duplicate', id: (first.body as { id: string }).id });
      await tracker.waitForHits(1);
      await eventually(async () => {
        const response = await relay.request({ url: `/v1/conversions/${(first.body as { id: string }).id}`, admin: true });
        return (response.body as { state?: string }).state === 'delivered' ? true : undefined;
      });
      const metrics = await relay.request({ url: '/metrics' });
      expect(metrics.text).toMatch(/^relay_queue_internals_fallback 1$/m);
      const warnings = lines.filter((line) => String(line.msg).includes("BullMQ's internals"));
      expect(warnings).toHaveLength(1);
      expect(String(warnings[0]!.reason)).toMatch(/renamed-by-an-upgrade/);
    } finally {
      await relay.close();
    }
  });
});
