import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';

// Postbacks as networks really send them, read by the default names, end to end:
// receiver -> queue -> worker -> a loopback tracker.
let relay: TestRelay;
let tracker: Tracker;

beforeAll(async () => {
  relay = await startTestRelay();
  tracker = await startTracker();
  await relay.request({
    method: 'PUT',
    url: '/v1/sources/net',
    admin: true,
    body: { key: 'net-key-123', default_account: 'acme' },
  });
  const account = await relay.request({
    method: 'PUT',
    url: '/v1/accounts/acme',
    admin: true,
    body: {
      postback: {
        url: `${tracker.origin}/pb?cid={click_id}&payout={payout}&cur={currency}&et={event}&txid={conversion_id}&status={status}`,
      },
    },
  });
  expect(account.status).toBeLessThan(300);
});

afterAll(async () => {
  await relay?.close();
  await tracker?.close();
});

function postback(query: string) {
  return relay.request({ url: `/postback/net?key=net-key-123&${query}` });
}

async function settled(id: string) {
  return eventually(
    async () => {
      const response = await relay.request({ url: `/v1/conversions/${id}`, admin: true });
      return response.status === 200 && response.body.state !== 'pending' ? response.body : undefined;
    },
    10_000,
    `conversion ${id}`,
  );
}

async function hitFor(clickId: string) {
  return eventually(async () => tracker.hits.find((hit) => hit.query.get('cid') === clickId), 10_000, `ping for ${clickId}`);
}

describe('default inbound names', () => {
  it('a Keitaro-format postback pings with the subid, not the tid', async () => {
    const response = await postback('subid=cf_8GQ2kw&tid=5d4b9e&payout=2.40&status=sale');
    expect(response.body).toMatchObject({ status: 'accepted' });
    const hit = await hitFor('cf_8GQ2kw');
    expect(hit.query.get('payout')).toBe('2.40');
    expect(tracker.hits.some((h) => h.query.get('cid') === '5d4b9e')).toBe(false);
  });

  it('a CAKE postback with cid=4411 (a creative id) beside subid pings with the subid', async () => {
    const response = await postback('cid=4411&subid=cake-click-9&payout=3.10');
    expect(response.body.status).toBe('accepted');
    expect((await hitFor('cake-click-9')).query.get('payout')).toBe('3.10');
    expect(tracker.hits.some((h) => h.query.get('cid') === '4411')).toBe(false);
  });
});

describe('a Voluum-format postback', () => {
  it('reads cid as the click id and txid as the conversion id the tracker gets back', async () => {
    const response = await postback('cid=vl-click-1&payout=0.75&txid=VL-TX-1');
    expect(response.body.status).toBe('accepted');
    const hit = await hitFor('vl-click-1');
    expect(hit.query.get('payout')).toBe('0.75');
    expect(hit.query.get('txid')).toBe('VL-TX-1');
  });
});

describe('unreplaced macros', () => {
  it('a placeholder whose braces arrived encoded twice (%257Bsubacc4%257D) is one too', async () => {
    const response = await postback('click_id=%257Bsubacc4%257D&txid=tok-encoded');
    expect(response.body.status).toBe('unattributed');
    expect(response.body.reason).toContain('click_id is an unreplaced macro "%7Bsubacc4%7D"');
  });

  it.each(['{sub1}', '[ml_sub1]', '%subid1%', '##CLICK_ID##'])(
    'a click id %s is kept unattributed with the token named, never pinged',
    async (token) => {
      const before = tracker.hits.length;
      // A distinct txid each: without a click id, dedupe would otherwise see one conversion.
      const response = await postback(
        `click_id=${encodeURIComponent(token)}&payout=1.00&txid=tok-${token.length}-${token.charCodeAt(0)}`,
      );
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('unattributed');
      expect(response.body.reason).toContain(`click_id is an unreplaced macro "${token}"`);
      const stored = await settled(response.body.id);
      expect(stored.state).toBe('unattributed');
      expect(stored.reason).toContain(token);
      // Nothing went out for it: the only pings since are none.
      expect(tracker.hits.slice(before).some((h) => h.query.get('cid') === token)).toBe(false);
    },
  );
});

describe('malformed optional fields', () => {
  it('payout {payout} and currency usd1 are dropped with warnings, in the answer, the record and the metric', async () => {
    const response = await postback('click_id=warn-1&payout=%7Bpayout%7D&currency=usd1&event=Reach%20Level%2010');
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('accepted');
    expect(response.body.warnings).toEqual([
      { field: 'payout', value: '{payout}', message: expect.stringMatching(/unreplaced macro/) },
      { field: 'currency', value: 'usd1', message: expect.stringMatching(/ISO 4217.*dropped/) },
    ]);
    const stored = await settled(response.body.id);
    expect(stored.state).toBe('delivered');
    expect(stored.warnings).toEqual(response.body.warnings);
    expect(stored.event).toBe('Reach Level 10');
    const hit = await hitFor('warn-1');
    expect(hit.query.get('payout')).toBe('');
    expect(hit.query.get('cur')).toBe('');
    expect(hit.query.get('et')).toBe('Reach Level 10');

    const metrics = await relay.request({ url: '/metrics' });
    expect(metrics.text).toMatch(/^relay_postback_warnings_total\{field="payout"\} [1-9]/m);
    expect(metrics.text).toMatch(/^relay_postback_warnings_total\{field="currency"\} [1-9]/m);
  });

  it('a comma-joined payout 1,5,0 is dropped, the conversion still delivered', async () => {
    const response = await postback('click_id=warn-2&payout=1,5,0');
    expect(response.body).toMatchObject({ status: 'accepted', warnings: [{ field: 'payout', value: '1,5,0' }] });
    expect((await settled(response.body.id)).state).toBe('delivered');
  });

  it('a clean postback carries no warnings', async () => {
    const response = await postback('click_id=clean-1&payout=1.00');
    expect(response.body).toEqual({ status: 'accepted', id: expect.any(String) });
  });
});

describe('stable {conversion_id}', () => {
  it('pending then approved of the same click reaches the tracker with the same txid', async () => {
    const pending = await postback('click_id=status-1&event=sale&status=pending&payout=5.00');
    const approved = await postback('click_id=status-1&event=sale&status=approved&payout=5.00');
    expect(pending.body.status).toBe('accepted');
    expect(approved.body.status).toBe('accepted');
    expect(approved.body.id).not.toBe(pending.body.id);
    const hits = await eventually(
      async () => {
        const found = tracker.hits.filter((hit) => hit.query.get('cid') === 'status-1');
        return found.length === 2 ? found : undefined;
      },
      10_000,
      'both pings',
    );
    expect(hits.map((hit) => hit.query.get('status')).sort()).toEqual(['approved', 'pending']);
    const [first, second] = hits.map((hit) => hit.query.get('txid'));
    expect(first).toBeTruthy();
    expect(second).toBe(first);
    expect(first).not.toBe(pending.body.id);
  });

  it("the sender's order id is the txid when it sends no conversion id", async () => {
    await postback('click_id=status-2&orderid=ORD-77&status=pending');
    expect((await hitFor('status-2')).query.get('txid')).toBe('ORD-77');
  });
});
