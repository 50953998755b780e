import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';
import { stableConversionId } from '../../src/domain/conversion-id.js';

let relay: TestRelay;
let tracker: Tracker;

beforeAll(async () => {
  relay = await startTestRelay();
  tracker = await startTracker();
  await relay.request({
    method: 'PUT',
    url: '/v1/sources/net1',
    admin: true,
    body: { key: 'source-key-1', default_account: 'acme' },
  });
  await relay.request({
    method: 'PUT',
    url: '/v1/sources/aspire',
    admin: true,
    body: { key: 'aspire-key-1', default_account: 'store' },
  });
});

afterAll(async () => {
  await relay?.close();
  await tracker?.close();
});

async function putAccount(id: string, body: unknown) {
  const response = await relay.request({ method: 'PUT', url: `/v1/accounts/${id}`, admin: true, body });
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
  return response;
}

async function postback(query: string, source = 'net1', key = 'source-key-1') {
  return relay.request({ url: `/postback/${source}?key=${key}&${query}` });
}

async function conversion(id: string, until: (body: any) => boolean = (b) => b.state !== 'pending') {
  return eventually(
    async () => {
      const response = await relay.request({ url: `/v1/conversions/${id}`, admin: true });
      return response.status === 200 && until(response.body) ? response.body : undefined;
    },
    10_000,
    `conversion ${id} to settle`,
  );
}

describe('template resolution end to end', () => {
  it('uses per-offer per-event, per-offer, global per-event and global templates, first match wins', async () => {
    await putAccount('acme', {
      postback: {
        url: `${tracker.origin}/global?cid={click_id}&payout={payout}&offer={offer_id}`,
        events: { lead: `${tracker.origin}/global-lead?cid={click_id}` },
      },
      offers: {
        '42': {
          url: `${tracker.origin}/offer42?cid={click_id}`,
          events: { sale: `${tracker.origin}/offer42-sale?cid={click_id}&sum={sum}` },
        },
        '43': { disabled: true },
      },
    });
    const cases = [
      { query: 'click_id=a1&offer_id=42&event=sale&payout=3.00', path: '/offer42-sale', level: 'offer_event' },
      { query: 'click_id=a2&offer_id=42&event=lead', path: '/offer42', level: 'offer' },
      { query: 'click_id=a3&offer_id=77&event=lead', path: '/global-lead', level: 'global_event' },
      { query: 'click_id=a4&offer_id=9999&payout=1.50', path: '/global', level: 'global' },
    ];
    for (const testCase of cases) {
      const response = await postback(testCase.query);
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('accepted');
      const done = await conversion(response.body.id);
      expect(done.state).toBe('delivered');
      expect(done.level).toBe(testCase.level);
      const hit = tracker.hits.find(
        (h) => h.url.startsWith(testCase.path + '?') && h.query.get('cid') === testCase.query.split('&')[0]!.split('=')[1],
      );
      expect(hit, `hit on ${testCase.path}`).toBeDefined();
    }
    // A future offer (never configured) inherits the global postback with the payout as received.
    const global = tracker.hits.find((h) => h.query.get('cid') === 'a4');
    expect(global?.query.get('payout')).toBe('1.50');
    expect(global?.query.get('offer')).toBe('9999');
    const sale = tracker.hits.find((h) => h.query.get('cid') === 'a1');
    expect(sale?.query.get('sum')).toBe('3.00');
  });

  it('records a disabled offer as suppressed and an unmatched event as no_postback, without pinging', async () => {
    await putAccount('sparse', {
      postback: { events: { lead: `${tracker.origin}/lead?cid={click_id}` } },
      offers: { '5': { disabled: true } },
    });
    const before = tracker.hits.length;
    const suppressed = await postback('click_id=s1&offer_id=5&event=lead&account=sparse');
    const noPostback = await postback('click_id=s2&offer_id=6&event=sale&account=sparse');
    expect((await conversion(suppressed.body.id)).state).toBe('suppressed');
    const unmatched = await conversion(noPostback.body.id);
    expect(unmatched.state).toBe('no_postback');
    expect(unmatched.deliveries).toEqual([]);
    expect(tracker.hits.length).toBe(before);
  });

  it('fans a list of URLs out into one delivery each', async () => {
    await putAccount('fan', {
      postback: { url: [`${tracker.origin}/one?cid={click_id}`, `${tracker.origin}/two?cid={click_id}`] },
    });
    const response = await postback('click_id=fan1&account=fan');
    const done = await conversion(response.body.id);
    expect(done.state).toBe('delivered');
    expect(done.deliveries).toHaveLength(2);
    expect(
      tracker.hits
        .filter((h) => h.query.get('cid') === 'fan1')
        .map((h) => h.url.split('?')[0])
        .sort(),
    ).toEqual(['/one', '/two']);
  });
});

describe('macros and encoding', () => {
  it('sends a click id containing &payout=999 as one value and keeps template text verbatim', async () => {
    await putAccount('enc', {
      postback: { url: `${tracker.origin}/enc?cid={click_id}&payout={payout}&txid={conversion_id}&ts={timestamp}&fixed=a%20b` },
    });
    const clickId = 'abc&payout=999 x/ü';
    const response = await postback(`click_id=${encodeURIComponent(clickId)}&payout=2.5&account=enc`);
    const done = await conversion(response.body.id);
    expect(done.state).toBe('delivered');
    const hit = tracker.hits.find((h) => h.url.startsWith('/enc?'))!;
    expect(hit.query.get('cid')).toBe(clickId);
    expect(hit.query.getAll('payout')).toEqual(['2.5']);
    expect(hit.url).toContain('fixed=a%20b');
    // No conversion or order id from the sender: one derived from source, click and event, not the relay's id.
    expect(hit.query.get('txid')).toBe(
      stableConversionId({ id: response.body.id, source: 'net1', click_id: clickId, event: 'conversion' }),
    );
    expect(hit.query.get('txid')).not.toBe(response.body.id);
    expect(Math.abs(Number(hit.query.get('ts')) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('handles an Aspire-style global postback: transaction_id, amount and order_id only', async () => {
    await putAccount('store', {
      postback: { url: `${tracker.origin}/aspire?transaction_id={transaction_id}&amount={amount}&order_id={order_id}` },
    });
    const response = await relay.request({
      url: '/postback/aspire?transaction_id=TX-77&amount=129.90&order_id=ORD-1',
      headers: { authorization: 'Bearer aspire-key-1' },
    });
    expect(response.body.status).toBe('accepted');
    expect((await conversion(response.body.id)).state).toBe('delivered');
    const hit = tracker.hits.find((h) => h.url.startsWith('/aspire?'))!;
    expect(Object.fromEntries(hit.query)).toEqual({ transaction_id: 'TX-77', amount: '129.90', order_id: 'ORD-1' });
  });

  it('accepts POST with a JSON body and the key in X-Relay-Key, writing JSON numbers without exponent', async () => {
    await putAccount('json', { postback: { url: `${tracker.origin}/json?cid={click_id}&p={payout}` } });
    const response = await relay.request({
      method: 'POST',
      url: '/postback/net1',
      headers: { 'x-relay-key': 'source-key-1' },
      body: { clickid: 'j1', payout: 1e-7, account: 'json' },
    });
    expect(response.body.status).toBe('accepted');
    await conversion(response.body.id);
    expect(tracker.hits.find((h) => h.query.get('cid') === 'j1')?.query.get('p')).toBe('0.0000001');
  });

  it('accepts a form-encoded POST', async () => {
    const response = await relay.request({
      method: 'POST',
      url: '/postback/net1?key=source-key-1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'tid=form1&sum=4.20&account=json',
    });
    expect(response.body.status).toBe('accepted');
    await conversion(response.body.id);
    expect(tracker.hits.find((h) => h.query.get('cid') === 'form1')?.query.get('p')).toBe('4.20');
  });
});

describe('receiver answers', () => {
  it('answers duplicate with the first id for the same conversion inside the window', async () => {
    await putAccount('dup', { postback: { url: `${tracker.origin}/dup?cid={click_id}` } });
    const first = await postback('click_id=d1&account=dup&order_id=o1');
    const second = await postback('click_id=d1&account=dup&order_id=o1');
    const otherOrder = await postback('click_id=d1&account=dup&order_id=o2');
    expect(first.body.status).toBe('accepted');
    expect(second.body).toEqual({ status: 'duplicate', id: first.body.id });
    expect(otherOrder.body.status).toBe('accepted');
    await conversion(first.body.id);
    await conversion(otherOrder.body.id);
    expect(tracker.hits.filter((h) => h.query.get('cid') === 'd1')).toHaveLength(2);
  });

  it('produces one delivery when the same conversion arrives concurrently', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => postback('click_id=race1&account=dup&order_id=r')));
    const accepted = answers.filter((a) => a.body.status === 'accepted');
    expect(accepted).toHaveLength(1);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    await conversion(accepted[0]!.body.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(tracker.hits.filter((h) => h.query.get('cid') === 'race1')).toHaveLength(1);
  });

  it('keeps a conversion without click id as unattributed, visible and not delivered', async () => {
    const before = tracker.hits.length;
    const response = await postback('payout=1&account=acme');
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('unattributed');
    expect(response.body.reason).toMatch(/no click id/);
    const kept = await conversion(response.body.id, (b) => b.state === 'unattributed');
    expect(kept.payout).toBe('1');
    expect(tracker.hits.length).toBe(before);
  });

  it('is unattributed when no account can be found', async () => {
    await relay.request({ method: 'PUT', url: '/v1/sources/noacct', admin: true, body: { key: 'noacct-key-1' } });
    const response = await postback('click_id=x', 'noacct', 'noacct-key-1');
    expect(response.body).toMatchObject({ status: 'unattributed', reason: expect.stringMatching(/no account/) });
  });

  it('rejects unknown sources and wrong keys with 401', async () => {
    expect(await postback('click_id=x', 'nope', 'source-key-1')).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(await postback('click_id=x', 'net1', 'wrong-key')).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(await relay.request({ url: '/postback/net1?click_id=x' })).toMatchObject({ status: 401 });
  });

  it('answers 403 to a caller outside the source allow-list', async () => {
    await relay.request({
      method: 'PUT',
      url: '/v1/sources/locked',
      admin: true,
      body: { key: 'locked-key-1', ip_allow: ['10.0.0.0/8'] },
    });
    const response = await postback('click_id=x', 'locked', 'locked-key-1');
    expect(response.status).toBe(403);
    await relay.request({
      method: 'PUT',
      url: '/v1/sources/open',
      admin: true,
      body: { key: 'open-key-1', ip_allow: ['127.0.0.0/8'], default_account: 'acme' },
    });
    expect((await postback('click_id=ip-ok', 'open', 'open-key-1')).status).toBe(200);
  });

  it('answers 400 naming every field over its limit, and 4xx JSON to 20 KB of junk', async () => {
    const response = await postback(`click_id=x&payout=${'1'.repeat(40)}&status=${'s'.repeat(70)}&sub1=${'y'.repeat(600)}`);
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_conversion');
    expect(response.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['payout', 'status', 'sub1']);

    const junk = await postback(`click_id=${'z'.repeat(20_000)}`);
    expect(junk.status).toBe(400);
    expect(junk.body.details[0].path).toBe('click_id');

    const bigBody = await relay.request({
      method: 'POST',
      url: '/postback/net1?key=source-key-1',
      body: { click_id: 'x', junk: 'j'.repeat(20_000) },
    });
    expect(bigBody.status).toBe(413);
    expect(bigBody.body.error).toBe('bad_request');
  });
});

describe('edits take effect at once', () => {
  it('uses an edited account template for the very next conversion', async () => {
    await putAccount('edit', { postback: { url: `${tracker.origin}/before?cid={click_id}` } });
    const first = await postback('click_id=edit1&account=edit');
    await conversion(first.body.id);
    await putAccount('edit', { postback: { url: `${tracker.origin}/after?cid={click_id}` } });
    const second = await postback('click_id=edit2&account=edit');
    await conversion(second.body.id);
    expect(tracker.hits.find((h) => h.query.get('cid') === 'edit2')?.url).toMatch(/^\/after\?/);
  });

  it('refuses a rotated-out source key on the next request', async () => {
    await relay.request({
      method: 'PUT',
      url: '/v1/sources/rotate',
      admin: true,
      body: { key: 'old-key-123', default_account: 'acme' },
    });
    expect((await postback('click_id=r1', 'rotate', 'old-key-123')).status).toBe(200);
    await relay.request({
      method: 'PUT',
      url: '/v1/sources/rotate',
      admin: true,
      body: { key: 'new-key-456', default_account: 'acme' },
    });
    expect((await postback('click_id=r2', 'rotate', 'old-key-123')).status).toBe(401);
    expect((await postback('click_id=r3', 'rotate', 'new-key-456')).status).toBe(200);
    await relay.request({ method: 'DELETE', url: '/v1/sources/rotate', admin: true });
    expect((await postback('click_id=r4', 'rotate', 'new-key-456')).status).toBe(401);
  });
});

describe('admin API', () => {
  it('requires the admin token', async () => {
    expect((await relay.request({ url: '/v1/accounts' })).status).toBe(401);
    expect((await relay.request({ url: '/v1/accounts', headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await relay.request({ url: '/v1/accounts', admin: true })).status).toBe(200);
  });

  it('rejects an unknown macro naming its path, and warns when no click id macro is present', async () => {
    const bad = await relay.request({
      method: 'PUT',
      url: '/v1/accounts/bad',
      admin: true,
      body: { offers: { '42': { url: 'https://t.example/pb?cid={clik_id}' } } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      error: 'invalid_account',
      details: [{ path: 'offers.42.url', message: 'unknown macro {clik_id}' }],
    });
    expect((await relay.request({ url: '/v1/accounts/bad', admin: true })).status).toBe(404);

    const notUrl = await relay.request({
      method: 'PUT',
      url: '/v1/accounts/bad',
      admin: true,
      body: { postback: { url: 'ftp://x/{click_id}' } },
    });
    expect(notUrl.status).toBe(400);
    expect(notUrl.body.details[0].path).toBe('postback.url');

    const warned = await relay.request({
      method: 'PUT',
      url: '/v1/accounts/warn',
      admin: true,
      body: { postback: { url: 'https://t.example/pb?p={payout}' } },
    });
    expect(warned.status).toBe(201);
    expect(warned.body.warnings).toHaveLength(1);
    expect(warned.body.warnings[0]).toMatch(/postback\.url: no click id/);
  });

  it('lists, reads and deletes accounts and sources, 404 for unknown ids', async () => {
    const list = await relay.request({ url: '/v1/accounts', admin: true });
    expect(list.body.accounts.map((a: { id: string }) => a.id)).toContain('acme');
    const source = await relay.request({ url: '/v1/sources/net1', admin: true });
    expect(source.body).toMatchObject({ id: 'net1', key_set: true, default_account: 'acme' });
    expect(JSON.stringify(source.body)).not.toContain('source-key-1');
    expect((await relay.request({ method: 'DELETE', url: '/v1/accounts/warn', admin: true })).status).toBe(204);
    expect((await relay.request({ method: 'DELETE', url: '/v1/accounts/warn', admin: true })).status).toBe(404);
    expect((await relay.request({ url: '/v1/sources/ghost', admin: true })).status).toBe(404);
    expect((await relay.request({ url: '/v1/conversions/ghost', admin: true })).status).toBe(404);
    const badSource = await relay.request({
      method: 'PUT',
      url: '/v1/sources/s2',
      admin: true,
      body: { ip_allow: ['10.0.0.0/99'], extra: 1 },
    });
    expect(badSource.status).toBe(400);
    expect(badSource.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['(body)', 'ip_allow.0']);
  });

  it('serves health, readiness and Prometheus metrics without a token', async () => {
    expect((await relay.request({ url: '/healthz' })).status).toBe(200);
    expect((await relay.request({ url: '/readyz' })).body).toMatchObject({ status: 'ready' });
    const metrics = await relay.request({ url: '/metrics' });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/postback_relay_conversions_received_total\{outcome="accepted"\} [1-9]/);
    expect(metrics.text).toMatch(/postback_relay_deliveries_total\{outcome="delivered"\} [1-9]/);
    expect(metrics.text).toMatch(/postback_relay_delivery_attempt_duration_seconds_bucket/);
    expect(metrics.text).toMatch(/postback_relay_queue_jobs\{queue="conversions",state="waiting"\} \d+/);
  });
});
