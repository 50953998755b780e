import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { Redis } from 'ioredis';
import { startTestRelay, uniquePrefix, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';
import { createKeys } from '../../src/store/keys.js';

let tracker: Tracker;
let redis: Redis;
const relays: TestRelay[] = [];

beforeAll(async () => {
  tracker = await startTracker();
  redis = new Redis({ path: inject('redisUrl').slice('unix://'.length) });
});
afterAll(async () => {
  for (const relay of relays) await relay.close();
  await tracker?.close();
  redis?.disconnect();
});

async function relayWith(prefix: string, overrides: Parameters<typeof startTestRelay>[0] = {}) {
  const relay = await startTestRelay(overrides, prefix);
  relays.push(relay);
  return relay;
}

describe('separate receivers and workers on one Redis', () => {
  it('delivers every conversion exactly once with 2 receivers and 2 workers', async () => {
    const prefix = uniquePrefix();
    const receivers = [await relayWith(prefix, { role: 'receiver' }), await relayWith(prefix, { role: 'receiver' })];
    await relayWith(prefix, { role: 'worker' });
    await relayWith(prefix, { role: 'worker' });
    const [admin] = receivers;
    await admin!.request({
      method: 'PUT',
      url: '/v1/sources/s',
      admin: true,
      body: { key: 'source-key-1', default_account: 'a' },
    });
    await admin!.request({
      method: 'PUT',
      url: '/v1/accounts/a',
      admin: true,
      body: { postback: { url: `${tracker.origin}/split?cid={click_id}` } },
    });

    const total = 60;
    const answers = await Promise.all(
      Array.from({ length: total }, (_, i) =>
        receivers[i % 2]!.request({ url: `/postback/s?key=source-key-1&click_id=split-${i}` }),
      ),
    );
    expect(answers.every((a) => a.body.status === 'accepted')).toBe(true);
    const hits = () => tracker.hits.filter((h) => h.url.startsWith('/split'));
    await eventually(async () => (hits().length >= total ? true : undefined), 15_000, 'all deliveries');
    await new Promise((r) => setTimeout(r, 300));
    const clickIds = hits().map((h) => h.query.get('cid'));
    expect(clickIds).toHaveLength(total);
    expect(new Set(clickIds).size).toBe(total);
  });

  it('keeps relays with different key prefixes apart on one Redis', async () => {
    const one = await relayWith(uniquePrefix());
    const two = await relayWith(uniquePrefix());
    await one.request({
      method: 'PUT',
      url: '/v1/accounts/only-one',
      admin: true,
      body: { postback: { url: `${tracker.origin}/x?cid={click_id}` } },
    });
    expect((await one.request({ url: '/v1/accounts/only-one', admin: true })).status).toBe(200);
    expect((await two.request({ url: '/v1/accounts/only-one', admin: true })).status).toBe(404);
  });
});

describe('bounded audit retention', () => {
  it('caps attempts per delivery and expires records after the retention time', async () => {
    const prefix = uniquePrefix();
    const relay = await relayWith(prefix, {
      delivery: { retryDelaysMs: [20, 20, 20, 20, 20] },
      audit: { maxAttemptsPerDelivery: 3, retentionMs: 60_000 },
    });
    await relay.request({
      method: 'PUT',
      url: '/v1/sources/s',
      admin: true,
      body: { key: 'source-key-1', default_account: 'a' },
    });
    await relay.request({
      method: 'PUT',
      url: '/v1/accounts/a',
      admin: true,
      body: { postback: { url: `${tracker.origin}/always500?cid={click_id}` } },
    });
    tracker.respond((hit, res) => {
      res.statusCode = hit.url.startsWith('/always500') ? 500 : 200;
      res.end();
    });
    const { body } = await relay.request({ url: '/postback/s?key=source-key-1&click_id=ret-1' });
    const failed = await eventually(async () => {
      const response = await relay.request({ url: `/v1/conversions/${body.id}`, admin: true });
      return response.body.state === 'failed' ? response.body : undefined;
    });
    const delivery = failed.deliveries[0];
    expect(delivery.attempt_count).toBe(6);
    expect(delivery.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([4, 5, 6]);
    const keys = createKeys(prefix);
    for (const key of [keys.conversion(body.id), keys.deliveriesByState('failed')]) {
      const ttl = await redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(60_000);
    }
    tracker.respond((_hit, res) => res.end('OK'));
  });
});
