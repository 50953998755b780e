import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer } from '../helpers/redis-server.js';
import { startRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.js';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';

/**
 * The core delivery scenarios on a real 3-master Redis Cluster: every key
 * the relay and BullMQ use must be cluster-safe (a cross-slot command fails
 * there, where a single server would accept it).
 */
const available = hasRedisServer();
if (!available) console.warn('redis-server not found: skipping the Redis Cluster tests');

describe.skipIf(!available)('on Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let receiver: TestRelay;
  let tracker: Tracker;
  const relays: TestRelay[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster();
    tracker = await startTracker();
    // A receiver and a worker as separate relays, as deployed.
    receiver = await startTestRelay({ role: 'receiver', redis: { url: cluster.url } });
    relays.push(receiver, await startTestRelay({ role: 'worker', redis: { url: cluster.url } }, receiver.config.redis.keyPrefix));
    await receiver.request({
      method: 'PUT',
      url: '/v1/sources/s',
      admin: true,
      body: { key: 'source-key-1', default_account: 'a' },
    });
    const account = await receiver.request({
      method: 'PUT',
      url: '/v1/accounts/a',
      admin: true,
      body: {
        postback: { url: `${tracker.origin}/global?cid={click_id}&p={payout}` },
        offers: { '42': { url: [`${tracker.origin}/o42a?cid={click_id}`, `${tracker.origin}/o42b?cid={click_id}`] } },
      },
    });
    expect(account.status).toBe(201);
    tracker.respond((hit, res) => {
      const plan = hit.query.get('cid') ?? '';
      if (plan.startsWith('gone')) res.statusCode = hitsFor(plan).length === 1 ? 404 : 200;
      if (plan.startsWith('flaky')) res.statusCode = hitsFor(plan).length < 3 ? 500 : 200;
      res.end('OK');
    });
  }, 60_000);

  afterAll(async () => {
    for (const relay of relays) await relay.close();
    await tracker?.close();
    await cluster?.stop();
  });

  const hitsFor = (clickId: string) => tracker.hits.filter((h) => h.query.get('cid') === clickId);

  async function send(query: string) {
    const response = await receiver.request({ url: `/postback/s?key=source-key-1&${query}` });
    return response.body;
  }

  async function settled(id: string) {
    return eventually(
      async () => {
        const body = (await receiver.request({ url: `/v1/conversions/${id}`, admin: true })).body;
        return body?.state === 'delivered' || body?.state === 'failed' ? body : undefined;
      },
      15_000,
      `conversion ${id}`,
    );
  }

  it('accepts, dedupes and delivers, with per-offer fan-out', async () => {
    const first = await send('click_id=c1&payout=2.50');
    expect(first.status).toBe('accepted');
    expect(await send('click_id=c1&payout=2.50')).toEqual({ status: 'duplicate', id: first.id });
    expect((await settled(first.id)).state).toBe('delivered');
    expect(hitsFor('c1')[0]!.query.get('p')).toBe('2.50');

    const fan = await send('click_id=fan1&offer_id=42');
    const done = await settled(fan.id);
    expect(done.deliveries).toHaveLength(2);
    expect(
      hitsFor('fan1')
        .map((h) => h.url.split('?')[0])
        .sort(),
    ).toEqual(['/o42a', '/o42b']);
  });

  it('delivers a burst once each: conversions batched per turn, records spread over the masters', async () => {
    // Sent together, so the receiver's intake, the status links and the record writes each batch several
    // keys per turn: on a cluster every batch must still touch one slot per call.
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => send(`click_id=burst${i}&payout=1.00`)));
    expect(answers.every((answer) => answer.status === 'accepted')).toBe(true);
    expect(new Set(answers.map((answer) => answer.id.slice(0, answer.id.lastIndexOf('-')))).size).toBeLessThan(24);
    for (const answer of answers) expect((await settled(answer.id)).state).toBe('delivered');
    for (let i = 0; i < 24; i++) expect(hitsFor(`burst${i}`)).toHaveLength(1);

    // The search indexes of one turn span slots (a click id's own, the control slot's): all written.
    const search = async (query: string) =>
      (await receiver.request({ url: `/v1/conversions?${query}`, admin: true })).body as { conversions: Array<{ id: string }> };
    const ids = answers.map((answer) => answer.id as string);
    expect((await search('click_id=burst3')).conversions.map((c) => c.id)).toEqual([ids[3]]);
    const bySource = new Set((await search('source=s&account=a&limit=500')).conversions.map((c) => c.id));
    expect(ids.every((id) => bySource.has(id))).toBe(true);
    const exported = await receiver.request({ url: '/v1/conversions?format=ndjson&source=s', admin: true });
    expect(ids.every((id) => exported.text.includes(`"id":"${id}"`))).toBe(true);
  });

  it('retries 500 until 200 and audits each attempt', async () => {
    const { id } = await send('click_id=flaky1');
    const done = await settled(id);
    expect(done.state).toBe('delivered');
    expect(done.deliveries[0].attempts.map((a: { status: number }) => a.status)).toEqual([500, 500, 200]);
  });

  it('fails a 404, lists it, and redrives it', async () => {
    const { id } = await send('click_id=gone1');
    const failed = await settled(id);
    expect(failed.state).toBe('failed');
    const deliveryId = failed.deliveries[0].id;
    const listed = await receiver.request({ url: '/v1/deliveries?state=failed&account=a', admin: true });
    expect(listed.body.deliveries.map((d: { id: string }) => d.id)).toContain(deliveryId);
    const bulk = await receiver.request({ method: 'POST', url: '/v1/deliveries/retry', admin: true, body: { account: 'a' } });
    expect(bulk.body.requeued).toBeGreaterThanOrEqual(1);
    await eventually(async () =>
      (await receiver.request({ url: `/v1/conversions/${id}`, admin: true })).body.state === 'delivered' ? true : undefined,
    );
  });

  it('parks deliveries for a paused host and resumes them', async () => {
    const host = new URL(tracker.origin).host;
    await receiver.request({ method: 'POST', url: `/v1/hosts/${host}/pause`, admin: true });
    const { id } = await send('click_id=paused1');
    await eventually(async () =>
      (await receiver.request({ url: `/v1/hosts/${host}`, admin: true })).body.parked === 1 ? true : undefined,
    );
    expect(hitsFor('paused1')).toHaveLength(0);
    await receiver.request({ method: 'POST', url: `/v1/hosts/${host}/resume`, admin: true });
    expect((await settled(id)).state).toBe('delivered');
  });

  it('keeps unattributed conversions and attributes tracking-link clicks', async () => {
    const unattributed = await send('payout=1');
    expect(unattributed.status).toBe('unattributed');
    await eventually(async () => {
      const list = await receiver.request({ url: '/v1/conversions?state=unattributed', admin: true });
      return JSON.stringify(list.body).includes(unattributed.id) ? true : undefined;
    });
    await receiver.request({
      method: 'PUT',
      url: '/v1/offers/42',
      admin: true,
      body: { url: 'https://store.example/land?t={transaction_id}' },
    });
    const click = await receiver.relay.app.inject({ url: '/click/42?account=a&sub1=s1' });
    expect(click.statusCode).toBe(302);
    const transactionId = new URL(String(click.headers.location)).searchParams.get('t')!;
    const conversion = await receiver.request({ url: `/postback/s?key=source-key-1&transaction_id=${transactionId}` });
    expect(conversion.body.status).toBe('accepted');
    const done = await settled(conversion.body.id);
    expect(done.offer_id).toBe('42');
    expect(done.sub1).toBe('s1');
  });
});
