import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { startTestRelay, eventually, uniquePrefix, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';
import { StatusLinks } from '../../src/store/status-links.js';
import { conversionShape } from '../../src/admin/conversions-schemas.js';

let relay: TestRelay;
let tracker: Tracker;

beforeAll(async () => {
  relay = await startTestRelay();
  tracker = await startTracker();
  await relay.request({
    method: 'PUT',
    url: '/v1/sources/net',
    admin: true,
    body: { key: 'status-key-1', default_account: 'st' },
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

async function postback(query: string) {
  const response = await relay.request({ url: `/postback/net?key=status-key-1&${query}` });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body as { status: string; id: string; reason?: string };
}

async function settled(id: string) {
  return eventually(
    async () => {
      const response = await relay.request({ url: `/v1/conversions/${id}`, admin: true });
      return response.status === 200 && response.body.state !== 'pending' ? response.body : undefined;
    },
    10_000,
    `conversion ${id} to settle`,
  );
}

const hitsFor = (clickId: string) => tracker.hits.filter((hit) => hit.query.get('cid') === clickId);

describe('status rules end to end', () => {
  it("suppresses a status the global postback does not fire for, pings each status change once in the tracker's words, and links them", async () => {
    await putAccount('st', {
      postback: {
        url: `${tracker.origin}/pb?cid={click_id}&st={status}&oid={order_id}&txid={conversion_id}`,
        statuses: ['approved', 'rejected'],
        status_map: { approved: '1', rejected: '0' },
      },
    });

    // pending: recorded, not sent.
    const pending = await postback('click_id=c1&order_id=O1&status=pending&payout=5.00');
    expect(pending.status).toBe('accepted');
    const pendingDone = await settled(pending.id);
    expect(pendingDone.state).toBe('suppressed');
    expect(pendingDone.reason).toBe('status "pending" does not fire at level global (postback.statuses: approved, rejected)');
    expect(pendingDone.deliveries).toEqual([]);
    expect(pendingDone.previous_id).toBeUndefined();
    expect(pendingDone.status_history).toBeUndefined();

    // approved: a new conversion (not a duplicate of pending), sent with the mapped word.
    const approved = await postback('click_id=c1&order_id=O1&status=approved&payout=5.00');
    expect(approved.status).toBe('accepted');
    expect(approved.id).not.toBe(pending.id);
    const approvedDone = await settled(approved.id);
    expect(approvedDone.state).toBe('delivered');
    expect(approvedDone.status).toBe('approved');
    expect(approvedDone.previous_id).toBe(pending.id);
    expect(approvedDone.status_history.map((entry: any) => [entry.id, entry.status, entry.state])).toEqual([
      [pending.id, 'pending', 'suppressed'],
      [approved.id, 'approved', 'delivered'],
    ]);
    await tracker.waitForHits(1);
    expect(hitsFor('c1').map((hit) => Object.fromEntries(hit.query))).toEqual([{ cid: 'c1', st: '1', oid: 'O1', txid: 'O1' }]);

    // The exact same status re-sent is still a duplicate, in any case, answered with the first id.
    expect(await postback('click_id=c1&order_id=O1&status=approved&payout=5.00')).toEqual({
      status: 'duplicate',
      id: approved.id,
    });
    expect(await postback('click_id=c1&order_id=O1&status=APPROVED')).toEqual({ status: 'duplicate', id: approved.id });
    expect(await postback('click_id=c1&order_id=O1&status=pending')).toEqual({ status: 'duplicate', id: pending.id });

    // rejected later: a separate ping, linked to approved, with the whole chain.
    const rejected = await postback('click_id=c1&order_id=O1&status=rejected');
    expect(rejected.status).toBe('accepted');
    const rejectedDone = await settled(rejected.id);
    expect(rejectedDone.state).toBe('delivered');
    expect(rejectedDone.previous_id).toBe(approved.id);
    expect(rejectedDone.status_history.map((entry: any) => [entry.id, entry.status, entry.state])).toEqual([
      [pending.id, 'pending', 'suppressed'],
      [approved.id, 'approved', 'delivered'],
      [rejected.id, 'rejected', 'delivered'],
    ]);
    // The API document describes the answer as it is given.
    expect(conversionShape.safeParse(rejectedDone).error).toBeUndefined();
    expect(rejectedDone.deliveries).toHaveLength(1);
    expect(rejectedDone.deliveries[0].id).not.toBe(approvedDone.deliveries[0].id);
    await tracker.waitForHits(2);
    expect(hitsFor('c1').map((hit) => hit.query.get('st'))).toEqual(['1', '0']);
    // The sender's order id is the txid of every status of the conversion, so the tracker counts it once.
    expect(hitsFor('c1').map((hit) => hit.query.get('txid'))).toEqual(['O1', 'O1']);

    // reversed is not among the statuses: recorded, linked, not sent.
    const reversed = await postback('click_id=c1&order_id=O1&status=reversed');
    const reversedDone = await settled(reversed.id);
    expect(reversedDone.state).toBe('suppressed');
    expect(reversedDone.reason).toContain('status "reversed" does not fire at level global');
    expect(reversedDone.previous_id).toBe(rejected.id);

    // Nothing more reached the tracker for c1: the duplicates were not delivered, nor was reversed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hitsFor('c1')).toHaveLength(2);
  });

  it('does not link another order of the same click, and sends a conversion without status as it is', async () => {
    await putAccount('st2', {
      postback: {
        url: `${tracker.origin}/pb2?cid={click_id}&st={status}&oid={order_id}`,
        statuses: ['approved'],
        status_map: { '*': 'x' },
      },
    });
    const first = await postback('click_id=c2&order_id=A&status=approved&account=st2');
    expect((await settled(first.id)).state).toBe('delivered');
    const other = await postback('click_id=c2&order_id=B&status=approved&account=st2');
    const otherDone = await settled(other.id);
    expect(otherDone.state).toBe('delivered');
    expect(otherDone.previous_id).toBeUndefined();

    // No status: fires whatever the statuses say, and `{status}` stays empty (the map is for statuses received).
    const bare = await postback('click_id=c3&order_id=C&account=st2');
    expect((await settled(bare.id)).state).toBe('delivered');
    const hit = await eventually(async () => hitsFor('c3')[0], 5_000, 'the ping for c3');
    expect(Object.fromEntries(hit.query)).toEqual({ cid: 'c3', st: '', oid: 'C' });
    expect(hitsFor('c2').map((h) => [h.query.get('oid'), h.query.get('st')])).toEqual([
      ['A', 'x'],
      ['B', 'x'],
    ]);

    // A status arriving after a report without one is a change of that same conversion.
    const approvedLater = await postback('click_id=c3&order_id=C&account=st2&status=approved');
    expect((await settled(approvedLater.id)).previous_id).toBe(bare.id);
  });

  it('lets the offer level decide with its own rules, the long form of an event entry included', async () => {
    const response = await putAccount('st3', {
      postback: { url: `${tracker.origin}/g3?cid={click_id}&st={status}` },
      offers: {
        '42': {
          url: `${tracker.origin}/o42?cid={click_id}&st={status}`,
          statuses: ['approved'],
          events: {
            lead: {
              url: `${tracker.origin}/o42-lead?cid={click_id}&st={status}`,
              statuses: ['pending'],
              status_map: { pending: 'hold' },
            },
          },
        },
      },
    });
    // Stored and shown as given.
    expect(response.body.offers['42'].events.lead).toEqual({
      url: `${tracker.origin}/o42-lead?cid={click_id}&st={status}`,
      statuses: ['pending'],
      status_map: { pending: 'hold' },
    });

    const lead = await postback('click_id=c4&offer_id=42&event=lead&status=pending&account=st3');
    const leadDone = await settled(lead.id);
    expect(leadDone.state).toBe('delivered');
    expect(leadDone.level).toBe('offer_event');
    // The offer's statuses exclude "rejected": suppressed there, the global postback does not fire instead.
    const rejected = await postback('click_id=c5&offer_id=42&status=rejected&account=st3');
    const rejectedDone = await settled(rejected.id);
    expect(rejectedDone.state).toBe('suppressed');
    expect(rejectedDone.reason).toBe('status "rejected" does not fire at level offer (offers.42.statuses: approved)');
    // Another offer inherits the global postback, which has no rules: every status fires, as received.
    const elsewhere = await postback('click_id=c6&offer_id=7&status=rejected&account=st3');
    expect((await settled(elsewhere.id)).level).toBe('global');

    const hit = await eventually(async () => hitsFor('c4')[0], 5_000, 'the ping for c4');
    expect(hit.url.split('?')[0]).toBe('/o42-lead');
    expect(hit.query.get('st')).toBe('hold');
    const global = await eventually(async () => hitsFor('c6')[0], 5_000, 'the ping for c6');
    expect(global.query.get('st')).toBe('rejected');
    expect(hitsFor('c5')).toEqual([]);
  });

  it('answers 400 naming the path of a bad status rule, and saves nothing', async () => {
    const bad = await relay.request({
      method: 'PUT',
      url: '/v1/accounts/st-bad',
      admin: true,
      body: {
        postback: {
          url: `${tracker.origin}/pb?cid={click_id}`,
          statuses: ['approved', 'x'.repeat(65)],
          status_map: { approved: '{payout}' },
          events: { sale: { url: `${tracker.origin}/s?cid={click_id}`, statuses: [] } },
        },
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_account');
    expect(bad.body.details.map((d: any) => d.path).sort()).toEqual([
      'postback.events.sale.statuses',
      'postback.status_map.approved',
      'postback.statuses.1',
    ]);
    expect((await relay.request({ url: '/v1/accounts/st-bad', admin: true })).status).toBe(404);
  });

  it('judges status rules in a test postback as for a real conversion', async () => {
    const fired = await relay.request({
      method: 'POST',
      url: '/v1/accounts/st/test',
      admin: true,
      body: { values: { status: 'rejected' }, dry_run: true },
    });
    expect(fired.status).toBe(200);
    expect(new URL(fired.body.url).searchParams.get('st')).toBe('0');
    const refused = await relay.request({
      method: 'POST',
      url: '/v1/accounts/st/test',
      admin: true,
      body: { values: { status: 'pending' }, dry_run: true },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.message).toContain('status "pending" does not fire at level global');
  });
});

describe('StatusLinks', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis({ path: inject('redisUrl').slice('unix://'.length) });
  });
  afterAll(async () => {
    await redis?.quit();
  });

  it('answers the id each conversion follows, the same again on a re-run, and expires with its TTL', async () => {
    const prefix = uniquePrefix();
    const links = new StatusLinks(redis, (identity) => `${prefix}:latest:${identity}`, 60_000);
    expect(await links.link('i1', 'a')).toBeUndefined();
    expect(await links.link('i1', 'b')).toBe('a');
    // The worker crashed after linking b and runs it again: still linked to a, not to itself.
    expect(await links.link('i1', 'b')).toBe('a');
    expect(await links.link('i1', 'c')).toBe('b');
    expect(await links.link('i2', 'd')).toBeUndefined();
    const ttl = await redis.pttl(`${prefix}:latest:i1`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);

    const short = new StatusLinks(redis, (identity) => `${prefix}:short:${identity}`, 50);
    await short.link('i3', 'x');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await short.link('i3', 'y')).toBeUndefined();
  });

  it('links the reports of one turn in order, as if they came one by one', async () => {
    const prefix = uniquePrefix();
    const links = new StatusLinks(redis, (identity) => `${prefix}:latest:${identity}`, 60_000);
    const together = await Promise.all([links.link('j', 'a'), links.link('j', 'b'), links.link('k', 'c'), links.link('j', 'b')]);
    // The repeated b is a re-run: it keeps the link it got, not itself.
    expect(together).toEqual([undefined, 'a', undefined, 'a']);
    expect(await links.link('j', 'd')).toBe('b');
  });
});
