import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RETRIES_QUEUE } from '../../src/queue/queues.js';
import { createKeys } from '../../src/store/keys.js';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';

let relay: TestRelay;
let tracker: Tracker;

beforeAll(async () => {
  relay = await startTestRelay({ delivery: { retryDelaysMs: [100, 200], timeoutMs: 400 } });
  tracker = await startTracker();
  await relay.request({ method: 'PUT', url: '/v1/sources/net', admin: true, body: { key: 'source-key-1' } });
  for (const id of ['r1', 'r2']) {
    await relay.request({
      method: 'PUT',
      url: `/v1/accounts/${id}`,
      admin: true,
      body: { postback: { url: `${tracker.origin}/${id}?cid={click_id}&key=secret-{account}` } },
    });
  }
});

afterAll(async () => {
  await relay?.close();
  await tracker?.close();
});

/** Answers by click id: a list of statuses to give in turn (the last repeats), or 'hang'. */
const plan = new Map<string, Array<number | 'hang'>>();
beforeAll(() => {
  tracker.respond((hit, res) => {
    const steps = plan.get(hit.query.get('cid') ?? '') ?? [200];
    const step = steps.length > 1 ? steps.shift()! : steps[0]!;
    if (step === 'hang') return; // never answers: the relay's timeout must fire
    res.statusCode = step;
    res.end(step === 200 ? 'OK thanks' : `status ${step}`);
  });
});

async function send(clickId: string, account = 'r1') {
  const response = await relay.request({ url: `/postback/net?key=source-key-1&click_id=${clickId}&account=${account}` });
  expect(response.body.status).toBe('accepted');
  return response.body.id as string;
}

async function settled(id: string) {
  return eventually(
    async () => {
      const response = await relay.request({ url: `/v1/conversions/${id}`, admin: true });
      return response.body?.state === 'delivered' || response.body?.state === 'failed' ? response.body : undefined;
    },
    15_000,
    `conversion ${id} to settle`,
  );
}

describe('retries', () => {
  it('retries 500 on the schedule until 200, auditing every attempt', async () => {
    plan.set('flaky', [500, 503, 200]);
    const id = await send('flaky');
    const done = await settled(id);
    expect(done.state).toBe('delivered');
    const [delivery] = done.deliveries;
    expect(delivery.state).toBe('delivered');
    expect(delivery.attempts.map((a: { status: number }) => a.status)).toEqual([500, 503, 200]);
    expect(delivery.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['retry', 'retry', 'delivered']);
    expect(delivery.attempts[2].body).toBe('OK thanks');
    expect(delivery.attempts[0].latency_ms).toBeGreaterThanOrEqual(0);
    // The secret query value is redacted in what the API shows and the audit keeps.
    expect(delivery.url).toContain('key=***');
    expect(delivery.attempts[0].url).toContain('key=***');
    expect(JSON.stringify(done)).not.toContain('secret-r1');
    // Attempts are spaced by the schedule (100 ms, then 200 ms; no jitter in tests).
    const times = tracker.hits.filter((h) => h.query.get('cid') === 'flaky').map((h) => h.at);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(90);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(190);
    // The JSON-lines audit log has one line per attempt.
    const lines = relay.auditLines.filter((line) => line.delivery_id === delivery.id);
    expect(lines.map((line) => line.status)).toEqual([500, 503, 200]);
    expect(lines.every((line) => String(line.url).includes('key=***'))).toBe(true);
  });

  it('fails a 404 at once, and a redrive delivers it', async () => {
    plan.set('gone', [404, 200]);
    const id = await send('gone');
    const failed = await settled(id);
    expect(failed.state).toBe('failed');
    expect(failed.deliveries[0].attempts).toHaveLength(1);
    const deliveryId = failed.deliveries[0].id;

    const listed = await relay.request({ url: '/v1/deliveries?state=failed&account=r1', admin: true });
    expect(listed.body.deliveries.map((d: { id: string }) => d.id)).toContain(deliveryId);

    const redrive = await relay.request({ method: 'POST', url: `/v1/deliveries/${deliveryId}/retry`, admin: true });
    expect(redrive.status).toBe(202);
    const delivered = await eventually(async () => {
      const response = await relay.request({ url: `/v1/conversions/${id}`, admin: true });
      return response.body.state === 'delivered' ? response.body : undefined;
    });
    expect(delivered.deliveries[0].attempts.map((a: { status: number }) => a.status)).toEqual([404, 200]);
    // Only failed deliveries are redriven.
    const again = await relay.request({ method: 'POST', url: `/v1/deliveries/${deliveryId}/retry`, admin: true });
    expect(again.status).toBe(409);
    expect((await relay.request({ method: 'POST', url: '/v1/deliveries/nope/retry', admin: true })).status).toBe(404);
  });

  it('retries a hanging tracker after the timeout and fails once attempts are exhausted', async () => {
    plan.set('hang', ['hang']);
    const id = await send('hang');
    const failed = await settled(id);
    expect(failed.state).toBe('failed');
    const attempts = failed.deliveries[0].attempts;
    expect(attempts).toHaveLength(3); // entries + 1
    expect(attempts.every((a: { error_code: string }) => a.error_code === 'timeout')).toBe(true);
    expect(attempts[0].latency_ms).toBeGreaterThanOrEqual(350);
    expect(failed.deliveries[0].last_error).toBeTruthy();
  });

  it('bulk-redrives failed deliveries matching a filter and reports how many', async () => {
    plan.set('b1', [404, 200]);
    plan.set('b2', [404, 200]);
    plan.set('b3', [404, 200]);
    const ids = [await send('b1', 'r2'), await send('b2', 'r2'), await send('b3', 'r1')];
    for (const id of ids) expect((await settled(id)).state).toBe('failed');

    const bad = await relay.request({ method: 'POST', url: '/v1/deliveries/retry', admin: true, body: { state: 'delivered' } });
    expect(bad.status).toBe(400);

    const host = new URL(tracker.origin).host;
    const result = await relay.request({
      method: 'POST',
      url: '/v1/deliveries/retry',
      admin: true,
      body: { account: 'r2', host },
    });
    expect(result.status).toBe(202);
    expect(result.body.requeued).toBe(2);
    for (const id of ids.slice(0, 2)) {
      await eventually(async () =>
        (await relay.request({ url: `/v1/conversions/${id}`, admin: true })).body.state === 'delivered' ? true : undefined,
      );
    }
    const third = await relay.request({ url: `/v1/conversions/${ids[2]}`, admin: true });
    expect(third.body.state).toBe('failed');
  });

  it('does not requeue a delivery whose job a worker is running right now, and says so', async () => {
    plan.set('busy', [404, 200]);
    const id = await send('busy', 'r2');
    const failed = await settled(id);
    expect(failed.state).toBe('failed');
    const deliveryId = failed.deliveries[0].id as string;
    // What a worker holds while it runs the delivery's retry job (an earlier redrive, say).
    const redis = new Redis({ path: inject('redisUrl').slice('unix://'.length) });
    const lock = `${createKeys(relay.config.redis.keyPrefix).queuePrefix}:${RETRIES_QUEUE}:${deliveryId}:lock`;
    try {
      await redis.set(lock, 'a-worker', 'PX', 30_000);
      const single = await relay.request({ method: 'POST', url: `/v1/deliveries/${deliveryId}/retry`, admin: true });
      expect(single.status).toBe(409);
      expect(single.body.error).toBe('in_progress');
      const bulk = await relay.request({ method: 'POST', url: '/v1/deliveries/retry', admin: true, body: { account: 'r2' } });
      expect(bulk.body).toMatchObject({ matched: 1, requeued: 0 });

      await redis.del(lock);
      const after = await relay.request({ method: 'POST', url: '/v1/deliveries/retry', admin: true, body: { account: 'r2' } });
      expect(after.body).toMatchObject({ matched: 1, requeued: 1 });
      await eventually(async () =>
        (await relay.request({ url: `/v1/conversions/${id}`, admin: true })).body.state === 'delivered' ? true : undefined,
      );
    } finally {
      await redis.del(lock);
      redis.disconnect();
    }
  });

  it('pages through deliveries with a cursor', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await send(`page${i}`, 'r2'));
    for (const id of ids) await settled(id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const response = await relay.request({
        url: `/v1/deliveries?state=delivered&account=r2&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        admin: true,
      });
      expect(response.status).toBe(200);
      expect(response.body.deliveries.length).toBeLessThanOrEqual(2);
      seen.push(...response.body.deliveries.map((d: { id: string }) => d.id));
      cursor = response.body.next_cursor;
    } while (cursor);
    for (const id of ids) expect(seen).toContain(`${id}.0`);
    expect(new Set(seen).size).toBe(seen.length);
    expect((await relay.request({ url: '/v1/deliveries?state=bogus', admin: true })).status).toBe(400);
    expect((await relay.request({ url: '/v1/deliveries?cursor=%%%', admin: true })).status).toBe(400);
  });
});
