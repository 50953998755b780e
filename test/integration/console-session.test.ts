import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestRelay, type TestRelay } from '../helpers/relay-harness.js';

const VIEWER_TOKEN = 'test-viewer-token-9876543210';
let relay: TestRelay;

async function call(options: {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  cookie?: string;
  csrf?: string;
  form?: Record<string, string>;
  json?: unknown;
  ip?: string;
  bearer?: string;
}) {
  const headers: Record<string, string> = {};
  if (options.cookie) headers.cookie = options.cookie;
  if (options.csrf) headers['x-csrf-token'] = options.csrf;
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  let payload: string | undefined;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    payload = new URLSearchParams(options.form).toString();
  } else if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(options.json);
  }
  return relay.relay.app.inject({
    method: options.method ?? 'GET',
    url: options.url,
    headers,
    ...(payload !== undefined ? { payload } : {}),
    ...(options.ip ? { remoteAddress: options.ip } : {}),
  });
}

async function signIn(token: string, ip = '10.0.0.1') {
  const response = await call({ method: 'POST', url: '/console/session', form: { token }, ip });
  expect(response.statusCode).toBe(200);
  const cookie = response.cookies.find((c) => c.name === 'relay_console')!;
  return {
    cookie: `relay_console=${cookie.value}`,
    csrf: response.json<{ csrf: string }>().csrf,
    raw: cookie,
    kind: response.json<{ kind: string }>().kind,
  };
}

beforeAll(async () => {
  relay = await startTestRelay({ viewerToken: VIEWER_TOKEN, console: { signInMax: 5, signInWindowMs: 60_000 } });
});

afterAll(async () => {
  await relay?.close();
});

describe('console session', () => {
  it('signs in with the admin token into an httpOnly, SameSite=Strict cookie that the admin API accepts', async () => {
    const session = await signIn(ADMIN_TOKEN);
    expect(session.kind).toBe('admin');
    expect(session.raw.httpOnly).toBe(true);
    expect(session.raw.sameSite).toBe('Strict');
    expect(session.raw.path).toBe('/');
    expect(session.raw.value).not.toContain(ADMIN_TOKEN);
    expect((await call({ url: '/v1/hosts', cookie: session.cookie })).statusCode).toBe(200);
    expect((await call({ url: '/v1/hosts' })).statusCode).toBe(401);
    const me = await call({ url: '/console/session', cookie: session.cookie });
    expect(me.json()).toEqual({ kind: 'admin', csrf: session.csrf });
  });

  it('refuses a mutation made with the cookie but without the CSRF header, or with a wrong one, and changes nothing', async () => {
    const session = await signIn(ADMIN_TOKEN);
    for (const csrf of [undefined, 'wrong-token', `${session.csrf}x`]) {
      const response = await call({
        method: 'POST',
        url: '/v1/hosts/tracker.example/pause',
        cookie: session.cookie,
        ...(csrf ? { csrf } : {}),
      });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ error: 'csrf_failed' });
    }
    expect((await call({ url: '/v1/hosts', cookie: session.cookie })).json()).toEqual({ hosts: [] });
    const ok = await call({ method: 'POST', url: '/v1/hosts/tracker.example/pause', cookie: session.cookie, csrf: session.csrf });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ host: 'tracker.example', paused: true });
    // The change log says which kind of credential made it.
    const changes = (await call({ url: '/v1/changes', bearer: ADMIN_TOKEN })).json<{
      changes: Array<{ path: string; token: string }>;
    }>();
    expect(changes.changes[0]).toMatchObject({ path: '/v1/hosts/tracker.example/pause', token: 'admin' });
  });

  it('needs no CSRF header for bearer requests', async () => {
    const response = await call({ method: 'POST', url: '/v1/hosts/tracker.example/resume', bearer: ADMIN_TOKEN });
    expect(response.statusCode).toBe(200);
  });

  it('gives the viewer token a read-only session: reads 200, mutations 403 even with the CSRF token', async () => {
    const session = await signIn(VIEWER_TOKEN, '10.0.0.2');
    expect(session.kind).toBe('viewer');
    expect((await call({ url: '/v1/accounts', cookie: session.cookie })).statusCode).toBe(200);
    const put = await call({
      method: 'PUT',
      url: '/v1/accounts/a1',
      cookie: session.cookie,
      csrf: session.csrf,
      json: { postback: { url: 'https://t.example/?c={click_id}' } },
    });
    expect(put.statusCode).toBe(403);
    expect(put.json()).toMatchObject({ error: 'forbidden' });
    expect((await call({ url: '/v1/accounts/a1', bearer: ADMIN_TOKEN })).statusCode).toBe(404);
  });

  it('answers 401 to a wrong token and an unknown or signed-out session', async () => {
    expect(
      (await call({ method: 'POST', url: '/console/session', form: { token: 'not-a-token-at-all' }, ip: '10.0.0.3' })).statusCode,
    ).toBe(401);
    expect((await call({ method: 'POST', url: '/console/session', form: {}, ip: '10.0.0.3' })).statusCode).toBe(400);
    expect((await call({ url: '/v1/hosts', cookie: `relay_console=${'A'.repeat(43)}` })).statusCode).toBe(401);
    const session = await signIn(ADMIN_TOKEN, '10.0.0.3');
    // Signing out needs the CSRF token too.
    expect((await call({ method: 'DELETE', url: '/console/session', cookie: session.cookie })).statusCode).toBe(403);
    expect((await call({ url: '/v1/hosts', cookie: session.cookie })).statusCode).toBe(200);
    expect(
      (await call({ method: 'DELETE', url: '/console/session', cookie: session.cookie, csrf: session.csrf })).statusCode,
    ).toBe(204);
    expect((await call({ url: '/v1/hosts', cookie: session.cookie })).statusCode).toBe(401);
    expect((await call({ url: '/console/session', cookie: session.cookie })).statusCode).toBe(401);
  });

  it('keeps sessions in Redis with an expiry, under a digest of the id', async () => {
    const session = await signIn(ADMIN_TOKEN, '10.0.0.4');
    const id = session.raw.value;
    const client = new Redis(relay.config.redis.url!);
    try {
      const keys = await client.keys(`${relay.config.redis.keyPrefix}:console:session:*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.some((key) => key.includes(id))).toBe(false);
      for (const key of keys) {
        const ttl = await client.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(relay.config.console.sessionTtlMs);
      }
    } finally {
      client.disconnect();
    }
  });

  it('rate-limits sign-in attempts per client address: 429 with Retry-After beyond the limit, even with the right token', async () => {
    for (let i = 0; i < 5; i++) {
      expect(
        (await call({ method: 'POST', url: '/console/session', form: { token: 'wrong-token-guess' }, ip: '10.9.9.9' }))
          .statusCode,
      ).toBe(401);
    }
    const limited = await call({ method: 'POST', url: '/console/session', form: { token: ADMIN_TOKEN }, ip: '10.9.9.9' });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['set-cookie']).toBeUndefined();
    // Another address is not affected.
    expect(
      (await call({ method: 'POST', url: '/console/session', form: { token: ADMIN_TOKEN }, ip: '10.9.9.8' })).statusCode,
    ).toBe(200);
  });

  it('serves the page and its whitelisted files with their types and a strict CSP, and nothing else', async () => {
    const page = await call({ url: '/console' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "object-src 'none'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toContain('unsafe');
    expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)/);
    expect(page.body).not.toMatch(/\sstyle=/);
    const js = await call({ url: '/console/static/app.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await call({ url: '/console/static/console.css' })).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await call({ url: '/console/vendor/uPlot.esm.js' })).statusCode).toBe(200);
    for (const url of [
      '/console/static/../../app.ts',
      '/console/static/%2e%2e/console-routes.ts',
      '/console/static/nope.js',
      '/console/../package.json',
      '/console/vendor/uPlot.cjs.js',
    ]) {
      expect((await call({ url })).statusCode, url).toBe(404);
    }
  });
});

describe('template render (the editor preview)', () => {
  it('renders the example conversion, and says what a save would refuse or warn about', async () => {
    const ok = await call({
      url: `/v1/templates/render?template=${encodeURIComponent('https://t.example/pb?cid={click_id}&p={payout}')}&click_id=abc&payout=2.5`,
      bearer: VIEWER_TOKEN,
    });
    expect(ok.json()).toMatchObject({ ok: true, url: 'https://t.example/pb?cid=abc&p=2.5', warnings: [] });
    const unknown = (
      await call({
        url: `/v1/templates/render?template=${encodeURIComponent('https://t.example/pb?cid={clik_id}')}`,
        bearer: ADMIN_TOKEN,
      })
    ).json();
    expect(unknown).toMatchObject({ ok: false });
    expect(unknown.error).toContain('clik_id');
    const noClick = (
      await call({
        url: `/v1/templates/render?template=${encodeURIComponent('https://t.example/pb?p={payout}')}`,
        bearer: ADMIN_TOKEN,
      })
    ).json();
    expect(noClick.ok).toBe(true);
    expect(noClick.warnings[0]).toContain('click id');
    const preset = (
      await call({ url: '/v1/templates/render?preset=voluum&base_url=https%3A%2F%2Ftrk.example.com', bearer: ADMIN_TOKEN })
    ).json();
    expect(preset.template).toMatch(/^https:\/\/trk\.example\.com\//);
    expect((await call({ url: '/v1/templates/render', bearer: ADMIN_TOKEN })).statusCode).toBe(400);
    expect((await call({ url: '/v1/templates/render?preset=voluum&base_url=nope', bearer: ADMIN_TOKEN })).statusCode).toBe(400);
  });
});
