import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';

/** "Did click abc123 convert, and what did we send?" without knowing the relay's id. */
let relay: TestRelay;
let tracker: Tracker;

beforeAll(async () => {
  relay = await startTestRelay();
  tracker = await startTracker();
  await relay.request({ method: 'PUT', url: '/v1/sources/net', admin: true, body: { key: 'search-key-1', default_account: 'acme' } });
  await relay.request({ method: 'PUT', url: '/v1/sources/other', admin: true, body: { key: 'search-key-2', default_account: 'acme' } });
  await relay.request({ method: 'PUT', url: '/v1/accounts/acme', admin: true, body: { postback: { url: `${tracker.origin}/pb?cid={click_id}` } } });
});

afterAll(async () => {
  await relay?.close();
  await tracker?.close();
});

type Found = { conversions: Array<{ id: string; click_id: string; source: string; state: string; status?: string }> };

describe('GET /v1/conversions?click_id=', () => {
  it('finds every conversion of a click, in any state, newest first, and filters them', async () => {
    const lead = await relay.request({ url: '/postback/net?key=search-key-1&click_id=abc123&status=pending' });
    const sale = await relay.request({ url: '/postback/net?key=search-key-1&click_id=abc123&status=approved' });
    const elsewhere = await relay.request({ url: '/postback/other?key=search-key-2&click_id=abc123&event=lead' });
    await relay.request({ url: '/postback/net?key=search-key-1&click_id=zzz999' });
    const ids = [lead, sale, elsewhere].map((answer) => (answer.body as { id: string }).id);

    const found = await eventually(async () => {
      const response = await relay.request({ url: '/v1/conversions?click_id=abc123', admin: true });
      const body = response.body as Found;
      return body.conversions?.length === 3 && body.conversions.every((c) => c.state === 'delivered') ? body : undefined;
    });
    expect(new Set(found.conversions.map((c) => c.id))).toEqual(new Set(ids));
    expect(found.conversions.every((c) => c.click_id === 'abc123')).toBe(true);

    const bySource = (await relay.request({ url: '/v1/conversions?click_id=abc123&source=other', admin: true })).body as Found;
    expect(bySource.conversions.map((c) => c.id)).toEqual([ids[2]]);
    const failedOnly = (await relay.request({ url: '/v1/conversions?click_id=abc123&state=failed', admin: true })).body as Found;
    expect(failedOnly.conversions).toEqual([]);
    const none = (await relay.request({ url: '/v1/conversions?click_id=never-seen', admin: true })).body as Found;
    expect(none.conversions).toEqual([]);
  });

  it('keeps the listing of kept conversions by state, and says what a filter needs', async () => {
    const listed = await relay.request({ url: '/v1/conversions?state=unattributed', admin: true });
    expect(listed.status).toBe(200);
    const wrong = await relay.request({ url: '/v1/conversions?state=delivered', admin: true });
    expect(wrong.status).toBe(400);
    const orphan = await relay.request({ url: '/v1/conversions?source=net', admin: true });
    expect(orphan.status).toBe(400);
  });
});
