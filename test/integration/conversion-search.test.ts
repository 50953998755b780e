import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';

/**
 * "Did click abc123 convert, and what did we send?", and "what came from
 * source X for account Y yesterday?": search by any combination of filters,
 * newest first, paged, served by indexes.
 */
let relay: TestRelay;
let tracker: Tracker;

type Listed = {
  id: string;
  click_id?: string;
  source: string;
  account?: string;
  offer_id?: string;
  state: string;
  received_at: string;
  status?: string;
};
type Page = { conversions: Listed[]; next_cursor?: string };

interface Sent {
  id: string;
  source: string;
  account?: string;
  offer: string;
  wave: number;
  state: 'delivered' | 'failed' | 'unattributed';
}

const sent: Sent[] = [];
/** Per wave: times just before its first and after its last conversion (unix ms). */
const waves: Array<{ from: number; to: number }> = [];

async function page(query: string): Promise<Page> {
  const response = await relay.request({ url: `/v1/conversions?${query}`, admin: true });
  expect(response.status, `${query}: ${response.text}`).toBe(200);
  return response.body as Page;
}

/** Every page of a search, following next_cursor; checks the order on the way. */
async function all(query: string, limit = 50): Promise<Listed[]> {
  const found: Listed[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < 100; n += 1) {
    const body = await page(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    found.push(...body.conversions);
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  const times = found.map((c) => Date.parse(c.received_at));
  expect(times, `${query}: newest first`).toEqual([...times].sort((a, b) => b - a));
  expect(new Set(found.map((c) => c.id)).size, `${query}: no repeats across pages`).toBe(found.length);
  return found;
}

const ids = (list: Array<{ id: string }>) => new Set(list.map((c) => c.id));
const expected = (keep: (s: Sent) => boolean) => new Set(sent.filter(keep).map((s) => s.id));

beforeAll(async () => {
  relay = await startTestRelay();
  tracker = await startTracker();
  tracker.respond((hit, res) => {
    res.statusCode = hit.url.startsWith('/bad') ? 404 : 200;
    res.end(res.statusCode === 200 ? 'OK' : 'no such click');
  });
  // s1 → acme (delivered), s2 → beta (its tracker answers 404: failed), s3 names no account (unattributed).
  await relay.request({
    method: 'PUT',
    url: '/v1/sources/s1',
    admin: true,
    body: { key: 'search-key-1', default_account: 'acme' },
  });
  await relay.request({
    method: 'PUT',
    url: '/v1/sources/s2',
    admin: true,
    body: { key: 'search-key-2', default_account: 'beta' },
  });
  await relay.request({ method: 'PUT', url: '/v1/sources/s3', admin: true, body: { key: 'search-key-3' } });
  await relay.request({
    method: 'PUT',
    url: '/v1/accounts/acme',
    admin: true,
    body: { postback: { url: `${tracker.origin}/pb?cid={click_id}` } },
  });
  await relay.request({
    method: 'PUT',
    url: '/v1/accounts/beta',
    admin: true,
    body: { postback: { url: `${tracker.origin}/bad?cid={click_id}` } },
  });

  // Three waves of 100, apart in time, spread over sources and offers.
  for (let wave = 0; wave < 3; wave += 1) {
    const from = Date.now();
    for (let i = 0; i < 100; i += 1) {
      const n = (i % 3) + 1;
      const offer = String(i % 4);
      const answer = await relay.request({
        url: `/postback/s${n}?key=search-key-${n}&click_id=w${wave}-${i}&offer_id=${offer}&payout=1.00`,
      });
      expect(answer.status).toBe(200);
      sent.push({
        id: (answer.body as { id: string }).id,
        source: `s${n}`,
        ...(n === 3 ? {} : { account: n === 1 ? 'acme' : 'beta' }),
        offer,
        wave,
        state: n === 1 ? 'delivered' : n === 2 ? 'failed' : 'unattributed',
      });
    }
    waves.push({ from, to: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  // Every one recorded and settled.
  await eventually(
    async () => {
      const everything = await all('state=pending', 500);
      const recorded = await all('since=0', 500);
      return everything.length === 0 && recorded.length === sent.length ? true : undefined;
    },
    30_000,
    'all 300 recorded and settled',
  );
}, 60_000);

afterAll(async () => {
  await relay?.close();
  await tracker?.close();
});

describe('GET /v1/conversions search', () => {
  it('with no filter lists every conversion newest first, across pages', async () => {
    const found = await all('', 40);
    expect(ids(found)).toEqual(expected(() => true));
    expect(found).toHaveLength(300);
  });

  it('filters by source, account, offer and state, each alone', async () => {
    expect(ids(await all('source=s1'))).toEqual(expected((s) => s.source === 's1'));
    expect(ids(await all('account=beta', 30))).toEqual(expected((s) => s.account === 'beta'));
    expect(ids(await all('offer_id=2'))).toEqual(expected((s) => s.offer === '2'));
    for (const state of ['delivered', 'failed', 'unattributed'] as const) {
      const found = await all(`state=${state}`);
      expect(ids(found), state).toEqual(expected((s) => s.state === state));
      expect(found.every((c) => c.state === state)).toBe(true);
    }
    expect(await all('source=nobody')).toEqual([]);
  });

  it('filters by time, as ISO 8601 or unix milliseconds, inclusive', async () => {
    const middle = waves[1]!;
    const inWave = expected((s) => s.wave === 1);
    expect(ids(await all(`since=${middle.from}&until=${middle.to}`))).toEqual(inWave);
    const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
    expect(ids(await all(`since=${iso(middle.from)}&until=${iso(middle.to)}`))).toEqual(inWave);
    expect(ids(await all(`since=${waves[2]!.from}`))).toEqual(expected((s) => s.wave === 2));
    expect(ids(await all(`until=${waves[0]!.to}`))).toEqual(expected((s) => s.wave === 0));
    // Inclusive at the millisecond: a conversion's own received_at finds it.
    const one = (await page('source=s2&limit=1')).conversions[0]!;
    const at = Date.parse(one.received_at);
    expect((await all(`since=${at}&until=${at}&source=s2`)).map((c) => c.id)).toContain(one.id);
  });

  it('combines filters, with a cursor', async () => {
    const middle = waves[1]!;
    expect(ids(await all(`source=s1&offer_id=1&since=${middle.from}`, 5))).toEqual(
      expected((s) => s.source === 's1' && s.offer === '1' && s.wave >= 1),
    );
    expect(ids(await all('account=beta&state=failed&offer_id=3', 4))).toEqual(
      expected((s) => s.account === 'beta' && s.offer === '3'),
    );
    expect(await all('account=acme&state=failed')).toEqual([]);
    expect(await all('source=s3&account=acme')).toEqual([]);
    expect(ids(await all('click_id=w2-7&offer_id=3'))).toEqual(
      expected((s) => s.wave === 2 && s.offer === '3' && s.id === sent[207]!.id),
    );
  });

  it('finds every conversion of a click id, in any state, and filters them', async () => {
    const lead = await relay.request({ url: '/postback/s1?key=search-key-1&click_id=abc123&status=pending' });
    const sale = await relay.request({ url: '/postback/s1?key=search-key-1&click_id=abc123&status=approved' });
    const elsewhere = await relay.request({ url: '/postback/s2?key=search-key-2&click_id=abc123&event=lead' });
    const clickIds = [lead, sale, elsewhere].map((answer) => (answer.body as { id: string }).id);
    const found = await eventually(async () => {
      const body = await page('click_id=abc123');
      return body.conversions.length === 3 && body.conversions.every((c) => c.state !== 'pending') ? body : undefined;
    });
    expect(ids(found.conversions)).toEqual(new Set(clickIds));
    expect(found.conversions.every((c) => c.click_id === 'abc123')).toBe(true);
    expect((await page('click_id=abc123&source=s2')).conversions.map((c) => c.id)).toEqual([clickIds[2]]);
    expect((await page('click_id=abc123&state=failed')).conversions.map((c) => c.id)).toEqual([clickIds[2]]);
    expect((await page('click_id=never-seen')).conversions).toEqual([]);
    // Paged like any search.
    const first = await page('click_id=abc123&limit=2');
    expect(first.conversions).toHaveLength(2);
    const second = await page(`click_id=abc123&limit=2&cursor=${first.next_cursor}`);
    // Two of them may share a millisecond: the order is the index's (time, then id), the same on every call.
    expect([...first.conversions, ...second.conversions].map((c) => c.id)).toEqual(found.conversions.map((c) => c.id));
    expect(second.next_cursor).toBeUndefined();
  });

  it('answers 400 naming the field for invalid values', async () => {
    for (const [query, field] of [
      ['since=yesterday', 'since'],
      ['until=2026-13-45T00:00:00Z', 'until'],
      ['since=2000&until=1000', 'until'],
      ['state=stuck', 'state'],
      ['limit=0', 'limit'],
      ['limit=many', 'limit'],
      ['format=xml', 'format'],
      ['cursor=bm9wZQ', 'cursor'],
      ['click_id=', 'click_id'],
      ['color=red', 'color'],
    ] as const) {
      const response = await relay.request({ url: `/v1/conversions?${query}`, admin: true });
      expect(response.status, query).toBe(400);
      expect(response.body.error, query).toBe('invalid_query');
      expect(JSON.stringify(response.body.details), query).toContain(field);
    }
  });
});
