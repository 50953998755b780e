import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestRelay, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';

const KEY = 'trust-source-key-0123';
const REQUEST_TIMEOUT_MS = 500;
let relay: TestRelay;
let tracker: Tracker;

beforeAll(async () => {
  tracker = await startTracker();
  relay = await startTestRelay({ http: { requestTimeoutMs: REQUEST_TIMEOUT_MS, bodyLimitBytes: 65_536 } });
  await relay.request({
    method: 'PUT',
    url: '/v1/accounts/acc',
    admin: true,
    body: { postback: { url: `${tracker.origin}/pb?c={click_id}&p={payout}` } },
  });
  const put = await relay.request({
    method: 'PUT',
    url: '/v1/sources/net',
    admin: true,
    body: { key: KEY, default_account: 'acc' },
  });
  expect(put.status, put.text).toBeLessThan(300);
});

afterAll(async () => {
  await relay?.close();
  await tracker?.close();
});

describe('dedupe identity', () => {
  it('keeps each report that has neither a click id nor a conversion or order id as its own unattributed conversion', async () => {
    const answers = await Promise.all(
      ['1.00', '2.00', '3.00'].map((payout) => relay.request({ url: `/postback/net?key=${KEY}&payout=${payout}` })),
    );
    expect(answers.map((answer) => answer.body.status)).toEqual(['unattributed', 'unattributed', 'unattributed']);
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(3);
    // And one after another, outside one batch.
    const again = await relay.request({ url: `/postback/net?key=${KEY}&payout=1.00` });
    expect(again.body.status).toBe('unattributed');
    expect(answers.map((answer) => answer.body.id)).not.toContain(again.body.id);
  });

  it('still treats a repeated order id without a click id as a duplicate', async () => {
    const first = await relay.request({ url: `/postback/net?key=${KEY}&order_id=o-77&payout=5` });
    const second = await relay.request({ url: `/postback/net?key=${KEY}&order_id=o-77&payout=5` });
    expect(first.body.status).toBe('unattributed');
    expect(second.body).toMatchObject({ status: 'duplicate', id: first.body.id });
  });
});

describe('methods other than GET and POST', () => {
  it.each(['HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const)(
    '%s answers 405 with Allow and creates no conversion',
    async (method) => {
      const hitsBefore = tracker.hits.length;
      const response = await relay.relay.app.inject({ method, url: `/postback/net?key=${KEY}&click_id=head-${method}&payout=1` });
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('GET, POST');
      if (method !== 'HEAD') expect(JSON.parse(response.body)).toMatchObject({ error: 'method_not_allowed' });
      // The same click id by GET is new, so nothing was recorded for it.
      const get = await relay.request({ url: `/postback/net?key=${KEY}&click_id=head-${method}&payout=1` });
      expect(get.body.status).toBe('accepted');
      await tracker.waitForHits(hitsBefore + 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(tracker.hits.filter((hit) => hit.query.get('c') === `head-${method}`)).toHaveLength(1);
    },
  );
});

describe('limits on what a client may send', () => {
  it('answers 413 to a body over the limit, and 400 to a bad percent-escape naming the field', async () => {
    const big = await relay.relay.app.inject({
      method: 'POST',
      url: `/postback/net?key=${KEY}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ click_id: 'big', note: 'x'.repeat(70 * 1024) }),
    });
    expect(big.statusCode).toBe(413);
    expect(JSON.parse(big.body).error).toBeTypeOf('string');

    const escaped = await relay.request({ url: `/postback/net?key=${KEY}&click_id=%C3%28abc&payout=1` });
    expect(escaped.status).toBe(400);
    expect(escaped.body.details).toEqual([expect.objectContaining({ path: 'click_id' })]);
  });

  it('cuts off a client that sends its headers and then dribbles its body', async () => {
    await relay.relay.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = relay.relay.app.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const started = Date.now();
    let closedAt: number | undefined;
    socket.on('close', () => (closedAt = Date.now()));
    socket.on('error', () => {});
    socket.write(
      `POST /postback/net?key=${KEY} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
    );
    const dribble = setInterval(() => socket.write(' '), 100);
    try {
      await eventually(async () => closedAt, REQUEST_TIMEOUT_MS + 2_500, 'the relay to close the dribbling socket');
    } finally {
      clearInterval(dribble);
      socket.destroy();
    }
    expect(closedAt! - started).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS + 2_000);
  });
});

describe('odd but usable input', () => {
  it('accepts a JSON body with __proto__, dropping that key', async () => {
    const response = await relay.relay.app.inject({
      method: 'POST',
      url: `/postback/net?key=${KEY}`,
      headers: { 'content-type': 'application/json' },
      payload: '{"click_id":"proto-1","payout":"2.5","__proto__":{"admin":true}}',
    });
    expect(response.statusCode, response.body).toBe(200);
    const answer = JSON.parse(response.body);
    expect(answer.status).toBe('accepted');
    const stored = await relay.request({ url: `/v1/conversions/${answer.id as string}`, admin: true });
    expect(stored.body.click_id).toBe('proto-1');
    expect(stored.body).not.toHaveProperty('admin');
  });
});

describe('the key in Authorization', () => {
  it('is read whatever the case of the Bearer scheme', async () => {
    for (const scheme of ['bearer', 'BEARER']) {
      const response = await relay.request({
        url: `/postback/net?click_id=auth-${scheme}`,
        headers: { authorization: `${scheme} ${KEY}` },
      });
      expect(response.status, response.text).toBe(200);
      expect(response.body.status).toBe('accepted');
    }
    const wrong = await relay.request({
      url: '/postback/net?click_id=auth-wrong',
      headers: { authorization: 'bearer not-the-key-0000' },
    });
    expect(wrong.status).toBe(401);
  });
});

describe('accounts a source may reach', () => {
  it('keeps a conversion aimed at an account the source was not given as unattributed, and pings nobody', async () => {
    const other = await startTracker();
    try {
      await relay.request({
        method: 'PUT',
        url: '/v1/accounts/victim',
        admin: true,
        body: { postback: { url: `${other.origin}/pb?c={click_id}` } },
      });
      await relay.request({
        method: 'PUT',
        url: '/v1/accounts/acc2',
        admin: true,
        body: { postback: { url: `${tracker.origin}/pb2?c={click_id}` } },
      });
      const open = await relay.request({
        method: 'PUT',
        url: '/v1/sources/open',
        admin: true,
        body: { key: 'open-source-key-01', default_account: 'acc' },
      });
      expect(open.body.warnings).toEqual([expect.objectContaining({ path: 'accounts' })]);
      const put = await relay.request({
        method: 'PUT',
        url: '/v1/sources/scoped',
        admin: true,
        body: { key: 'scoped-source-key-01', default_account: 'acc', accounts: ['acc2'] },
      });
      expect(put.status, put.text).toBe(201);
      expect(put.body).toMatchObject({ accounts: ['acc2'] });
      expect(put.body.warnings).toBeUndefined();

      const refused = await relay.request({ url: '/postback/scoped?key=scoped-source-key-01&click_id=steal-1&account=victim' });
      expect(refused.body).toMatchObject({ status: 'unattributed', reason: 'account_not_allowed' });
      const listed = await relay.request({ url: '/postback/scoped?key=scoped-source-key-01&click_id=ok-listed&account=acc2' });
      const byDefault = await relay.request({ url: '/postback/scoped?key=scoped-source-key-01&click_id=ok-default' });
      expect([listed.body.status, byDefault.body.status]).toEqual(['accepted', 'accepted']);
      await eventually(
        async () =>
          ['ok-listed', 'ok-default'].every((c) => tracker.hits.some((hit) => hit.query.get('c') === c)) ? true : undefined,
        10_000,
        'the allowed conversions to be delivered',
      );
      const kept = await relay.request({ url: `/v1/conversions/${refused.body.id as string}`, admin: true });
      expect(kept.body.state).toBe('unattributed');
      expect(other.hits).toHaveLength(0);

      // ["*"] opens it to any account.
      await relay.request({
        method: 'PUT',
        url: '/v1/sources/scoped',
        admin: true,
        body: { accounts: ['*'], default_account: 'acc' },
      });
      const anyAccount = await relay.request({ url: '/postback/scoped?key=scoped-source-key-01&click_id=any-1&account=victim' });
      expect(anyAccount.body.status).toBe('accepted');
      await other.waitForHits(1);
    } finally {
      await other.close();
    }
  });
});
