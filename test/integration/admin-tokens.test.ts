import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestRelay, type TestRelay } from '../helpers/relay-harness.js';

const VIEWER_TOKEN = 'test-viewer-token-9876543210';
const MUTATIONS = new Set(['PUT', 'POST', 'DELETE', 'PATCH']);

let relay: TestRelay;

/** A concrete path for a route pattern; ids the suite creates below, so reads find something. */
function concrete(pattern: string): string {
  return pattern
    .replace(':id', 'acc1')
    .replace(':host', '127.0.0.1:9')
    .replace(/:(\w+)/g, 'x1');
}

async function call(method: string, url: string, token?: string, body?: unknown) {
  const response = await relay.relay.app.inject({
    method: method as 'GET',
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(body !== undefined ? { payload: body as object } : {}),
  });
  return {
    status: response.statusCode,
    body: response.body ? (JSON.parse(response.body) as Record<string, unknown>) : undefined,
  };
}

beforeAll(async () => {
  relay = await startTestRelay({ viewerToken: VIEWER_TOKEN });
  // Something for every read to find: a source, an account and an offer named acc1.
  expect((await call('PUT', '/v1/sources/acc1', ADMIN_TOKEN, { key: 'source-key-0123456789' })).status).toBeLessThan(300);
  expect(
    (await call('PUT', '/v1/accounts/acc1', ADMIN_TOKEN, { postback: { url: 'https://t.example/p?cid={click_id}' } })).status,
  ).toBeLessThan(300);
  expect(
    (await call('PUT', '/v1/offers/acc1', ADMIN_TOKEN, { url: 'https://store.example/?t={transaction_id}' })).status,
  ).toBeLessThan(300);
});

afterAll(async () => {
  await relay?.close();
});

describe('admin API tokens', () => {
  it('guards a complete list of routes, reads and mutations alike', () => {
    const routes = relay.relay.app.adminRoutes!();
    const names = routes.map((route) => `${route.method} ${route.url}`);
    // The list is collected as routes register, so routes added later are covered by the tests below.
    for (const expected of ['PUT /v1/sources/:id', 'DELETE /v1/accounts/:id', 'POST /v1/hosts/:host/pause', 'GET /v1/changes']) {
      expect(names).toContain(expected);
    }
    expect(routes.filter((route) => MUTATIONS.has(route.method)).length).toBeGreaterThanOrEqual(10);
  });

  it('answers 403 forbidden to the viewer token on every mutation route, and changes nothing', async () => {
    const mutations = relay.relay.app.adminRoutes!().filter((route) => MUTATIONS.has(route.method));
    for (const route of mutations) {
      const response = await call(route.method, concrete(route.url), VIEWER_TOKEN, {});
      expect(response.status, `${route.method} ${route.url}`).toBe(403);
      expect(response.body, `${route.method} ${route.url}`).toMatchObject({ error: 'forbidden' });
    }
    expect((await call('GET', '/v1/sources/acc1', ADMIN_TOKEN)).status).toBe(200);
    expect((await call('GET', '/v1/accounts/acc1', ADMIN_TOKEN)).status).toBe(200);
    const changes = (await call('GET', '/v1/changes?limit=500', ADMIN_TOKEN)).body as { changes: Array<{ token: string }> };
    expect(changes.changes.filter((change) => change.token === 'viewer')).toEqual([]);
  });

  it('lets the viewer token do every GET, answered as the admin token is', async () => {
    const reads = relay.relay.app.adminRoutes!().filter((route) => route.method === 'GET');
    expect(reads.length).toBeGreaterThanOrEqual(8);
    for (const route of reads) {
      const url = concrete(route.url);
      const asAdmin = await call('GET', url, ADMIN_TOKEN);
      const asViewer = await call('GET', url, VIEWER_TOKEN);
      expect(asViewer.status, url).not.toBe(401);
      expect(asViewer.status, url).not.toBe(403);
      expect(asViewer.status, url).toBe(asAdmin.status);
    }
    for (const url of [
      '/v1/sources',
      '/v1/accounts',
      '/v1/accounts/acc1',
      '/v1/sources/acc1',
      '/v1/offers/acc1',
      '/v1/hosts',
      '/v1/changes',
    ]) {
      expect((await call('GET', url, VIEWER_TOKEN)).status, url).toBe(200);
    }
  });

  it('lets the admin token make changes', async () => {
    expect(
      (await call('PUT', '/v1/accounts/acc2', ADMIN_TOKEN, { postback: { url: 'https://t.example/p?cid={click_id}' } })).status,
    ).toBe(201);
    expect((await call('DELETE', '/v1/accounts/acc2', ADMIN_TOKEN)).status).toBe(204);
  });

  it('answers 401 without a token, with a wrong one, or a source key', async () => {
    for (const token of [undefined, 'wrong-token-0123456789', 'source-key-0123456789', `${VIEWER_TOKEN}x`, '']) {
      expect((await call('GET', '/v1/accounts', token)).status, String(token)).toBe(401);
      expect((await call('PUT', '/v1/accounts/acc3', token, {})).status, String(token)).toBe(401);
    }
    const basic = await relay.relay.app.inject({ url: '/v1/accounts', headers: { authorization: `Basic ${ADMIN_TOKEN}` } });
    expect(basic.statusCode).toBe(401);
    expect(JSON.parse(basic.body)).toMatchObject({ error: 'unauthorized' });
  });

  it('takes the Bearer scheme in any case', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer', 'bEaReR']) {
      const response = await relay.relay.app.inject({
        url: '/v1/accounts',
        headers: { authorization: `${scheme} ${VIEWER_TOKEN}` },
      });
      expect(response.statusCode, scheme).toBe(200);
    }
    const admin = await relay.relay.app.inject({
      method: 'DELETE',
      url: '/v1/offers/nope',
      headers: { authorization: `bearer ${ADMIN_TOKEN}` },
    });
    expect(admin.statusCode).toBe(404);
  });
});

describe('without VIEWER_TOKEN', () => {
  it('refuses a viewer-looking token like any wrong one', async () => {
    const plain = await startTestRelay();
    try {
      const response = await plain.relay.app.inject({
        url: '/v1/accounts',
        headers: { authorization: `Bearer ${VIEWER_TOKEN}` },
      });
      expect(response.statusCode).toBe(401);
    } finally {
      await plain.close();
    }
  });
});
