import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';

let relay: TestRelay;
let tracker: Tracker;

beforeAll(async () => {
  relay = await startTestRelay({ audit: { testsPerAccount: 3 } });
  tracker = await startTracker();
  tracker.respond((hit, res) => {
    if (hit.url.startsWith('/down')) {
      res.statusCode = 503;
      res.end('maintenance');
    } else res.end(`OK ${hit.query.get('cid')}`);
  });
  await put('/v1/accounts/aff1', {
    postback: {
      url: `${tracker.origin}/global?cid={click_id}&payout={payout}&offer={offer_id}&event={event}&s1={sub1}&token=secret-1`,
      events: { lead: `${tracker.origin}/lead?cid={click_id}` },
    },
    offers: {
      '42': {
        url: `${tracker.origin}/o42?cid={click_id}`,
        events: { sale: [`${tracker.origin}/fan1?cid={click_id}`, `${tracker.origin}/fan2?cid={click_id}`] },
      },
      '43': { disabled: true },
      down: { url: `${tracker.origin}/down?cid={click_id}` },
      dead: { url: 'http://127.0.0.1:1/refused?cid={click_id}' },
    },
  });
  await put('/v1/accounts/leadonly', { postback: { events: { lead: `${tracker.origin}/lead?cid={click_id}` } } });
});

afterAll(async () => {
  await relay?.close();
  await tracker?.close();
});

async function put(url: string, body: unknown) {
  const response = await relay.request({ method: 'PUT', url, admin: true, body });
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
}

async function test(account: string, body: unknown = {}) {
  return relay.request({ method: 'POST', url: `/v1/accounts/${account}/test`, admin: true, body });
}

describe('POST /v1/accounts/:id/test', () => {
  it('fires the global postback with sample values and answers with the level, URL and tracker response', async () => {
    const before = tracker.hits.length;
    const response = await test('aff1');
    expect(response.status).toBe(200);
    const clickId = response.body.values.click_id as string;
    expect(clickId).toMatch(/^test-click-[0-9a-f]{8}$/);
    expect(response.body).toMatchObject({
      level: 'global',
      url: `${tracker.origin}/global?cid=${clickId}&payout=1.00&offer=test-offer&event=conversion&s1=test-sub1&token=secret-1`,
      dry_run: false,
      response: { status: 200, outcome: 'delivered', body: `OK ${clickId}`, latency_ms: expect.any(Number) },
    });
    expect(response.body.response.latency_ms).toBeGreaterThanOrEqual(0);
    expect(tracker.hits.slice(before).map((h) => h.query.get('cid'))).toEqual([clickId]);
    // Every test gets its own sample click id, so a tracker never drops the next test as a duplicate.
    expect((await test('aff1')).body.values.click_id).not.toBe(clickId);
  });

  it('uses the level a real conversion of that offer and event would match, and the values given', async () => {
    const offer = await test('aff1', { offer_id: '42', values: { transaction_id: 'mine-1', payout: 2.5 } });
    expect(offer.body).toMatchObject({ level: 'offer', url: `${tracker.origin}/o42?cid=mine-1`, response: { status: 200 } });
    const lead = await test('aff1', { event: 'lead' });
    expect(lead.body.level).toBe('global_event');
    const fan = await test('aff1', { offer_id: '42', event: 'sale', values: { click_id: 'fan-x' } });
    expect(fan.body.level).toBe('offer_event');
    expect(fan.body.url).toBe(`${tracker.origin}/fan1?cid=fan-x`);
    expect(
      fan.body.results.map((r: { url: string; response: { status: number } }) => [r.url.split('?')[0], r.response.status]),
    ).toEqual([
      [`${tracker.origin}/fan1`, 200],
      [`${tracker.origin}/fan2`, 200],
    ]);
    expect(tracker.hits.filter((h) => h.query.get('cid') === 'fan-x')).toHaveLength(2);
  });

  it('renders without sending on a dry run', async () => {
    const before = tracker.hits.length;
    const response = await test('aff1', { dry_run: true, offer_id: '42', values: { click_id: 'dry-1' } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ level: 'offer', url: `${tracker.origin}/o42?cid=dry-1`, dry_run: true });
    expect(response.body.response).toBeUndefined();
    await new Promise((r) => setTimeout(r, 100));
    expect(tracker.hits.length).toBe(before);
  });

  it("reports the tracker's error status and a connection failure as a real delivery would classify them", async () => {
    const down = await test('aff1', { offer_id: 'down' });
    expect(down.body.response).toMatchObject({ status: 503, outcome: 'retry', body: 'maintenance' });
    const dead = await test('aff1', { offer_id: 'dead' });
    expect(dead.status).toBe(200);
    expect(dead.body.response.status).toBeUndefined();
    expect(dead.body.response).toMatchObject({ outcome: 'retry', error: expect.any(String), error_code: expect.any(String) });
  });

  it('answers 422 when nothing applies, 404 for an unknown account and 400 naming bad fields', async () => {
    const none = await test('leadonly', { event: 'sale' });
    expect(none.status).toBe(422);
    expect(none.body).toEqual({ error: 'no_postback', message: expect.stringMatching(/applies to event "sale"/) });
    const disabled = await test('aff1', { offer_id: '43' });
    expect(disabled.status).toBe(422);
    expect(disabled.body.error).toBe('suppressed');
    expect((await test('ghost')).status).toBe(404);
    const bad = await test('aff1', { values: { clik_id: 'x' }, dry_run: 'yes', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_test');
    expect(bad.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['(body)', 'dry_run', 'values.clik_id']);
    expect((await relay.request({ method: 'POST', url: '/v1/accounts/aff1/test', body: {} })).status).toBe(401);
  });

  it('records each test in the audit log as a test, with secrets redacted', async () => {
    const response = await test('aff1', { values: { click_id: 'audited-1' } });
    const line = relay.auditLines.find((l) => l.test === true && String(l.url).includes('audited-1'));
    expect(line).toMatchObject({
      event: 'test',
      account: 'aff1',
      level: 'global',
      conversion_event: 'conversion',
      dry_run: false,
      status: 200,
      outcome: 'delivered',
    });
    expect(line!.url).toContain('token=***');
    expect(line!.url).not.toContain('secret-1');
    expect(response.body.url).toContain('token=secret-1');
  });
});

describe('GET /v1/accounts/:id/tests', () => {
  it('keeps the last tests of the account, newest first, capped', async () => {
    await put('/v1/accounts/hist', { postback: { url: `${tracker.origin}/hist?cid={click_id}&key=k1` } });
    for (const id of ['h1', 'h2', 'h3']) await test('hist', { values: { click_id: id } });
    await test('hist', { values: { click_id: 'h4' }, dry_run: true });
    const listed = await relay.request({ url: '/v1/accounts/hist/tests', admin: true });
    expect(listed.status).toBe(200);
    expect(listed.body.tests).toHaveLength(3);
    expect(listed.body.tests.map((t: { url: string }) => new URL(t.url).searchParams.get('cid'))).toEqual(['h4', 'h3', 'h2']);
    expect(listed.body.tests[0]).toMatchObject({ level: 'global', dry_run: true, event: 'conversion', at: expect.any(String) });
    expect(listed.body.tests[0].response).toBeUndefined();
    expect(listed.body.tests[1]).toMatchObject({ dry_run: false, response: { status: 200, outcome: 'delivered' } });
    expect(listed.body.tests[1].url).toContain('key=***');
    expect((await relay.request({ url: '/v1/accounts/ghost/tests', admin: true })).status).toBe(404);
  });

  it('keeps a test that found nothing to send, with its message', async () => {
    await test('leadonly', { event: 'sale' });
    const listed = await relay.request({ url: '/v1/accounts/leadonly/tests', admin: true });
    expect(listed.body.tests[0]).toMatchObject({ level: null, event: 'sale', message: expect.stringMatching(/no postback/) });
  });
});

describe('address guard', () => {
  it('refuses a test postback to a loopback tracker when the allow-list is empty, as it would a real delivery', async () => {
    const guarded = await startTestRelay({ delivery: { allowCidrs: [] } });
    try {
      // A name, not a literal address: saving succeeds, and the guard judges the address actually dialled.
      const port = new URL(tracker.origin).port;
      const saved = await guarded.request({
        method: 'PUT',
        url: '/v1/accounts/local',
        admin: true,
        body: { postback: { url: `http://localhost:${port}/ssrf?cid={click_id}` } },
      });
      expect(saved.status).toBeLessThan(300);
      const before = tracker.hits.length;
      const response = await guarded.request({ method: 'POST', url: '/v1/accounts/local/test', admin: true, body: {} });
      expect(response.status).toBe(200);
      expect(response.body.response).toMatchObject({ outcome: 'failed', error_code: 'blocked_address' });
      expect(response.body.response.status).toBeUndefined();
      await new Promise((r) => setTimeout(r, 100));
      expect(tracker.hits.length).toBe(before);
      expect(tracker.hits.some((h) => h.url.startsWith('/ssrf'))).toBe(false);
    } finally {
      await guarded.close();
    }
  });
});
