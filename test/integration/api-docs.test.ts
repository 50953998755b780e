import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteOptions } from 'fastify';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';

/**
 * The OpenAPI document is generated from the routes' own schemas. These tests
 * hold it to a standard validator, to every route the app really registers,
 * and to the answers the API really gives.
 */

let relay: TestRelay;
let document: any;
const registered: Array<{ method: string; url: string; declared: boolean }> = [];

// Routes that are not API operations, so not in the document. Every other route must be.
const NOT_IN_DOCUMENT = [
  /^\/docs(\/openapi\.json)?$/, // the reference itself
  /^\/console(\/|$)/, // the console's pages and assets
];

beforeAll(async () => {
  relay = await startTestRelay({}, undefined, {
    onRoute: (route: RouteOptions) => {
      // A method in a list was declared by the route itself; a lone HEAD beside a GET is Fastify's own.
      for (const method of [route.method].flat())
        registered.push({ method, url: route.url, declared: Array.isArray(route.method) });
    },
  });
  const response = await relay.request({ url: '/docs/openapi.json' });
  expect(response.status).toBe(200);
  document = response.body;
});

afterAll(async () => {
  await relay?.close();
});

const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const operation = (method: string, url: string) => document.paths[toOpenApiPath(url)]?.[method.toLowerCase()];

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);

/** Checks a real answer against the JSON schema the document gives for it (unknown fields fail: the document is the contract). */
function expectDocumented(method: string, url: string, answer: { status: number; body: unknown }) {
  const response = operation(method, url)?.responses?.[String(answer.status)];
  expect(response, `${method} ${url} documents status ${answer.status}`).toBeDefined();
  const schema = response.content?.['application/json']?.schema;
  if (schema === undefined) {
    expect(
      answer.body === undefined || answer.body === null || answer.body === '',
      `${method} ${url} ${answer.status} has no body`,
    ).toBe(true);
    return;
  }
  // Named shapes are `$ref`s into the document's components: compile the schema with them beside it.
  const validate = ajv.compile({ ...schema, components: document.components });
  expect(
    validate(answer.body) ? [] : validate.errors,
    `${method} ${url} ${answer.status}: ${JSON.stringify(answer.body)}`,
  ).toEqual([]);
}

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document under a standard validator', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('has servers and the admin, viewer and source-key security schemes', () => {
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(document.components.securitySchemes).toMatchObject({
      adminToken: { type: 'http', scheme: 'bearer' },
      viewerToken: { type: 'http', scheme: 'bearer' },
      sourceKey: { type: 'apiKey', in: 'query', name: 'key' },
      sourceKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Relay-Key' },
    });
  });

  it('names PUBLIC_URL as the server when it is set', async () => {
    const behindProxy = await startTestRelay({ publicUrl: 'https://relay.example.com' });
    try {
      const response = await behindProxy.request({ url: '/docs/openapi.json' });
      expect(response.body.servers).toEqual([expect.objectContaining({ url: 'https://relay.example.com' })]);
    } finally {
      await behindProxy.close();
    }
  });

  it('lists every route the app registers, with its method, except the explicit exclusions', () => {
    const api = registered.filter(
      // Fastify adds a HEAD route for each GET by itself; those are the GET's.
      (route) =>
        route.declared || !(route.method === 'HEAD' && registered.some((r) => r.method === 'GET' && r.url === route.url)),
    );
    expect(api.length).toBeGreaterThan(20);
    const missing = api
      .filter((route) => !NOT_IN_DOCUMENT.some((pattern) => pattern.test(route.url)))
      .filter((route) => operation(route.method, route.url) === undefined)
      .map((route) => `${route.method} ${route.url}`);
    expect(missing, 'routes missing from the OpenAPI document').toEqual([]);
    // And nothing is documented that the app does not serve.
    const served = new Set(api.map((route) => `${route.method.toLowerCase()} ${toOpenApiPath(route.url)}`));
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method} ${path}`),
    );
    expect(documented.filter((entry) => !served.has(entry))).toEqual([]);
    expect(Object.keys(document.paths).filter((path) => NOT_IN_DOCUMENT.some((pattern) => pattern.test(path)))).toEqual([]);
  });

  it('describes every operation: tag, summary, security, and its answers with their schemas', () => {
    const undescribed: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(item as Record<string, any>)) {
        const where = `${method.toUpperCase()} ${path}`;
        if (!op.summary || !op.description || !op.tags?.length || !Array.isArray(op.security)) {
          undescribed.push(`${where}: tag, summary, description or security`);
        }
        const statuses = Object.keys(op.responses ?? {});
        if (statuses.length === 0 || op.responses[statuses[0]!].description === 'Default Response')
          undescribed.push(`${where}: responses`);
        for (const name of (path.match(/\{(\w+)\}/g) ?? []).map((p) => p.slice(1, -1))) {
          if (!op.parameters?.some((p: any) => p.in === 'path' && p.name === name))
            undescribed.push(`${where}: path parameter ${name}`);
        }
      }
    }
    expect(undescribed, 'declare these in the route schema (see src/http/route-docs.ts)').toEqual([]);
    // A route serving several methods with one schema has none (it would repeat); every other has one of its own.
    const ids = Object.values(document.paths)
      .flatMap((item) => Object.values(item as Record<string, any>).map((op) => op.operationId))
      .filter((id) => id !== undefined);
    expect(new Set(ids).size, 'operationIds are unique').toBe(ids.length);
  });

  it('secures each route as it is: admin and viewer tokens to read, admin to change, the source key to report, nothing for health', () => {
    expect(operation('GET', '/v1/accounts').security).toEqual([{ adminToken: [] }, { viewerToken: [] }]);
    expect(operation('PUT', '/v1/accounts/:id').security).toEqual([{ adminToken: [] }]);
    expect(operation('GET', '/postback/:source').security).toEqual(
      expect.arrayContaining([{ sourceKey: [] }, { sourceKeyHeader: [] }]),
    );
    for (const path of ['/healthz', '/readyz', '/metrics']) expect(operation('GET', path).security, path).toEqual([]);
    for (const [path, item] of Object.entries(document.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const [method, op] of Object.entries(item as Record<string, any>)) {
        expect(op.security, `${method} ${path}`).toEqual(
          method === 'get' ? [{ adminToken: [] }, { viewerToken: [] }] : [{ adminToken: [] }],
        );
      }
    }
  });

  it('takes request schemas from the zod schemas the routes validate with, with examples', () => {
    const media = operation('PUT', '/v1/sources/:id').requestBody.content['application/json'];
    expect(media.schema.properties.key).toMatchObject({ type: 'string', minLength: 8 });
    expect(media.schema.additionalProperties).toBe(false);
    expect(media.example ?? media.examples).toBeDefined();
    const account = operation('PUT', '/v1/accounts/:id').requestBody.content['application/json'].schema;
    expect(Object.keys(account.properties)).toEqual(['postback', 'offers']);
    const id = operation('PUT', '/v1/sources/:id').parameters.find((p: any) => p.in === 'path' && p.name === 'id');
    expect(id).toMatchObject({ required: true, schema: { type: 'string', pattern: expect.any(String) } });
  });

  it('documents the receiver: key, canonical fields with their validation and aliases, both body types, every answer', () => {
    const get = operation('GET', '/postback/:source');
    const params = Object.fromEntries(get.parameters.map((p: any) => [`${p.in}:${p.name}`, p]));
    expect(params['path:source'].required).toBe(true);
    // The key is the `sourceKey` security scheme (query `key`), not a parameter of its own.
    expect(get.security).toEqual(expect.arrayContaining([{ sourceKey: [] }]));
    for (const field of [
      'click_id',
      'event',
      'payout',
      'amount',
      'currency',
      'offer_id',
      'order_id',
      'conversion_id',
      'status',
      'account',
      'sub1',
      'sub5',
    ]) {
      expect(params[`query:${field}`], field).toBeDefined();
    }
    expect(params['query:payout'].schema.pattern).toBeDefined();
    expect(params['query:click_id'].description ?? params['query:click_id'].schema.description).toContain('transaction_id');
    expect(Object.keys(get.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '503']));
    const post = operation('POST', '/postback/:source');
    expect(Object.keys(post.requestBody.content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
  });

  it('describes answers the way the API really gives them', async () => {
    const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, route: string, body?: unknown, admin = true) => {
      const answer = await relay.request({ method, url, admin, ...(body !== undefined ? { body } : {}) });
      expectDocumented(method, route, answer);
      return answer;
    };
    await call('PUT', '/v1/sources/s1', '/v1/sources/:id', { key: 'docs-key-123', default_account: 'a1' });
    await call('PUT', '/v1/sources/s1', '/v1/sources/:id', { ip_allow: ['127.0.0.0/8'], default_account: 'a1' });
    await call('GET', '/v1/sources/s1', '/v1/sources/:id');
    await call('GET', '/v1/sources', '/v1/sources');
    await call('GET', '/v1/sources/nope', '/v1/sources/:id');
    await call('PUT', '/v1/sources/bad%20id', '/v1/sources/:id', { key: 'docs-key-123' });
    await call('GET', '/v1/sources', '/v1/sources', undefined, false);
    await call('PUT', '/v1/accounts/a1', '/v1/accounts/:id', { postback: { url: 'http://127.0.0.1:9/x?cid={click_id}' } });
    await call('PUT', '/v1/accounts/a1', '/v1/accounts/:id', { postback: { url: 'http://127.0.0.1:9/x' } });
    await call('PUT', '/v1/accounts/a2', '/v1/accounts/:id', { postback: { url: 'http://x/{nope}' } });
    await call('GET', '/v1/accounts/a1', '/v1/accounts/:id');
    await call('GET', '/v1/accounts', '/v1/accounts');
    await call('PUT', '/v1/accounts/a3', '/v1/accounts/:id', { postback: { url: 'http://127.0.0.1:9/y?cid={click_id}' } });
    await call('DELETE', '/v1/accounts/a3', '/v1/accounts/:id');
    const accepted = await call('GET', '/postback/s1?key=docs-key-123&click_id=c1', '/postback/:source', undefined, false);
    expect(accepted.body.status).toBe('accepted');
    await call('GET', '/postback/s1?key=docs-key-123&click_id=c1', '/postback/:source', undefined, false);
    await call('GET', '/postback/s1?key=docs-key-123', '/postback/:source', undefined, false);
    await call('GET', '/postback/s1?key=wrong-key-123&click_id=c1', '/postback/:source', undefined, false);
    await call('GET', `/postback/s1?key=docs-key-123&click_id=${'x'.repeat(300)}`, '/postback/:source', undefined, false);
    await call('POST', '/postback/s1', '/postback/:source', { key: 'docs-key-123', click_id: 'c2' }, false);
    for (const [headers, payload] of [
      [{ 'content-type': 'application/json' }, '{"click_id":'],
      [{ 'content-type': 'application/json' }, JSON.stringify({ click_id: 'c3', sub1: 'x'.repeat(70_000) })],
      [{ 'content-type': 'text/csv' }, 'click_id,c4'],
    ] as const) {
      const refused = await relay.relay.app.inject({ method: 'POST', url: '/postback/s1?key=docs-key-123', headers, payload });
      expect(refused.statusCode).toBeGreaterThanOrEqual(400);
      expectDocumented('POST', '/postback/:source', { status: refused.statusCode, body: refused.json() });
    }
    const conversion = await eventually(
      async () => {
        const response = await relay.request({ url: `/v1/conversions/${accepted.body.id}`, admin: true });
        return response.body?.deliveries?.[0]?.attempts?.length > 0 ? response : undefined;
      },
      10_000,
      'an attempt',
    );
    expectDocumented('GET', '/v1/conversions/:id', conversion);
    await call('GET', '/healthz', '/healthz', undefined, false);
    await call('GET', '/readyz', '/readyz', undefined, false);
    await call('DELETE', '/v1/sources/s1', '/v1/sources/:id');
  });

  it('describes the answers of tracking links, offers, hosts, tests, attribution, redrive and the change history', async () => {
    const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, route: string, body?: unknown, admin = true) => {
      const answer = await relay.request({ method, url, admin, ...(body !== undefined ? { body } : {}) });
      expectDocumented(method, route, answer);
      return answer;
    };
    await call('PUT', '/v1/offers/o1', '/v1/offers/:id', {
      url: 'https://store.example/land?t={transaction_id}',
      attribution_window_days: 3,
    });
    await call('PUT', '/v1/offers/o1', '/v1/offers/:id', { url: 'https://store.example/land' });
    await call('PUT', '/v1/offers/o2', '/v1/offers/:id', { url: 'https://store.example/land?p={payout}' });
    await call('GET', '/v1/offers/o1', '/v1/offers/:id');
    await call('GET', '/v1/offers', '/v1/offers');
    const click = await relay.relay.app.inject({ method: 'GET', url: '/click/o1?account=a9&sub1=s' });
    expectDocumented('GET', '/click/:offer_id', { status: click.statusCode, body: click.body });
    expect(operation('GET', '/click/:offer_id').responses['302'].headers.location).toBeDefined();
    const unknownOffer = await relay.request({ url: '/click/nope' });
    expectDocumented('GET', '/click/:offer_id', unknownOffer);
    await call('DELETE', '/v1/offers/o1', '/v1/offers/:id');

    await call('PUT', '/v1/sources/s2', '/v1/sources/:id', { key: 'docs-key-456' });
    await call('PUT', '/v1/accounts/a9', '/v1/accounts/:id', {
      postback: {
        url: ['http://127.0.0.1:9/a?cid={click_id}', 'http://127.0.0.1:9/b?cid={click_id}'],
        statuses: ['approved'],
        status_map: { approved: '1' },
      },
      offers: { '7': { disabled: true } },
    });
    await call('POST', '/v1/accounts/a9/test', '/v1/accounts/:id/test', { dry_run: true, values: { payout: 2 } });
    await call('POST', '/v1/accounts/a9/test', '/v1/accounts/:id/test', { offer_id: '7' });
    await call('POST', '/v1/accounts/a9/test', '/v1/accounts/:id/test', { values: { clik_id: 'x' } });
    await call('POST', '/v1/accounts/nobody/test', '/v1/accounts/:id/test', {});
    await call('GET', '/v1/accounts/a9/tests', '/v1/accounts/:id/tests');

    const unattributed = await call('GET', '/postback/s2?key=docs-key-456&payout=1', '/postback/:source', undefined, false);
    await eventually(
      async () => {
        const page = await relay.request({ url: '/v1/conversions?state=unattributed', admin: true });
        return page.body.conversions?.some((c: { id: string }) => c.id === unattributed.body.id) ? page : undefined;
      },
      10_000,
      'the unattributed conversion listed',
    );
    await call('GET', '/v1/conversions?state=unattributed&limit=5', '/v1/conversions');
    await call('GET', '/v1/conversions?state=bogus', '/v1/conversions');
    await call('GET', '/v1/conversions?source=s1&since=2026-01-01T00:00:00Z&until=1999999999999&limit=5', '/v1/conversions');
    await call('GET', '/v1/conversions?since=tomorrow', '/v1/conversions');
    // The export answers are documented by media type beside the JSON page.
    const exported = await relay.request({ url: '/v1/conversions?format=csv', admin: true });
    expect(exported.status).toBe(200);
    expect(exported.text.split('\n')[0]).toMatch(/^id,received_at,state,/);
    expect(Object.keys(operation('GET', '/v1/conversions').responses['200'].content).sort()).toEqual([
      'application/json',
      'application/x-ndjson',
      'text/csv',
    ]);
    await call('GET', `/v1/conversions/${unattributed.body.id as string}`, '/v1/conversions/:id');
    await call('POST', `/v1/conversions/${unattributed.body.id as string}/attribute`, '/v1/conversions/:id/attribute', {
      account: 'a9',
      click_id: 'c7',
    });
    await call('POST', `/v1/conversions/${unattributed.body.id as string}/attribute`, '/v1/conversions/:id/attribute', {
      account: 'a9',
    });
    await call('POST', '/v1/conversions/nope/attribute', '/v1/conversions/:id/attribute', { account: 'a9' });
    await call('GET', '/v1/conversions/nope', '/v1/conversions/:id');

    await call('GET', '/v1/deliveries?state=failed', '/v1/deliveries');
    await call('GET', '/v1/deliveries?state=pending', '/v1/deliveries');
    await call('POST', '/v1/deliveries/nope.0/retry', '/v1/deliveries/:id/retry');
    await call('POST', '/v1/deliveries/retry', '/v1/deliveries/retry', { account: 'a9', since: '2026-01-01T00:00:00Z' });
    await call('POST', '/v1/deliveries/retry', '/v1/deliveries/retry', { state: 'delivered' });

    await call('POST', '/v1/hosts/127.0.0.1:9/pause', '/v1/hosts/:host/pause');
    await call('GET', '/v1/hosts', '/v1/hosts');
    await call('GET', '/v1/hosts/127.0.0.1:9', '/v1/hosts/:host');
    await call('GET', '/v1/hosts/unknown.example', '/v1/hosts/:host');
    await call('POST', '/v1/hosts/127.0.0.1:9/resume', '/v1/hosts/:host/resume');
    await call('POST', '/v1/hosts/127.0.0.1:9/reset', '/v1/hosts/:host/reset');
    await call('POST', '/v1/hosts/never.example/reset', '/v1/hosts/:host/reset');
    await call('POST', '/v1/hosts/bad%20host/pause', '/v1/hosts/:host/pause');

    await call('GET', '/v1/networks', '/v1/networks');
    await call('PUT', '/v1/sources/s3', '/v1/sources/:id', { key: 'docs-key-789', network: 'everflow' });
    await call('GET', '/v1/sources/s3/postback-url', '/v1/sources/:id/postback-url');
    await call('GET', '/v1/sources/s3/postback-url?network=affise&key=docs-key-789', '/v1/sources/:id/postback-url');
    await call('GET', '/v1/sources/s3/postback-url?key=wrong-key', '/v1/sources/:id/postback-url');
    await call('GET', '/v1/sources/nope/postback-url', '/v1/sources/:id/postback-url');

    await call('GET', '/v1/changes?limit=3', '/v1/changes');
    await call('GET', '/v1/changes?cursor=nope', '/v1/changes');
    const metrics = await relay.request({ url: '/metrics' });
    expect(Object.keys(operation('GET', '/metrics').responses['200'].content)[0]).toMatch(/^text\/plain/);
    expect(metrics.status).toBe(200);
  });

  it('answers a request that fails its route schema with the route’s 400 naming each field', async () => {
    const badId = await relay.request({ method: 'PUT', url: '/v1/sources/bad%20id', admin: true, body: { key: 'docs-key-123' } });
    expect(badId.status).toBe(400);
    expect(badId.body).toEqual({
      error: 'invalid_source',
      details: [{ path: 'id', message: expect.stringContaining('letters, digits') }],
    });
    const badBody = await relay.request({ method: 'PUT', url: '/v1/sources/s9', admin: true, body: { key: 'short', nope: 1 } });
    expect(badBody.body.error).toBe('invalid_source');
    expect(badBody.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['(body)', 'key']);
    // The token is checked before the input.
    expect((await relay.request({ method: 'PUT', url: '/v1/sources/bad%20id', body: {} })).status).toBe(401);
  });
});

describe('/docs page', () => {
  it('is a self-contained HTML page rendering the generated document', async () => {
    const response = await relay.request({ url: '/docs' });
    expect(response.status).toBe(200);
    expect(response.text).toMatch(/^<!doctype html>/i);
    expect(response.text).toContain('/docs/openapi.json');
    expect(response.text).toContain('/postback/{source}');
    expect(response.text).toContain('/v1/accounts/{id}');
    expect(response.text).toContain('adminToken');
    // Named schemas are listed, and $refs link to them.
    expect(response.text).toContain('id="schema-Account"');
    expect(response.text).toContain('href="#schema-Conversion"');
    // Nothing loaded from elsewhere: it must work with no network.
    expect(response.text).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)="(https?:)?\/\//i);
  });
});
