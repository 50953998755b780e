import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';
import { UNKNOWN_CLICK_REASON } from '../../src/tracking/attribution.js';

let relay: TestRelay;
let tracker: Tracker;
let redis: Redis;

const DAY_MS = 86_400_000;

beforeAll(async () => {
  relay = await startTestRelay();
  tracker = await startTracker();
  redis = new Redis({ path: inject('redisUrl').slice('unix://'.length) });
  // The store sends only transaction_id and amount; its default account is deliberately not the affiliate's.
  await admin('PUT', '/v1/sources/store', { key: 'store-key-1', default_account: 'house' });
  await admin('PUT', '/v1/sources/strict', { key: 'strict-key-1', default_account: 'house', require_click: true });
  await admin('PUT', '/v1/accounts/aff1', {
    postback: { url: `${tracker.origin}/aff1?cid={click_id}&offer={offer_id}&s1={sub1}&s2={sub2}&s5={sub5}&amount={amount}` },
  });
  await admin('PUT', '/v1/accounts/house', { postback: { url: `${tracker.origin}/house?cid={click_id}&offer={offer_id}` } });
  await admin('PUT', '/v1/offers/shoes', {
    url: 'https://store.example/land?ref={transaction_id}&o={offer_id}&a={account}&s1={sub1}',
  });
});

afterAll(async () => {
  await relay?.close();
  await tracker?.close();
  redis?.disconnect();
});

async function admin(method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, body?: unknown) {
  return relay.request({ method, url, admin: true, ...(body !== undefined ? { body } : {}) });
}

/** A click through the public endpoint; returns the issued transaction id and where it sent the visitor. */
async function click(offer: string, query: Record<string, string> = {}) {
  const response = await relay.relay.app.inject({
    method: 'GET',
    url: `/click/${offer}?${new URLSearchParams(query).toString()}`,
  });
  expect(response.statusCode, response.body).toBe(302);
  const location = new URL(String(response.headers.location));
  return { transactionId: location.searchParams.get('ref') ?? location.searchParams.get('t') ?? '', location, response };
}

async function postback(query: string, source = 'store', key = 'store-key-1') {
  return relay.request({ url: `/postback/${source}?key=${key}&${query}` });
}

async function conversion(id: string, until: (body: any) => boolean = (b) => b.state !== 'pending') {
  return eventually(
    async () => {
      const response = await admin('GET', `/v1/conversions/${id}`);
      return response.status === 200 && until(response.body) ? response.body : undefined;
    },
    10_000,
    `conversion ${id}`,
  );
}

describe('offers API', () => {
  it('creates, reads, lists, updates and deletes an offer', async () => {
    const created = await admin('PUT', '/v1/offers/bag', { url: 'https://s.example/bag?t={tid}', attribution_window_days: 7 });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: 'bag', url: 'https://s.example/bag?t={tid}', attribution_window_days: 7 });
    expect((await admin('GET', '/v1/offers/bag')).body).toEqual(created.body);
    expect((await admin('PUT', '/v1/offers/bag', { url: 'https://s.example/bag2?t={tid}' })).status).toBe(200);
    expect((await admin('GET', '/v1/offers')).body.offers.map((o: { id: string }) => o.id)).toEqual(['bag', 'shoes']);
    expect((await admin('DELETE', '/v1/offers/bag')).status).toBe(204);
    expect((await admin('DELETE', '/v1/offers/bag')).status).toBe(404);
    expect((await admin('GET', '/v1/offers/bag')).status).toBe(404);
    // Deleted through this process: the click cache must not keep serving it.
    expect((await relay.request({ url: '/click/bag' })).status).toBe(404);
  });

  it('rejects macros a landing page cannot have, and bad fields, naming each', async () => {
    const payout = await admin('PUT', '/v1/offers/x', { url: 'https://s.example/?t={transaction_id}&p={payout}' });
    expect(payout.status).toBe(400);
    expect(payout.body.error).toBe('invalid_offer');
    expect(payout.body.details).toEqual([
      { path: 'url', message: expect.stringMatching(/^\{payout\} is not known at click time/) },
    ]);

    const unknown = await admin('PUT', '/v1/offers/x', { url: 'https://s.example/?t={clik_id}' });
    expect(unknown.body.details).toEqual([{ path: 'url', message: 'unknown macro {clik_id}' }]);

    const fields = await admin('PUT', '/v1/offers/x', {
      url: 'https://s.example/?t={tid}',
      attribution_window_days: 0,
      extra: true,
    });
    expect(fields.status).toBe(400);
    expect(fields.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['(body)', 'attribution_window_days']);

    const both = await admin('PUT', '/v1/offers/x', {
      url: 'https://s.example/?t={tid}',
      attribution_window_days: 1,
      attribution_window_seconds: 5,
    });
    expect(both.body.details).toEqual([{ path: 'attribution_window_seconds', message: expect.stringMatching(/not both/) }]);
    expect((await admin('GET', '/v1/offers/x')).status).toBe(404);
  });

  it('warns about a landing URL without the transaction id, and requires the admin token', async () => {
    const warned = await admin('PUT', '/v1/offers/plain', { url: 'https://s.example/plain' });
    expect(warned.status).toBe(201);
    expect(warned.body.warnings).toEqual([expect.stringMatching(/^url: no \{transaction_id\} macro/)]);
    expect(
      (await relay.request({ method: 'PUT', url: '/v1/offers/y', body: { url: 'https://s.example/?t={tid}' } })).status,
    ).toBe(401);
    expect((await relay.request({ url: '/v1/offers' })).status).toBe(401);
  });
});

describe('GET /click/:offer_id', () => {
  it('answers 302 to the landing page with a fresh URL-safe transaction id of at least 128 bits', async () => {
    const first = await click('shoes', { account: 'aff1', sub1: 'a b&c=d' });
    const second = await click('shoes', { account: 'aff1' });
    expect(first.location.origin + first.location.pathname).toBe('https://store.example/land');
    expect(first.transactionId).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(Buffer.from(first.transactionId, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(second.transactionId).not.toBe(first.transactionId);
    expect(first.location.searchParams.get('o')).toBe('shoes');
    expect(first.location.searchParams.get('a')).toBe('aff1');
    // The sub id travels as one value, encoded where it is substituted.
    expect(first.location.searchParams.get('s1')).toBe('a b&c=d');
    expect(first.response.headers.location).toContain('s1=a%20b%26c%3Dd');
    expect(first.response.headers['cache-control']).toBe('no-store');
  });

  it('keeps the click for the attribution window: 30 days by default, the offer override otherwise', async () => {
    const { transactionId } = await click('shoes', { account: 'aff1', sub2: 'two' });
    const key = `${relay.config.redis.keyPrefix}:click:${transactionId}`;
    expect(JSON.parse((await redis.get(key))!)).toMatchObject({ offer_id: 'shoes', account: 'aff1', sub2: 'two' });
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(30 * DAY_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(30 * DAY_MS);

    await admin('PUT', '/v1/offers/week', { url: 'https://s.example/w?t={tid}', attribution_window_days: 7 });
    const week = await click('week');
    const weekTtl = await redis.pttl(`${relay.config.redis.keyPrefix}:click:${week.location.searchParams.get('t')}`);
    expect(weekTtl).toBeGreaterThan(7 * DAY_MS - 60_000);
    expect(weekTtl).toBeLessThanOrEqual(7 * DAY_MS);
  });

  it('answers 404 for an unknown offer and 400 naming bad parameters, storing nothing', async () => {
    const clickKeys = async () => (await redis.keys(`${relay.config.redis.keyPrefix}:click:*`)).sort();
    const before = await clickKeys();
    const unknown = await relay.request({ url: '/click/no-such-offer?account=aff1' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: 'not_found', message: 'offer no-such-offer not found' });
    expect((await relay.request({ url: '/click/%00bad' })).status).toBe(404);

    const bad = await relay.request({ url: `/click/shoes?sub1=${'x'.repeat(600)}&account=a&account=b&sub3=%01` });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_click');
    expect(bad.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['account', 'sub1', 'sub3']);

    // A link checker's HEAD must not mint clicks.
    expect((await relay.relay.app.inject({ method: 'HEAD', url: '/click/shoes' })).statusCode).toBe(404);
    expect(await clickKeys()).toEqual(before);
    const metrics = await relay.request({ url: '/metrics' });
    expect(metrics.text).toMatch(/postback_relay_clicks_total\{outcome="redirected"\} [1-9]/);
    expect(metrics.text).toMatch(/postback_relay_clicks_total\{outcome="unknown_offer"\} [1-9]/);
  });
});

describe('the transaction-id flow', () => {
  it("attributes a store postback carrying only transaction_id and amount to the click's account, offer and sub ids", async () => {
    const { transactionId } = await click('shoes', { account: 'aff1', sub1: 'fb-ad-7', sub2: 'creative 3', sub5: 'x&y' });
    const response = await postback(`transaction_id=${transactionId}&amount=129.90`);
    expect(response.body.status).toBe('accepted');
    const done = await conversion(response.body.id);
    expect(done).toMatchObject({
      state: 'delivered',
      account: 'aff1',
      offer_id: 'shoes',
      sub1: 'fb-ad-7',
      sub2: 'creative 3',
      sub5: 'x&y',
    });
    const hit = tracker.hits.find((h) => h.url.startsWith('/aff1?') && h.query.get('cid') === transactionId);
    expect(hit, 'ping on the affiliate tracker').toBeDefined();
    expect(Object.fromEntries(hit!.query)).toEqual({
      cid: transactionId,
      offer: 'shoes',
      s1: 'fb-ad-7',
      s2: 'creative 3',
      s5: 'x&y',
      amount: '129.90',
    });
    expect(tracker.hits.some((h) => h.url.startsWith('/house?') && h.query.get('cid') === transactionId)).toBe(false);
  });

  it("lets the conversion's own account, offer and sub ids win over the click's", async () => {
    const { transactionId } = await click('shoes', { account: 'aff1', sub1: 'from-click', sub2: 'click-2' });
    const response = await postback(`tid=${transactionId}&account=house&offer_id=boots&sub1=own`);
    const done = await conversion(response.body.id);
    expect(done).toMatchObject({ state: 'delivered', account: 'house', offer_id: 'boots', sub1: 'own', sub2: 'click-2' });
    expect(
      tracker.hits.find((h) => h.url.startsWith('/house?') && h.query.get('cid') === transactionId)?.query.get('offer'),
    ).toBe('boots');
  });

  it('falls back to the source default account for a click id it never issued', async () => {
    const response = await postback('transaction_id=AAAAAAAAAAAAAAAAAAAAAA&amount=5');
    const done = await conversion(response.body.id);
    expect(done.account).toBe('house');
    expect(done.offer_id).toBeUndefined();
  });

  it('stops attributing once the offer attribution window has passed', async () => {
    await admin('PUT', '/v1/offers/flash', { url: 'https://s.example/f?t={transaction_id}', attribution_window_seconds: 1 });
    const expiring = await click('flash', { account: 'aff1', sub1: 'late' });
    const fresh = await click('shoes', { account: 'aff1' });
    const inWindow = await postback(`transaction_id=${expiring.transactionId}&amount=1&order_id=in`, 'strict', 'strict-key-1');
    expect(inWindow.body.status).toBe('accepted');
    expect(await conversion(inWindow.body.id)).toMatchObject({ account: 'aff1', offer_id: 'flash', sub1: 'late' });

    await new Promise((r) => setTimeout(r, 1_300));
    const strict = await postback(`transaction_id=${expiring.transactionId}&amount=1&order_id=late`, 'strict', 'strict-key-1');
    expect(strict.body).toEqual({ status: 'unattributed', id: expect.any(String), reason: UNKNOWN_CLICK_REASON });
    const lenient = await postback(`transaction_id=${expiring.transactionId}&amount=1&order_id=late`);
    const done = await conversion(lenient.body.id);
    expect(done).toMatchObject({ account: 'house', state: 'delivered' });
    expect(done.offer_id).toBeUndefined();
    expect(done.sub1).toBeUndefined();
    // The 30-day click from the same moment still attributes.
    const stillFresh = await postback(`transaction_id=${fresh.transactionId}&amount=1`, 'strict', 'strict-key-1');
    expect(stillFresh.body.status).toBe('accepted');
    expect(await conversion(stillFresh.body.id)).toMatchObject({ state: 'delivered', offer_id: 'shoes' });
  });
});

describe('require_click', () => {
  it('keeps conversions with an unknown or foreign click id unattributed, with the reason, and shows the setting', async () => {
    expect((await admin('GET', '/v1/sources/strict')).body.require_click).toBe(true);
    expect((await admin('GET', '/v1/sources/store')).body.require_click).toBe(false);
    const before = tracker.hits.length;
    const unknown = await postback('transaction_id=BBBBBBBBBBBBBBBBBBBBBB&amount=3&account=aff1', 'strict', 'strict-key-1');
    expect(unknown.body).toMatchObject({ status: 'unattributed', reason: UNKNOWN_CLICK_REASON });
    const foreign = await postback('click_id=TX-foreign&account=aff1', 'strict', 'strict-key-1');
    expect(foreign.body).toMatchObject({ status: 'unattributed', reason: UNKNOWN_CLICK_REASON });
    const kept = await conversion(unknown.body.id, (b) => b.state === 'unattributed');
    expect(kept.reason).toBe(UNKNOWN_CLICK_REASON);

    const { transactionId } = await click('shoes', { account: 'aff1' });
    const known = await postback(`transaction_id=${transactionId}&amount=3`, 'strict', 'strict-key-1');
    expect(known.body.status).toBe('accepted');
    await conversion(known.body.id);
    expect(tracker.hits.slice(before).map((h) => h.query.get('cid'))).toEqual([transactionId]);
  });
});

describe('unattributed conversions', () => {
  async function unattributed(order: string) {
    const response = await postback(
      `transaction_id=CCCCCCCCCCCCCCCCCCCCCC&amount=9.99&order_id=${order}`,
      'strict',
      'strict-key-1',
    );
    expect(response.body.status).toBe('unattributed');
    // Listed once the worker has recorded it (until then the API shows it from the queue).
    await eventually(
      async () => {
        const listed = await admin('GET', '/v1/conversions?state=unattributed&limit=500');
        return listed.body.conversions.some((c: { id: string }) => c.id === response.body.id) ? true : undefined;
      },
      10_000,
      'unattributed conversion listed',
    );
    return response.body.id as string;
  }

  it('lists them newest first with paging, and counts them in metrics', async () => {
    const ids = [await unattributed('list-1'), await unattributed('list-2'), await unattributed('list-3')];
    const first = await admin('GET', '/v1/conversions?state=unattributed&limit=2');
    expect(first.status).toBe(200);
    expect(first.body.conversions.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.conversions[0]).toMatchObject({
      state: 'unattributed',
      reason: UNKNOWN_CLICK_REASON,
      amount: '9.99',
      order_id: 'list-3',
    });
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await admin('GET', `/v1/conversions?state=unattributed&limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.conversions[0].id).toBe(ids[0]);

    expect((await admin('GET', '/v1/conversions?state=stuck')).status).toBe(400);
    expect((await admin('GET', '/v1/conversions?cursor=%25%25')).status).toBe(400);
    expect((await relay.request({ url: '/v1/conversions' })).status).toBe(401);
    const metrics = await relay.request({ url: '/metrics' });
    expect(metrics.text).toMatch(/postback_relay_conversions_received_total\{outcome="unattributed"\} ([3-9]|\d\d)/);
    expect(metrics.text).toMatch(/postback_relay_conversions_routed_total\{result="unattributed"\} ([3-9]|\d\d)/);
  });

  it('re-attributes one to the given account and offer, delivers it, and takes it off the list', async () => {
    const id = await unattributed('reattr-1');
    const response = await admin('POST', `/v1/conversions/${id}/attribute`, { account: 'aff1', offer_id: 'shoes' });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ id, status: 'requeued', account: 'aff1', offer_id: 'shoes' });
    const done = await conversion(id, (b) => b.state === 'delivered');
    expect(done).toMatchObject({ account: 'aff1', offer_id: 'shoes', level: 'global' });
    expect(done.reason).toBeUndefined();
    expect(done.deliveries).toHaveLength(1);
    const hit = tracker.hits.find(
      (h) => h.url.startsWith('/aff1?') && h.query.get('amount') === '9.99' && h.query.get('offer') === 'shoes',
    );
    expect(hit?.query.get('cid')).toBe('CCCCCCCCCCCCCCCCCCCCCC');
    const listed = await admin('GET', '/v1/conversions?state=unattributed&limit=500');
    expect(listed.body.conversions.map((c: { id: string }) => c.id)).not.toContain(id);

    // Attributed once: a second attempt conflicts and sends nothing more.
    const again = await admin('POST', `/v1/conversions/${id}/attribute`, { account: 'house' });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('not_unattributed');
  });

  it('takes offer and sub ids from a known click given with the attribution', async () => {
    const id = await unattributed('reattr-click');
    const { transactionId } = await click('shoes', { account: 'house', sub1: 'from-click' });
    const response = await admin('POST', `/v1/conversions/${id}/attribute`, { account: 'aff1', click_id: transactionId });
    expect(response.body).toMatchObject({ account: 'aff1', offer_id: 'shoes', click_id: transactionId, from_click: true });
    const done = await conversion(id, (b) => b.state === 'delivered');
    expect(done).toMatchObject({ account: 'aff1', offer_id: 'shoes', sub1: 'from-click', click_id: transactionId });
    expect(tracker.hits.find((h) => h.url.startsWith('/aff1?') && h.query.get('cid') === transactionId)?.query.get('s1')).toBe(
      'from-click',
    );
  });

  it('refuses to attribute a delivered, unknown or badly described conversion', async () => {
    const { transactionId } = await click('shoes', { account: 'aff1' });
    const delivered = await postback(`transaction_id=${transactionId}&amount=1`);
    await conversion(delivered.body.id);
    expect((await admin('POST', `/v1/conversions/${delivered.body.id}/attribute`, { account: 'aff1' })).status).toBe(409);
    expect((await admin('POST', '/v1/conversions/ghost/attribute', { account: 'aff1' })).status).toBe(404);

    const id = await unattributed('reattr-bad');
    const bad = await admin('POST', `/v1/conversions/${id}/attribute`, { offer_id: 'has space', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['(body)', 'account', 'offer_id']);
    const noAccount = await admin('POST', `/v1/conversions/${id}/attribute`, { account: 'nobody' });
    expect(noAccount.status).toBe(400);
    expect(noAccount.body.details).toEqual([{ path: 'account', message: 'account nobody is not configured' }]);
    expect((await admin('GET', `/v1/conversions/${id}`)).body.state).toBe('unattributed');
  });

  it('answers 409 while the conversion is still queued, before any worker has recorded it', async () => {
    // A receiver without workers: the conversion stays in the queue.
    const receiver = await startTestRelay({ role: 'receiver' });
    try {
      await receiver.request({
        method: 'PUT',
        url: '/v1/sources/s',
        admin: true,
        body: { key: 'source-key-1', require_click: true },
      });
      await receiver.request({
        method: 'PUT',
        url: '/v1/accounts/a',
        admin: true,
        body: { postback: { url: `${tracker.origin}/q?cid={click_id}` } },
      });
      const queued = await receiver.request({ url: '/postback/s?key=source-key-1&click_id=DDDDDDDDDDDDDDDDDDDDDD&account=a' });
      expect(queued.body.status).toBe('unattributed');
      const response = await receiver.request({
        method: 'POST',
        url: `/v1/conversions/${queued.body.id}/attribute`,
        admin: true,
        body: { account: 'a' },
      });
      expect(response.status).toBe(409);
      expect(response.body.error).toBe('not_processed');
    } finally {
      await receiver.close();
    }
  });
});
