import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';

/** GET /v1/deliveries by every state, with its account and host filters and cursor. */
let relay: TestRelay;
let healthy: Tracker;
let paused: Tracker;

type Listed = {
  deliveries: Array<{ id: string; account: string; host: string; state: string; waiting_for_host?: string }>;
  next_cursor?: string;
};

const list = async (query: string): Promise<Listed> => {
  const response = await relay.request({ url: `/v1/deliveries?${query}`, admin: true });
  expect(response.status, response.text).toBe(200);
  return response.body as Listed;
};

/** Every page of a listing, following next_cursor. */
async function listAll(query: string): Promise<Listed['deliveries']> {
  const all: Listed['deliveries'] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 50; page += 1) {
    const body = await list(`${query}${cursor ? `&cursor=${cursor}` : ''}`);
    all.push(...body.deliveries);
    cursor = body.next_cursor;
    if (!cursor) return all;
  }
  throw new Error('listing never ended');
}

const hostOf = (tracker: Tracker) => new URL(tracker.origin).host;

beforeAll(async () => {
  relay = await startTestRelay();
  healthy = await startTracker();
  paused = await startTracker();
  await relay.request({ method: 'PUT', url: '/v1/sources/net', admin: true, body: { key: 'listing-key-1' } });
  // acme pings both trackers, beta only the healthy one.
  await relay.request({
    method: 'PUT',
    url: '/v1/accounts/acme',
    admin: true,
    body: { postback: { url: [`${healthy.origin}/pb?cid={click_id}`, `${paused.origin}/pb?cid={click_id}`] } },
  });
  await relay.request({
    method: 'PUT',
    url: '/v1/accounts/beta',
    admin: true,
    body: { postback: { url: `${healthy.origin}/pb?cid={click_id}` } },
  });
  expect((await relay.request({ method: 'POST', url: `/v1/hosts/${hostOf(paused)}/pause`, admin: true })).status).toBe(200);
});

afterAll(async () => {
  await relay?.close();
  await healthy?.close();
  await paused?.close();
});

describe('GET /v1/deliveries', () => {
  it('lists pending deliveries (parked behind a paused host) with account and host filters and a cursor', async () => {
    for (let i = 0; i < 5; i += 1) await relay.request({ url: `/postback/net?key=listing-key-1&click_id=a${i}&account=acme` });
    for (let i = 0; i < 3; i += 1) await relay.request({ url: `/postback/net?key=listing-key-1&click_id=b${i}&account=beta` });
    await healthy.waitForHits(8);

    const pending = await eventually(async () => {
      const all = await listAll('state=pending&limit=2');
      return all.length === 5 ? all : undefined;
    });
    expect(pending.every((d) => d.state === 'pending' && d.account === 'acme' && d.host === hostOf(paused))).toBe(true);
    expect(pending.every((d) => d.waiting_for_host === 'paused')).toBe(true);
    expect(new Set(pending.map((d) => d.id)).size).toBe(5);

    expect(await listAll('state=pending&account=acme&limit=2')).toHaveLength(5);
    expect(await listAll('state=pending&account=beta')).toHaveLength(0);
    expect(await listAll(`state=pending&host=${hostOf(paused)}`)).toHaveLength(5);
    expect(await listAll(`state=pending&host=${hostOf(healthy)}`)).toHaveLength(0);

    // The other states take the same filters: the healthy host delivered 8, 5 for acme and 3 for beta.
    const delivered = await listAll(`state=delivered&host=${hostOf(healthy)}&limit=3`);
    expect(delivered).toHaveLength(8);
    expect(delivered.every((d) => d.state === 'delivered')).toBe(true);
    expect(await listAll(`state=delivered&account=beta&limit=2`)).toHaveLength(3);
    expect(await listAll(`state=delivered&host=${hostOf(paused)}`)).toHaveLength(0);
    expect(await listAll('state=retrying')).toHaveLength(0);
    expect(await listAll('state=failed')).toHaveLength(0);

    // Resumed: the pending ones are delivered and leave the pending listing.
    expect((await relay.request({ method: 'POST', url: `/v1/hosts/${hostOf(paused)}/resume`, admin: true })).status).toBe(200);
    await paused.waitForHits(5);
    await eventually(async () => ((await listAll('state=pending')).length === 0 ? true : undefined));
    expect(await listAll(`state=delivered&host=${hostOf(paused)}`)).toHaveLength(5);
  });

  it('answers 400 naming the field for a bad state, host or cursor', async () => {
    for (const [query, field] of [
      ['state=stuck', 'state'],
      ['host=a%20b', 'host'],
      ['state=pending&cursor=bm9wZQ', 'cursor'],
    ] as const) {
      const response = await relay.request({ url: `/v1/deliveries?${query}`, admin: true });
      expect(response.status, query).toBe(400);
      expect(JSON.stringify(response.body), query).toContain(field);
    }
  });
});
