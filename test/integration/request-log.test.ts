import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging.js';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { startTestRelay, type TestRelay } from '../helpers/relay-harness.js';

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const VIEWER_TOKEN = 'test-viewer-token-0123456789';
const SOURCE_KEY = 'log-source-key-123';

type Line = Record<string, any>;

function captured(): { stream: Writable; lines: Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { stream, lines };
}

describe('request log at debug', () => {
  let relay: TestRelay;
  const log = captured();
  const audit = captured();
  const linesAfter = async (action: () => Promise<unknown>): Promise<Line[]> => {
    const from = log.lines.length;
    await action();
    return log.lines.slice(from);
  };

  beforeAll(async () => {
    relay = await startTestRelay({ viewerToken: VIEWER_TOKEN }, undefined, {
      logger: createLogger('debug', log.stream),
    });
    await relay.request({
      method: 'PUT',
      url: '/v1/sources/net',
      admin: true,
      body: { key: SOURCE_KEY, default_account: 'acct' },
    });
  });

  afterAll(async () => {
    await relay?.close();
  });

  it('logs every admin request at info: method, path, status, ms and token kind', async () => {
    const lines = await linesAfter(async () => {
      await relay.request({
        method: 'PUT',
        url: '/v1/sources/other',
        admin: true,
        body: { key: 'other-source-key-1', default_account: 'acct' },
      });
      await relay.request({ url: '/v1/sources?limit=5', headers: { authorization: `Bearer ${VIEWER_TOKEN}` } });
      await relay.request({ url: '/v1/sources' });
    });
    const admin = lines.filter((line) => line.msg === 'admin request');
    expect(admin).toHaveLength(3);
    expect(admin[0]).toMatchObject({ level: 30, method: 'PUT', path: '/v1/sources/other', status: 201, token: 'admin' });
    expect(admin[1]).toMatchObject({ level: 30, method: 'GET', path: '/v1/sources?limit=5', status: 200, token: 'viewer' });
    expect(admin[2]).toMatchObject({ level: 30, method: 'GET', path: '/v1/sources', status: 401 });
    expect(admin[2]).not.toHaveProperty('token');
    for (const line of admin) expect(typeof line.ms).toBe('number');
  });

  it('logs an accepted postback at debug and a refused one at info, the key redacted from the path', async () => {
    const lines = await linesAfter(async () => {
      expect((await relay.request({ url: `/postback/net?key=${SOURCE_KEY}&click_id=log1` })).status).toBe(200);
      expect((await relay.request({ url: '/postback/net?click_id=log2&key=wrong-key-456' })).status).toBe(401);
    });
    const accepted = lines.find((line) => line.msg === 'postback');
    expect(accepted).toMatchObject({ level: 20, method: 'GET', path: '/postback/net?key=***&click_id=log1', status: 200 });
    const refused = lines.find((line) => line.msg === 'postback refused');
    expect(refused).toMatchObject({
      level: 30,
      method: 'GET',
      path: '/postback/net?click_id=log2&key=***',
      status: 401,
      error: 'unauthorized',
    });
    const text = JSON.stringify(lines);
    expect(text).not.toContain(SOURCE_KEY);
    expect(text).not.toContain('wrong-key-456');
  });

  it("writes one ISO time format in every line, the application log and Fastify's as the audit log", async () => {
    await relay.request({ url: '/no/such/route' });
    createAuditLog(audit.stream).info({ delivery_id: 'd1' }, 'attempt');
    expect(log.lines.length).toBeGreaterThan(5);
    expect(audit.lines.length).toBeGreaterThan(0);
    for (const line of [...log.lines, ...audit.lines]) expect(line.time, JSON.stringify(line)).toMatch(ISO_TIME);
  });
});

describe('request log at info', () => {
  let relay: TestRelay;
  const log = captured();

  beforeAll(async () => {
    relay = await startTestRelay({}, undefined, { logger: createLogger('info', log.stream) });
    await relay.request({
      method: 'PUT',
      url: '/v1/sources/net',
      admin: true,
      body: { key: SOURCE_KEY, default_account: 'acct' },
    });
  });

  afterAll(async () => {
    await relay?.close();
  });

  it('writes nothing for an accepted postback', async () => {
    const from = log.lines.length;
    expect((await relay.request({ url: `/postback/net?key=${SOURCE_KEY}&click_id=quiet` })).status).toBe(200);
    expect(log.lines.slice(from)).toEqual([]);
  });
});
