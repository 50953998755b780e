import { Writable } from 'node:stream';
import pino from 'pino';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ChangeStore } from '../../src/store/changes.js';
import { eventually, startTestRelay, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker } from '../helpers/tracker.js';

const VIEWER_TOKEN = 'test-viewer-token-9876543210';
let relay: TestRelay;
const logLines: Array<Record<string, any>> = [];

beforeAll(async () => {
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line));
      callback();
    },
  });
  relay = await startTestRelay({ viewerToken: VIEWER_TOKEN }, undefined, { logger: pino({ level: 'info' }, logStream) });
});

afterAll(async () => {
  await relay?.close();
});

async function changes(query = '') {
  const response = await relay.request({ url: `/v1/changes${query}`, admin: true });
  expect(response.status).toBe(200);
  return response.body as { changes: Array<Record<string, any>>; next_cursor?: string };
}

describe('GET /v1/changes', () => {
  it('records a source PUT with the key redacted before and after, and logs it', async () => {
    const firstKey = 'first-source-key-abcdef';
    const secondKey = 'second-source-key-ghijkl';
    expect((await relay.request({ method: 'PUT', url: '/v1/sources/net1', admin: true, body: { key: firstKey } })).status).toBe(
      201,
    );
    expect(
      (
        await relay.request({
          method: 'PUT',
          url: '/v1/sources/net1',
          admin: true,
          body: { key: secondKey, ip_allow: ['203.0.113.0/24'] },
        })
      ).status,
    ).toBe(200);

    const [latest, created] = (await changes()).changes;
    expect(created).toMatchObject({ token: 'admin', method: 'PUT', path: '/v1/sources/net1', status: 201, before: null });
    expect(created!.after).toMatchObject({ key_sha256: '***', ip_allow: [] });
    expect(latest).toMatchObject({ token: 'admin', method: 'PUT', path: '/v1/sources/net1', status: 200 });
    expect(latest!.before).toMatchObject({ key_sha256: '***', ip_allow: [] });
    expect(latest!.after).toMatchObject({ key_sha256: '***', ip_allow: ['203.0.113.0/24'] });
    expect(Date.parse(latest!.at)).toBeGreaterThan(Date.now() - 60_000);

    const logged = logLines.filter((line) => line.msg === 'admin change' && line.change?.path === '/v1/sources/net1');
    expect(logged).toHaveLength(2);
    expect(logged[1]!.level).toBe(30);
    expect(logged[1]!.change).toMatchObject({ token: 'admin', method: 'PUT', before: { key_sha256: '***' } });
    // Neither the keys nor their digests anywhere: in the API answer or the log.
    const everything = JSON.stringify([await changes(), logLines]);
    expect(everything).not.toContain(firstKey);
    expect(everything).not.toContain(secondKey);
    expect(everything).not.toMatch(/[0-9a-f]{64}/);
  });

  it('records an account PUT then DELETE, newest first, secret URL parameters redacted', async () => {
    const account = { postback: { url: 'https://t.example/p?cid={click_id}&api_key=tracker-secret-1' } };
    expect((await relay.request({ method: 'PUT', url: '/v1/accounts/aff9', admin: true, body: account })).status).toBe(201);
    expect((await relay.request({ method: 'DELETE', url: '/v1/accounts/aff9', admin: true })).status).toBe(204);

    const [deleted, put] = (await changes()).changes;
    expect(deleted).toMatchObject({ token: 'admin', method: 'DELETE', path: '/v1/accounts/aff9', status: 204, after: null });
    expect(deleted!.before).toMatchObject({ postback: { url: 'https://t.example/p?cid={click_id}&api_key=***' } });
    expect(put).toMatchObject({ method: 'PUT', path: '/v1/accounts/aff9', before: null });
    expect(put!.after).toMatchObject({ postback: { url: 'https://t.example/p?cid={click_id}&api_key=***' } });
    expect(JSON.stringify(await changes())).not.toContain('tracker-secret-1');
  });

  it('records host pause and resume, offers, and routes without a declared object by their answer', async () => {
    await relay.request({
      method: 'PUT',
      url: '/v1/offers/o1',
      admin: true,
      body: { url: 'https://store.example/?t={transaction_id}' },
    });
    expect((await relay.request({ method: 'POST', url: '/v1/hosts/tracker.example/pause', admin: true })).status).toBe(200);
    expect((await relay.request({ method: 'POST', url: '/v1/hosts/tracker.example/resume', admin: true })).status).toBe(200);
    await relay.request({
      method: 'PUT',
      url: '/v1/accounts/aff10',
      admin: true,
      body: { postback: { url: 'https://t.example/p?cid={click_id}' } },
    });
    const fired = await relay.request({ method: 'POST', url: '/v1/accounts/aff10/test', admin: true, body: { dry_run: true } });
    expect(fired.status).toBe(200);
    const bulk = await relay.request({ method: 'POST', url: '/v1/deliveries/retry', admin: true, body: {} });
    expect(bulk.status).toBe(202);

    const [redrive, test, , resume, pause, offer] = (await changes()).changes;
    expect(offer).toMatchObject({
      method: 'PUT',
      path: '/v1/offers/o1',
      before: null,
      after: { url: 'https://store.example/?t={transaction_id}' },
    });
    expect(pause).toMatchObject({ path: '/v1/hosts/tracker.example/pause', before: { paused: false }, after: { paused: true } });
    expect(resume).toMatchObject({
      path: '/v1/hosts/tracker.example/resume',
      before: { paused: true },
      after: { paused: false },
    });
    expect(test).toMatchObject({ method: 'POST', path: '/v1/accounts/aff10/test', before: null, after: fired.body });
    expect(redrive).toMatchObject({ method: 'POST', path: '/v1/deliveries/retry', after: bulk.body });
  });

  it('records a single redrive with the delivery before and after', async () => {
    const tracker = await startTracker();
    try {
      // Refused once (failed at once, permanent), accepted after the redrive.
      let answered = 0;
      tracker.respond((_hit, res) => {
        answered += 1;
        res.statusCode = answered === 1 ? 400 : 200;
        res.end(answered === 1 ? 'bad' : 'OK');
      });
      await relay.request({
        method: 'PUT',
        url: '/v1/sources/redrive',
        admin: true,
        body: { key: 'redrive-source-key-1', default_account: 'aff11' },
      });
      await relay.request({
        method: 'PUT',
        url: '/v1/accounts/aff11',
        admin: true,
        body: { postback: { url: `${tracker.origin}/p?cid={click_id}&token=tracker-secret-2` } },
      });
      const accepted = await relay.request({ url: '/postback/redrive?key=redrive-source-key-1&click_id=r1' });
      const deliveryId = await eventually(
        async () => {
          const conversion = await relay.request({ url: `/v1/conversions/${accepted.body.id}`, admin: true });
          const delivery = conversion.body?.deliveries?.[0];
          return delivery?.state === 'failed' ? (delivery.id as string) : undefined;
        },
        10_000,
        'a failed delivery',
      );

      const redriven = await relay.request({ method: 'POST', url: `/v1/deliveries/${deliveryId}/retry`, admin: true, body: {} });
      expect(redriven.status, redriven.text).toBe(202);
      const [change] = (await changes()).changes;
      expect(change).toMatchObject({
        method: 'POST',
        path: `/v1/deliveries/${deliveryId}/retry`,
        status: 202,
        before: { id: deliveryId, state: 'failed' },
      });
      expect(change!.after).toEqual(redriven.body);
      expect(JSON.stringify(change)).not.toContain('tracker-secret-2');
    } finally {
      await tracker.close();
    }
  });

  it('keeps refused and failed requests out of the history', async () => {
    const before = (await changes('?limit=500')).changes.length;
    await relay.request({
      method: 'PUT',
      url: '/v1/accounts/bad',
      admin: true,
      body: { postback: { url: 'https://t.example/?c={clik_id}' } },
    });
    await relay.request({ method: 'DELETE', url: '/v1/sources/never-was', admin: true });
    await relay.relay.app.inject({
      method: 'DELETE',
      url: '/v1/sources/net1',
      headers: { authorization: `Bearer ${VIEWER_TOKEN}` },
    });
    expect((await changes('?limit=500')).changes.length).toBe(before);
  });

  it('pages with limit and cursor, and is readable with the viewer token', async () => {
    const all = (await changes('?limit=500')).changes;
    expect(all.length).toBeGreaterThanOrEqual(5);
    const first = await changes('?limit=2');
    expect(first.changes).toEqual(all.slice(0, 2));
    const second = await changes(`?limit=2&cursor=${first.next_cursor}`);
    expect(second.changes).toEqual(all.slice(2, 4));
    const viewer = await relay.relay.app.inject({
      url: '/v1/changes?limit=1',
      headers: { authorization: `bearer ${VIEWER_TOKEN}` },
    });
    expect(viewer.statusCode).toBe(200);
    expect((await relay.request({ url: '/v1/changes?cursor=nope', admin: true })).status).toBe(400);
    expect((await relay.request({ url: '/v1/changes?limit=0', admin: true })).status).toBe(400);
  });
});

describe('ChangeStore bounds', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await redis.quit();
  });
  const change = (n: number) => ({
    at: new Date().toISOString(),
    token: 'admin',
    method: 'PUT',
    path: `/v1/x/${n}`,
    status: 200,
    before: null,
    after: { n },
  });

  it('keeps at most maxEntries, newest first', async () => {
    const store = new ChangeStore(redis, `changes-cap-${Date.now()}`, { retentionMs: 3_600_000, maxEntries: 3 });
    for (let n = 1; n <= 5; n += 1) await store.append(change(n));
    expect((await store.list(10)).changes.map((entry) => entry.path)).toEqual(['/v1/x/5', '/v1/x/4', '/v1/x/3']);
  });

  it('shows nothing older than the retention period', async () => {
    const key = `changes-age-${Date.now()}`;
    await new ChangeStore(redis, key, { retentionMs: 60_000, maxEntries: 100 }).append(change(1));
    const later = new ChangeStore(redis, key, { retentionMs: 60_000, maxEntries: 100 }, () => Date.now() + 61_000);
    expect((await later.list(10)).changes).toEqual([]);
    expect(await redis.pttl(key)).toBeGreaterThan(0);
  });
});
