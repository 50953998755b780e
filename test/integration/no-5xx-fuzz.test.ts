import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, ADMIN_TOKEN, type TestRelay } from '../helpers/relay-harness.js';

/**
 * "Bad input gets a clear error": whatever a caller sends to any documented
 * route, the answer is never a 5xx (Redis is up here, so 503 is not an excuse
 * either), and it is JSON with an `error` when it is a 4xx. The inputs are
 * drawn from a seeded generator, so a failure prints the seed and the request
 * and replays exactly.
 */

let relay: TestRelay;
let routes: Array<{ method: string; path: string }>;

beforeAll(async () => {
  relay = await startTestRelay();
  await relay.request({
    method: 'PUT',
    url: '/v1/sources/fz',
    admin: true,
    body: { key: 'fuzz-source-key', default_account: 'fz' },
  });
  await relay.request({
    method: 'PUT',
    url: '/v1/accounts/fz',
    admin: true,
    body: { postback: { url: 'http://127.0.0.1:9/pb?c={click_id}' } },
  });
  // An unattributed conversion, for the attribute route to work on.
  const unattributed = await relay.request({ url: '/postback/fz?key=fuzz-source-key&payout=1' });
  VALID.push({
    method: 'POST',
    url: `/v1/conversions/${unattributed.body.id as string}/attribute`,
    body: { click_id: 'c9', account: 'fz', offer_id: '7' },
  });
  const document = await relay.request({ url: '/docs/openapi.json' });
  routes = Object.entries(document.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
  );
});

afterAll(async () => {
  await relay?.close();
});

/** mulberry32: small, fast and good enough to pick test inputs. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return { next, pick };
}

// Texts that have broken parsers before: encodings, separators, sizes, look-alikes of numbers and ids.
const NASTY_TEXT = [
  '',
  ' ',
  'x',
  'fz',
  'acme',
  '0',
  '-1',
  '1e309',
  'NaN',
  '1.50',
  '١٢٣',
  'null',
  'true',
  '[]',
  '{}',
  '%',
  '%ZZ',
  '%00',
  '%C0%AF',
  '%ED%A0%80',
  '..',
  '../..',
  '/',
  '\\',
  '*',
  '?',
  '#',
  '&',
  '=',
  ';',
  '\u0000',
  '\u001f',
  '\u007f',
  '\ud800',
  '\uffff',
  '😀',
  'é',
  'ß',
  'İ',
  'a'.repeat(300),
  'b'.repeat(5_000),
  '{click_id}',
  '{{x}}',
  '${x}',
  "'; DROP TABLE x; --",
  '<script>',
  'javascript:alert(1)',
  'http://127.0.0.1/',
  'http://[::1]:0/',
  'https://',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  '2026-13-45T99:99:99Z',
  '-0',
  '0x10',
  '9007199254740993',
  '1,5',
  ' 1 ',
  'ZZZ',
  'eur',
];
const FIELD_NAMES = [
  'key',
  'click_id',
  'clickid',
  'cid',
  'tid',
  'transaction_id',
  'payout',
  'sum',
  'amount',
  'currency',
  'event',
  'goal',
  'status',
  'offer_id',
  'order_id',
  'conversion_id',
  'txid',
  'account',
  'sub1',
  'sub5',
  'limit',
  'cursor',
  'state',
  'since',
  'url',
  'postback',
  'offers',
  'ip_allow',
  'params',
  'enabled',
  'paused',
  'max_in_flight',
  'default_account',
  '__proto__',
  'constructor',
  '',
  'x[]',
  'a.b',
  'a[b]',
];

function jsonValue(random: ReturnType<typeof generator>, depth = 0): unknown {
  const kind = random.next();
  if (depth > 2 || kind < 0.35) return random.pick(NASTY_TEXT);
  if (kind < 0.45) return random.pick([0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 0.1]);
  if (kind < 0.55) return random.pick([null, true, false]);
  if (kind < 0.75) return Array.from({ length: Math.floor(random.next() * 4) }, () => jsonValue(random, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = Math.floor(random.next() * 5); i > 0; i--) object[random.pick(FIELD_NAMES)] = jsonValue(random, depth + 1);
  return object;
}

/** Percent-encoded; a lone surrogate (which encodeURIComponent refuses) goes as the bytes a sloppy client would send. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '')) + '%ED%A0%80';
  }
}

function pathFor(template: string, random: ReturnType<typeof generator>): string {
  return template.replace(/\{[^}]+\}|:[A-Za-z_]+/g, () =>
    random.next() < 0.5 ? random.pick(['fz', 'acme', 'nope', 'fz-0', 'x.0', 'fz:1']) : encode(random.pick(NASTY_TEXT)) || 'x',
  );
}

function queryFor(random: ReturnType<typeof generator>): string {
  const pairs: string[] = [];
  if (random.next() < 0.6) pairs.push('key=fuzz-source-key');
  for (let i = Math.floor(random.next() * 6); i > 0; i--) {
    const name = random.pick(FIELD_NAMES);
    // Sometimes raw (already "encoded" junk like %ZZ reaches the parser as is), usually encoded.
    const value = random.pick(NASTY_TEXT);
    pairs.push(`${name}=${random.next() < 0.3 ? value.replace(/[#&\s]/g, '') : encode(value)}`);
  }
  return pairs.length ? `?${pairs.join('&')}` : '';
}

/**
 * Valid requests to mutate: an input rejected at the first check never
 * reaches the code behind it, so the deeper pass starts from something that
 * would be accepted and breaks one part of it.
 */
const VALID: Array<{ method: 'PUT' | 'POST'; url: string; body: Record<string, unknown>; admin?: false }> = [
  {
    method: 'PUT',
    url: '/v1/accounts/fz2',
    body: {
      postback: {
        url: 'http://127.0.0.1:9/pb?c={click_id}&p={payout}&s={status}',
        status_map: { approved: '1', '*': '0' },
        events: {
          sale: { url: 'http://127.0.0.1:9/s?c={click_id}', status_map: { approved: 'ok' } },
          lead: ['http://127.0.0.1:9/l?c={click_id}'],
        },
      },
      offers: { '7': { url: 'http://127.0.0.1:9/o?c={click_id}', disabled: false } },
    },
  },
  {
    method: 'PUT',
    url: '/v1/sources/fz2',
    body: { key: 'fuzz-source-key-2', default_account: 'fz', ip_allow: ['127.0.0.0/8'], params: { click_id: ['s2'] } },
  },
  {
    method: 'PUT',
    url: '/v1/offers/fz7',
    body: { url: 'https://store.example/land?t={transaction_id}&o={offer_id}', attribution_window_days: 7 },
  },
  {
    method: 'POST',
    url: '/postback/fz?key=fuzz-source-key',
    body: { click_id: 'c1', payout: '1.50', currency: 'EUR', event: 'sale', status: 'approved', sub1: 's' },
    admin: false,
  },
  {
    method: 'POST',
    url: '/v1/accounts/fz/test',
    body: { offer_id: '7', event: 'sale', values: { click_id: 'c1', payout: 2 }, dry_run: true },
  },
  { method: 'POST', url: '/v1/deliveries/retry', body: { account: 'fz', state: 'failed', limit: 10 } },
  { method: 'POST', url: '/v1/hosts/127.0.0.1:9/pause', body: { reason: 'maintenance' } },
];

/** The body with one value (at any depth) replaced, removed or given a sibling. */
function mutate(body: unknown, random: ReturnType<typeof generator>): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return jsonValue(random);
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const choice = random.next();
  if (keys.length === 0 || choice < 0.15) copy[random.pick(FIELD_NAMES)] = jsonValue(random);
  else if (choice < 0.3) delete copy[random.pick(keys)];
  else {
    const key = random.pick(keys);
    copy[key] = random.next() < 0.5 ? mutate(copy[key], random) : jsonValue(random);
  }
  return copy;
}

describe('no 5xx from any input', () => {
  it('starts the deeper pass from requests that are accepted as they are', async () => {
    for (const valid of VALID) {
      const response = await relay.request({
        method: valid.method,
        url: valid.url,
        body: valid.body,
        admin: valid.admin ?? true,
      });
      expect(response.status, `${valid.method} ${valid.url}: ${response.text}`).toBeLessThan(300);
    }
  });

  // Three seeds of 400 requests each: varied enough to cover every route many times, quick enough to run always.
  it.each([1, 2, 3])('seed %i: every documented route answers a 2xx–4xx JSON', async (seed) => {
    const random = generator(seed);
    const failures: string[] = [];
    for (let i = 0; i < 400; i++) {
      const route = random.pick(routes);
      const method = random.next() < 0.9 ? route.method : random.pick(['GET', 'PUT', 'POST', 'DELETE']);
      const url = `${pathFor(route.path, random)}${queryFor(random)}`;
      const headers: Record<string, string> = {};
      if (random.next() < 0.7) headers.authorization = `Bearer ${random.next() < 0.9 ? ADMIN_TOKEN : random.pick(NASTY_TEXT)}`;
      let payload: string | undefined;
      if (method !== 'GET' && method !== 'DELETE' && random.next() < 0.85) {
        const kind = random.next();
        if (kind < 0.7) {
          headers['content-type'] = 'application/json';
          payload = random.next() < 0.9 ? JSON.stringify(jsonValue(random)) : random.pick(['{', '{"a":', '[1,', 'nul', '"x']);
        } else if (kind < 0.85) {
          headers['content-type'] = 'application/x-www-form-urlencoded';
          payload = queryFor(random).slice(1);
        } else {
          headers['content-type'] = random.pick([
            'text/plain',
            'application/xml',
            'multipart/form-data',
            'application/json; charset=latin1',
            'x/y',
          ]);
          payload = random.pick(NASTY_TEXT);
        }
      }
      const response = await relay.relay.app.inject({
        method: method as 'GET',
        url,
        headers,
        ...(payload !== undefined ? { payload } : {}),
      });
      const contentType = String(response.headers['content-type'] ?? '');
      const isJsonError = (): boolean => {
        try {
          return typeof (JSON.parse(response.body) as { error?: unknown }).error === 'string';
        } catch {
          return false;
        }
      };
      const problem =
        response.statusCode >= 500
          ? `answered ${response.statusCode}`
          : // A HEAD answer has no body to carry the error.
            response.statusCode >= 400 && method !== 'HEAD' && !(contentType.includes('application/json') && isJsonError())
            ? `answered ${response.statusCode} without a JSON error`
            : undefined;
      if (problem)
        failures.push(
          `#${i} ${method} ${url.slice(0, 200)} ${JSON.stringify(payload)?.slice(0, 200)}: ${problem}: ${response.body.slice(0, 300)}`,
        );
    }
    expect(failures, `seed ${seed}`).toEqual([]);
  });

  it.each([11, 12, 13])('seed %i: valid requests with one part broken answer 2xx–4xx JSON', async (seed) => {
    const random = generator(seed);
    const failures: string[] = [];
    for (let i = 0; i < 300; i++) {
      const valid = random.pick(VALID);
      const body = mutate(valid.body, random);
      const response = await relay.request({ method: valid.method, url: valid.url, body, admin: valid.admin ?? true });
      const jsonError = response.status < 400 || typeof response.body?.error === 'string';
      if (response.status >= 500 || !jsonError) {
        failures.push(
          `#${i} ${valid.method} ${valid.url} ${JSON.stringify(body).slice(0, 300)}: ${response.status} ${response.text.slice(0, 300)}`,
        );
      }
    }
    expect(failures, `seed ${seed}`).toEqual([]);
  });
});
