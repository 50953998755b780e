import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestRelay, type TestRelay } from '../helpers/relay-harness.js';

let relay: TestRelay;
const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

beforeAll(async () => {
  relay = await startTestRelay();
});

afterAll(async () => {
  await relay?.close();
});

describe('/ui (Bull Board) login', () => {
  it('refuses without credentials, with a basic-auth challenge a browser answers with a login prompt', async () => {
    for (const url of ['/ui', '/ui/', '/ui/api/queues', '/ui/static/images/logo.svg']) {
      const response = await relay.relay.app.inject({ url });
      expect(response.statusCode, url).toBe(401);
      expect(response.headers['www-authenticate'], url).toMatch(/^Basic realm=/);
    }
  });

  it('refuses a wrong password and a source key', async () => {
    expect((await relay.request({ url: '/ui', headers: { authorization: basic('wrong') } })).status).toBe(401);
    expect((await relay.request({ url: '/ui', headers: { authorization: basic('') } })).status).toBe(401);
    expect((await relay.request({ url: '/ui', headers: { authorization: 'Basic !!!' } })).status).toBe(401);
  });

  it('serves the board and its API to the admin token as basic-auth password or bearer token', async () => {
    const page = await relay.request({ url: '/ui', headers: { authorization: basic(ADMIN_TOKEN) } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<base href="/ui/"');
    const api = await relay.request({ url: '/ui/api/queues', admin: true });
    expect(api.status).toBe(200);
    expect(api.body.queues.map((q: { name: string }) => q.name).sort()).toEqual(['conversions', 'retries']);
    // Read-only: the ledger, not the queue, is the record of a delivery.
    expect(api.body.queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode)).toBe(true);
  });

  it('refuses state-changing requests from another site even with remembered credentials', async () => {
    const response = await relay.request({
      method: 'PUT',
      url: '/ui/api/queues/pause',
      headers: { authorization: basic(ADMIN_TOKEN), origin: 'https://evil.example', host: 'relay.example' },
    });
    expect(response.status).toBe(403);
  });
});
