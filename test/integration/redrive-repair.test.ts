import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';

/** The operator's repair: a template is wrong, the deliveries fail, the template is fixed, a redrive sends the new URL. */
let relay: TestRelay;
let tracker: Tracker;

beforeAll(async () => {
  relay = await startTestRelay();
  tracker = await startTracker();
  tracker.respond((hit, res) => {
    res.statusCode = hit.url.startsWith('/old') ? 404 : 200;
    res.end(hit.url.startsWith('/old') ? 'not found' : 'OK');
  });
  await relay.request({
    method: 'PUT',
    url: '/v1/sources/net',
    admin: true,
    body: { key: 'repair-key-1', default_account: 'acme' },
  });
});

afterAll(async () => {
  await relay?.close();
  await tracker?.close();
});

const putAccount = async (body: unknown) => {
  const response = await relay.request({ method: 'PUT', url: '/v1/accounts/acme', admin: true, body });
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
};

async function failedDelivery(clickId: string): Promise<{ id: string; url: string }> {
  const accepted = await relay.request({ url: `/postback/net?key=repair-key-1&click_id=${clickId}&offer_id=42` });
  const id = (accepted.body as { id: string }).id;
  return eventually(async () => {
    const response = await relay.request({ url: `/v1/conversions/${id}`, admin: true });
    const body = response.body as { state?: string; deliveries?: Array<{ id: string; url: string }> };
    return body.state === 'failed' ? body.deliveries![0] : undefined;
  });
}

const hitsOn = (path: string, clickId: string) =>
  tracker.hits.filter((hit) => hit.url.startsWith(path) && hit.query.get('cid') === clickId).length;

describe('redrive after a template fix', () => {
  it('renders the fixed template at the same level and position, and the delivery is delivered', async () => {
    await putAccount({
      postback: { url: [`${tracker.origin}/ok-first?cid={click_id}`, `${tracker.origin}/old?cid={click_id}`] },
    });
    const accepted = await relay.request({ url: '/postback/net?key=repair-key-1&click_id=fix-1' });
    const id = (accepted.body as { id: string }).id;
    const second = await eventually(async () => {
      const body = (await relay.request({ url: `/v1/conversions/${id}`, admin: true })).body as {
        state?: string;
        deliveries?: Array<{ id: string }>;
      };
      return body.state === 'failed' ? body.deliveries![1] : undefined;
    });
    await putAccount({
      postback: { url: [`${tracker.origin}/ok-first?cid={click_id}`, `${tracker.origin}/new?cid={click_id}`] },
    });

    const redriven = await relay.request({ method: 'POST', url: `/v1/deliveries/${second.id}/retry`, admin: true });
    expect(redriven.status).toBe(202);
    expect(redriven.body).toMatchObject({
      url: `${tracker.origin}/new?cid=fix-1`,
      previous_url: `${tracker.origin}/old?cid=fix-1`,
    });
    await eventually(async () => {
      const body = (await relay.request({ url: `/v1/conversions/${id}`, admin: true })).body as { state?: string };
      return body.state === 'delivered' ? true : undefined;
    });
    expect(hitsOn('/old', 'fix-1')).toBe(1);
    expect(hitsOn('/new', 'fix-1')).toBe(1);
    expect(hitsOn('/ok-first', 'fix-1')).toBe(1);
  });

  it('resends the stored URL with keep_url', async () => {
    await putAccount({ postback: { url: `${tracker.origin}/old?cid={click_id}` } });
    const delivery = await failedDelivery('keep-1');
    await putAccount({ postback: { url: `${tracker.origin}/new?cid={click_id}` } });
    const redriven = await relay.request({
      method: 'POST',
      url: `/v1/deliveries/${delivery.id}/retry`,
      admin: true,
      body: { keep_url: true },
    });
    expect(redriven.status).toBe(202);
    expect(redriven.body).toMatchObject({ url: `${tracker.origin}/old?cid=keep-1` });
    expect(redriven.body).not.toHaveProperty('previous_url');
    await eventually(async () => (hitsOn('/old', 'keep-1') === 2 ? true : undefined));
    expect(hitsOn('/new', 'keep-1')).toBe(0);
  });

  it('answers 409 template_gone and changes nothing when the configuration yields no URL for it', async () => {
    await putAccount({ postback: { url: `${tracker.origin}/old?cid={click_id}` } });
    const delivery = await failedDelivery('gone-1');
    await putAccount({ postback: { url: `${tracker.origin}/new?cid={click_id}` }, offers: { '42': { disabled: true } } });
    const redriven = await relay.request({ method: 'POST', url: `/v1/deliveries/${delivery.id}/retry`, admin: true });
    expect(redriven.status).toBe(409);
    expect(redriven.body).toMatchObject({ error: 'template_gone' });
    const after = await relay.request({ url: `/v1/deliveries?state=failed&account=acme`, admin: true });
    expect(
      (after.body as { deliveries: Array<{ id: string; url: string }> }).deliveries.find((d) => d.id === delivery.id)?.url,
    ).toBe(delivery.url);
  });

  it('bulk redrive counts those it requeued and those whose template is gone', async () => {
    await putAccount({
      postback: { url: `${tracker.origin}/old?cid={click_id}` },
      offers: { '77': { url: `${tracker.origin}/old?cid={click_id}&o=77` } },
    });
    const a = await relay.request({ url: '/postback/net?key=repair-key-1&click_id=bulk-1&offer_id=77' });
    const b = await relay.request({ url: '/postback/net?key=repair-key-1&click_id=bulk-2&offer_id=78' });
    for (const answer of [a, b]) {
      const id = (answer.body as { id: string }).id;
      await eventually(async () =>
        ((await relay.request({ url: `/v1/conversions/${id}`, admin: true })).body as { state?: string }).state === 'failed'
          ? true
          : undefined,
      );
    }
    // The offer-level template is removed (its delivery's template is gone); the global one is fixed.
    await putAccount({ postback: { url: `${tracker.origin}/new?cid={click_id}` } });
    const bulk = await relay.request({
      method: 'POST',
      url: '/v1/deliveries/retry',
      admin: true,
      body: { account: 'acme', since: Date.now() - 60_000 },
    });
    expect(bulk.status).toBe(202);
    const counts = bulk.body as { requeued: number; template_gone: number };
    expect(counts.template_gone).toBeGreaterThanOrEqual(1);
    expect(counts.requeued).toBeGreaterThanOrEqual(1);
    await eventually(async () => (hitsOn('/new', 'bulk-2') === 1 ? true : undefined));
    expect(hitsOn('/new', 'bulk-1')).toBe(0);
  });
});
