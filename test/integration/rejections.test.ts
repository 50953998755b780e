import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestRelay, type TestRelay } from '../helpers/relay-harness.js';
import { startRedisServer } from '../helpers/redis-server.js';

const KEY = 'rejected-source-key-01';
const VIEWER_TOKEN = 'test-viewer-token-rejections';
const KEEP = 5;
let relay: TestRelay;

async function rejections(query = ''): Promise<any> {
  const response = await relay.request({ url: `/v1/rejections${query}`, headers: { authorization: `Bearer ${VIEWER_TOKEN}` } });
  expect(response.status, response.text).toBe(200);
  return response.body;
}

beforeAll(async () => {
  relay = await startTestRelay({
    viewerToken: VIEWER_TOKEN,
    audit: { rejectionsPerSource: KEEP },
    http: { requestTimeoutMs: 400 },
  });
  await relay.request({ method: 'PUT', url: '/v1/sources/net', admin: true, body: { key: KEY, default_account: 'a' } });
  await relay.request({
    method: 'PUT',
    url: '/v1/sources/walled',
    admin: true,
    body: { key: KEY, default_account: 'a', ip_allow: ['10.0.0.0/8'] },
  });
});

afterAll(async () => {
  await relay?.close();
});

describe('refused postbacks', () => {
  it('are kept with time, source, caller, status, error, fields at fault and the query with the key redacted', async () => {
    const sent = [
      await relay.request({ url: '/postback/net?key=wrong-key-123&click_id=c1&payout=1' }),
      await relay.request({ url: '/postback/walled?key=' + KEY + '&click_id=c2' }),
      await relay.request({ url: `/postback/net?key=${KEY}&click_id=${'x'.repeat(300)}` }),
      await relay.request({ method: 'DELETE', url: `/postback/net?key=${KEY}&click_id=c4` }),
    ];
    const big = await relay.relay.app.inject({
      method: 'POST',
      url: `/postback/net?key=${KEY}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ click_id: 'c5', pad: 'x'.repeat(70_000) }),
    });
    expect([...sent.map((answer) => answer.status), big.statusCode]).toEqual([401, 403, 400, 405, 413]);

    const page = await eventually(async () => {
      const body = await rejections('?source=net');
      return body.rejections.length >= 4 ? body : undefined;
    });
    expect(page.rejections.map((r: any) => r.status)).toEqual([413, 405, 400, 401]);
    const [tooLarge, method, invalid, unauthorized] = page.rejections;
    expect(unauthorized).toMatchObject({
      source: 'net',
      known_source: true,
      error: 'unauthorized',
      method: 'GET',
      query: 'key=***&click_id=c1&payout=1',
    });
    expect(unauthorized.ip).toBe('127.0.0.1');
    expect(Date.parse(unauthorized.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(invalid).toMatchObject({ error: 'invalid_conversion', fields: ['click_id'] });
    expect(invalid.query).toContain('key=***');
    expect(method).toMatchObject({ status: 405, error: 'method_not_allowed', method: 'DELETE' });
    expect(tooLarge.status).toBe(413);
    expect(JSON.stringify(page)).not.toContain(KEY);

    for (const rejection of page.rejections) expect(rejection.query).toMatch(/^key=\*\*\*(&|$)/);

    const walled = await rejections('?source=walled');
    expect(walled.rejections).toEqual([
      expect.objectContaining({ status: 403, error: 'forbidden', source: 'walled', query: 'key=***&click_id=c2' }),
    ]);

    // Each is counted under its configured source and its error code.
    const metrics = (await relay.request({ url: '/metrics' })).text;
    for (const [source, reason] of [
      ['net', 'unauthorized'],
      ['walled', 'forbidden'],
      ['net', 'invalid_conversion'],
      ['net', 'method_not_allowed'],
      ['net', 'bad_request'],
    ]) {
      expect(metrics).toMatch(new RegExp(`relay_postbacks_rejected_total\\{source="${source}",reason="${reason}"\\} 1\\b`));
    }
  });

  it('puts names that are not sources in one bucket, and in the metric as source="unknown"', async () => {
    await relay.request({ url: '/postback/no-such-source?key=abc12345&click_id=z' });
    await relay.request({ url: '/postback/another-made-up?key=abc12345&click_id=z' });
    const unknown = await eventually(async () => {
      const body = await rejections('?source=unknown');
      return body.rejections.length >= 2 ? body : undefined;
    });
    expect(unknown.rejections.map((r: any) => r.source)).toEqual(['another-made-up', 'no-such-source']);
    expect(unknown.rejections.every((r: any) => r.known_source === false)).toBe(true);
    const byName = await rejections('?source=no-such-source');
    expect(byName.rejections).toHaveLength(1);

    const metrics = (await relay.request({ url: '/metrics' })).text;
    expect(metrics).toMatch(/relay_postbacks_rejected_total\{source="unknown",reason="unauthorized"\} 2\b/);
    expect(metrics).toMatch(/relay_postbacks_rejected_total\{source="net",reason="unauthorized"\} 1\b/);
    expect(metrics).not.toContain('no-such-source');
  });

  it('lists every bucket newest first, filters by reason, and pages with a cursor', async () => {
    const all = await rejections('?limit=500');
    const ids = all.rejections.map((r: any) => r.id);
    expect(ids.length).toBeGreaterThanOrEqual(7);
    expect([...ids].sort(compareIds).reverse()).toEqual(ids);
    const unauthorized = await rejections('?reason=unauthorized');
    expect(unauthorized.rejections.length).toBe(3);
    expect(unauthorized.rejections.every((r: any) => r.error === 'unauthorized')).toBe(true);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await rejections(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.rejections.length).toBeLessThanOrEqual(2);
      seen.push(...page.rejections.map((r: any) => r.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids);

    const bad = await relay.request({ url: '/v1/rejections?cursor=nope&since=yesterday', admin: true });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: any) => d.path).sort()).toEqual(['cursor', 'since']);
  });

  it(`keeps only the newest ${KEEP} per source`, async () => {
    for (let i = 0; i < KEEP + 4; i++) await relay.request({ url: `/postback/walled?key=${KEY}&click_id=bound-${i}` });
    const page = await eventually(async () => {
      const body = await rejections('?source=walled&limit=100');
      return body.rejections[0]?.query.includes(`bound-${KEEP + 3}`) ? body : undefined;
    });
    expect(page.rejections).toHaveLength(KEEP);
    expect(page.rejections.map((r: any) => r.query.match(/bound-(\d+)/)?.[1])).toEqual(['8', '7', '6', '5', '4']);
  });

  it('keeps a client cut off for sending too slowly (408)', async () => {
    await relay.relay.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = relay.relay.app.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(`POST /postback/net?key=${KEY} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{`);
    const timedOut = await eventually(async () => {
      const body = await rejections('?reason=request_timeout');
      return body.rejections[0];
    }, 5_000);
    socket.destroy();
    expect(timedOut).toMatchObject({ status: 408, ip: '127.0.0.1', known_source: false });
  });
});

// A redis-server of its own: the test fills its memory.
describe('refused postbacks while Redis refuses writes', () => {
  it('answer 503 as before, are counted under their source, and only logged (at most once per period)', async () => {
    const server = await startRedisServer();
    const redis = new Redis({ path: server.socketPath });
    const logLines: Array<Record<string, unknown>> = [];
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
          callback();
        },
      }),
    );
    const full = await startTestRelay({ redis: { url: server.url }, viewerToken: VIEWER_TOKEN }, undefined, { logger });
    try {
      await full.request({ method: 'PUT', url: '/v1/sources/net', admin: true, body: { key: KEY, default_account: 'a' } });
      // Redis at maxmemory (noeviction): the intake's transaction and the rejection's XADD are both refused.
      const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
      await redis.config('SET', 'maxmemory', String(Math.max(1, used - 1_000_000)));
      const answers = await Promise.all(
        [1, 2, 3].map((i) => full.request({ url: `/postback/net?key=${KEY}&click_id=full-${i}` })),
      );
      expect(answers.map((answer) => answer.status)).toEqual([503, 503, 503]);
      expect(answers[0]!.body).toEqual({ error: 'unavailable' });
      const metrics = await eventually(async () => {
        const text = (await full.request({ url: '/metrics' })).text;
        return /relay_postbacks_rejected_total\{source="net",reason="unavailable"\} 3\b/.test(text) ? text : undefined;
      });
      expect(metrics).not.toContain('source="unknown",reason="unavailable"');
      const warnings = await eventually(async () => {
        const found = logLines.filter((line) => line.msg === 'refused postbacks not kept in the rejection log');
        return found.length > 0 ? found : undefined;
      });
      expect(warnings).toHaveLength(1);

      // Once Redis takes writes again, refusals are kept again; the refused records never half-appeared.
      await redis.config('SET', 'maxmemory', '0');
      await full.request({ url: '/postback/net?key=wrong-key-0000&click_id=after' });
      const kept = await eventually(async () => {
        const response = await full.request({
          url: '/v1/rejections?source=net',
          headers: { authorization: `Bearer ${VIEWER_TOKEN}` },
        });
        return response.body.rejections.length > 0 ? response.body.rejections : undefined;
      });
      expect(kept.map((r: any) => r.status)).toEqual([401]);
    } finally {
      await full.close();
      await redis.config('SET', 'maxmemory', '0').catch(() => {});
      redis.disconnect();
      await server.cleanup();
    }
  });
});

function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am! - bm! || as! - bs!;
}
