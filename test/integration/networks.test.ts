import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';

// For each network: take the URL the relay tells the user to paste, fill it in
// as that network would (its macro syntax, realistic values), send it, and
// check what was recorded and what reached a loopback tracker.
let relay: TestRelay;
let tracker: Tracker;
const PUBLIC_URL = 'https://relay.example.com';

beforeAll(async () => {
  relay = await startTestRelay({ publicUrl: PUBLIC_URL });
  tracker = await startTracker();
  const account = await relay.request({
    method: 'PUT',
    url: '/v1/accounts/acme',
    admin: true,
    body: { postback: { url: `${tracker.origin}/pb?cid={click_id}&payout={payout}&txid={conversion_id}&status={status}` } },
  });
  expect(account.status).toBeLessThan(300);
});

afterAll(async () => {
  await relay?.close();
  await tracker?.close();
});

interface NetworkCase {
  network: string;
  /** The network's macro -> the value it fills in. */
  fill: Record<string, string>;
  expected: Record<string, string>;
  /** The same conversion as the network sends it with its own names (a URL the user wrote themselves). */
  ownNames: Record<string, string>;
}

const CASES: NetworkCase[] = [
  {
    network: 'everflow',
    fill: {
      '{sub1}': 'ef-trk-1',
      '{payout_amount}': '4.20',
      '{sale_amount}': '99.00',
      '{offer_id}': '101',
      '{event_id}': '7',
      '{transaction_id}': '8c2e7f0d1b',
    },
    expected: { click_id: 'ef-trk-1', payout: '4.20', amount: '99.00', offer_id: '101', event: '7', sub5: '8c2e7f0d1b' },
    ownNames: {
      sub1: 'ef-trk-2',
      payout_amount: '4.20',
      transaction_id: '8c2e7f0d1b',
      affiliate_id: '77',
      event_name: 'Reach Level 10',
    },
  },
  {
    network: 'tune',
    fill: {
      '{aff_click_id}': 'tu-trk-1',
      '{payout}': '2.00',
      '{amount}': '50.00',
      '{currency}': 'USD',
      '{offer_id}': '12',
      '{transaction_id}': '102f3a',
    },
    expected: { click_id: 'tu-trk-1', payout: '2.00', amount: '50.00', currency: 'USD', offer_id: '12', sub5: '102f3a' },
    ownNames: { aff_click_id: 'tu-trk-2', payout: '2.00', transaction_id: '102f3a', affiliate_id: '5', aff_sub: 'x' },
  },
  {
    network: 'cake',
    fill: { '#s2#': 'ck-trk-1', '#price#': '3.10', '#oid#': '55', '#tid#': 'ORD-1', '#leadid#': 'L-9' },
    expected: { click_id: 'ck-trk-1', payout: '3.10', offer_id: '55', order_id: 'ORD-1', conversion_id: 'L-9' },
    ownNames: { s2: 'ck-trk-2', price: '3.10', cid: '4411', tid: 'ORD-2', affid: '3' },
  },
  {
    network: 'affise',
    fill: {
      '{sub1}': 'af-trk-1',
      '{sum}': '1.25',
      '{order_sum}': '30.00',
      '{currency}': 'EUR',
      '{offerid}': '9',
      '{goal}': '2',
      '{status}': '1',
      '{transactionid}': 'AF-ORD-1',
    },
    expected: {
      click_id: 'af-trk-1',
      payout: '1.25',
      amount: '30.00',
      currency: 'EUR',
      offer_id: '9',
      event: '2',
      status: 'approved',
      order_id: 'AF-ORD-1',
    },
    ownNames: { sub1: 'af-trk-2', sum: '1.25', status: '2', transactionid: 'AF-ORD-2' },
  },
  {
    network: 'impact',
    fill: {
      '{SubId1}': 'im-trk-1',
      '{Payout}': '7.50',
      '{Amount}': '150.00',
      '{Currency}': 'USD',
      '{CampaignId}': '1234',
      '{ActionTrackerId}': '5678',
      '{ActionId}': '1001.2002.3003',
      '{Status}': 'APPROVED',
    },
    expected: {
      click_id: 'im-trk-1',
      payout: '7.50',
      amount: '150.00',
      currency: 'USD',
      offer_id: '1234',
      event: '5678',
      conversion_id: '1001.2002.3003',
      status: 'approved',
    },
    ownNames: { SubId1: 'im-trk-2', Payout: '7.50', ActionId: '1001.2002.3004', ActionStatus: 'REVERSED', MediaPartnerId: '99' },
  },
  {
    network: 'scaleo',
    fill: { '{aff_click_id}': 'sc-trk-1', '{payout}': '0.90', '{currency}': 'USD', '{conv_status}': 'rejected' },
    expected: { click_id: 'sc-trk-1', payout: '0.90', currency: 'USD', status: 'declined' },
    ownNames: { aff_click_id: 'sc-trk-2', payout: '0.90', conv_status: 'approved', affiliate_id: '12' },
  },
  {
    network: 'trackier',
    fill: { '{p1}': 'tr-trk-1', '{payout}': '5', '{campaign_id}': '77', '{txn_id}': 'TXN-1' },
    expected: { click_id: 'tr-trk-1', payout: '5', offer_id: '77', order_id: 'TXN-1' },
    ownNames: { p1: 'tr-trk-2', payout: '5', txn_id: 'TXN-2', campaign_id: '77' },
  },
  {
    network: 'cpalead',
    fill: {
      '{subid}': 'cp-trk-1',
      '{payout}': '0.35',
      '{campaign_id}': '888',
      '{event_name}': 'Reach Level 10',
      '{lead_id}': 'lead-42',
    },
    expected: { click_id: 'cp-trk-1', payout: '0.35', offer_id: '888', event: 'Reach Level 10', conversion_id: 'lead-42' },
    ownNames: { subid: 'cp-trk-2', payout: '0.35', event_name: 'Reach Level 10', lead_id: 'lead-43' },
  },
  {
    network: 'generic',
    fill: {
      '{click_id}': 'gn-trk-1',
      '{payout}': '1.00',
      '{amount}': '10.00',
      '{currency}': 'usd',
      '{offer_id}': '1',
      '{event}': 'sale',
      '{order_id}': 'G-1',
      '{conversion_id}': 'GC-1',
      '{status}': 'approved',
    },
    expected: {
      click_id: 'gn-trk-1',
      payout: '1.00',
      amount: '10.00',
      currency: 'USD',
      offer_id: '1',
      event: 'sale',
      order_id: 'G-1',
      conversion_id: 'GC-1',
      status: 'approved',
    },
    ownNames: { subid: 'gn-trk-2', tid: 'keitaro-tid', payout: '1.00' },
  },
];

const EXPECTED_OWN: Record<string, Record<string, string>> = {
  everflow: { click_id: 'ef-trk-2', payout: '4.20', event: 'Reach Level 10' },
  tune: { click_id: 'tu-trk-2', payout: '2.00' },
  cake: { click_id: 'ck-trk-2', payout: '3.10', order_id: 'ORD-2' },
  affise: { click_id: 'af-trk-2', payout: '1.25', status: 'pending', order_id: 'AF-ORD-2' },
  impact: { click_id: 'im-trk-2', payout: '7.50', conversion_id: '1001.2002.3004', status: 'declined' },
  scaleo: { click_id: 'sc-trk-2', payout: '0.90', status: 'approved' },
  trackier: { click_id: 'tr-trk-2', payout: '5', order_id: 'TXN-2', offer_id: '77' },
  cpalead: { click_id: 'cp-trk-2', payout: '0.35', event: 'Reach Level 10', conversion_id: 'lead-43' },
  generic: { click_id: 'gn-trk-2', payout: '1.00' },
};

async function putSource(id: string, body: Record<string, unknown>) {
  const response = await relay.request({ method: 'PUT', url: `/v1/sources/${id}`, admin: true, body });
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
  return response;
}

async function settled(id: string) {
  return eventually(
    async () => {
      const response = await relay.request({ url: `/v1/conversions/${id}`, admin: true });
      return response.status === 200 && response.body.state !== 'pending' ? response.body : undefined;
    },
    10_000,
    `conversion ${id}`,
  );
}

async function hitFor(clickId: string) {
  return eventually(async () => tracker.hits.find((hit) => hit.query.get('cid') === clickId), 10_000, `ping for ${clickId}`);
}

/** What the network does before it fires: each macro replaced by its value, URL-encoded. */
function fillIn(url: string, fill: Record<string, string>): string {
  let filled = url;
  for (const [macro, value] of Object.entries(fill)) filled = filled.split(macro).join(encodeURIComponent(value));
  return filled;
}

describe.each(CASES)('$network', ({ network, fill, expected, ownNames }) => {
  const sourceId = `src-${network}`;
  const key = `key-${network}-0123`;

  beforeAll(async () => {
    await putSource(sourceId, { key, network, default_account: 'acme' });
  });

  it('the pasted URL, filled in as the network fills it, arrives with the right fields and ping', async () => {
    const answer = await relay.request({
      url: `/v1/sources/${sourceId}/postback-url?key=${encodeURIComponent(key)}`,
      admin: true,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.network).toBe(network);
    expect(answer.body.key_included).toBe(true);
    const pasted: string = answer.body.url;
    expect(pasted.startsWith(`${PUBLIC_URL}/postback/${sourceId}?key=${encodeURIComponent(key)}&`)).toBe(true);
    expect(answer.body.notes.length).toBeGreaterThan(0);

    const fired = fillIn(pasted, fill);
    expect(fired, 'every macro in the pasted URL is one this network fills').not.toMatch(/[{}#]/);
    const response = await relay.request({ url: fired.slice(PUBLIC_URL.length) });
    expect(response.status).toBe(200);
    expect(response.body, JSON.stringify(response.body)).toEqual({ status: 'accepted', id: expect.any(String) });

    const conversion = await settled(response.body.id);
    expect(conversion.state).toBe('delivered');
    expect(conversion.account).toBe('acme');
    for (const [field, value] of Object.entries(expected)) expect(conversion[field], field).toBe(value);

    const hit = await hitFor(expected.click_id!);
    expect(hit.query.get('payout')).toBe(expected.payout);
    if (expected.status) expect(hit.query.get('status')).toBe(expected.status);
    if (expected.conversion_id) expect(hit.query.get('txid')).toBe(expected.conversion_id);
  });

  it("a postback with the network's own names is read by the preset", async () => {
    const query = new URLSearchParams({ key, ...ownNames }).toString();
    const response = await relay.request({ url: `/postback/${sourceId}?${query}` });
    expect(response.body.status, JSON.stringify(response.body)).toBe('accepted');
    const conversion = await settled(response.body.id);
    // The network's publisher number is never taken for our account.
    expect(conversion.account).toBe('acme');
    for (const [field, value] of Object.entries(EXPECTED_OWN[network]!)) expect(conversion[field], field).toBe(value);
    expect((await hitFor(EXPECTED_OWN[network]!.click_id!)).query.get('payout')).toBe(EXPECTED_OWN[network]!.payout);
  });
});

describe('network admin API', () => {
  it('GET /v1/networks lists every preset with its syntax, mapping, statuses and sources', async () => {
    const response = await relay.request({ url: '/v1/networks', admin: true });
    expect(response.status).toBe(200);
    const byId = Object.fromEntries(response.body.networks.map((n: any) => [n.id, n]));
    expect(Object.keys(byId).sort()).toEqual([
      'affise',
      'cake',
      'cpalead',
      'everflow',
      'generic',
      'impact',
      'scaleo',
      'trackier',
      'tune',
    ]);
    expect(byId.cake).toMatchObject({
      macro_syntax: '#name#',
      click_id_macro: '#s2#',
      params: { click_id: ['s2'], order_id: ['tid'] },
    });
    expect(byId.impact).toMatchObject({ case_sensitive: true, click_id_macro: '{SubId1}' });
    expect(byId.affise.status_map).toEqual({ '1': 'approved', '2': 'pending', '3': 'declined', '5': 'hold' });
    expect(byId.everflow.ignored_params).toContain('affiliate_id');
    expect(byId.everflow.sources[0].url).toMatch(/^https:\/\/helpdesk\.everflow\.io\//);
    expect((await relay.request({ url: '/v1/networks' })).status).toBe(401);
  });

  it('an unknown network is refused naming it; the source shows its network', async () => {
    const bad = await relay.request({
      method: 'PUT',
      url: '/v1/sources/bad-net',
      admin: true,
      body: { key: 'bad-net-key-1', network: 'evrflow' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([{ path: 'network', message: expect.stringContaining('unknown network "evrflow"') }]);
    expect((await relay.request({ url: '/v1/sources/bad-net', admin: true })).status).toBe(404);
    const shown = await relay.request({ url: '/v1/sources/src-everflow', admin: true });
    expect(shown.body.network).toBe('everflow');
  });

  it("explicit params win over the preset's", async () => {
    await putSource('ef-own', {
      key: 'ef-own-key-1',
      network: 'everflow',
      default_account: 'acme',
      params: { click_id: ['sub3'] },
    });
    const response = await relay.request({
      url: '/postback/ef-own?key=ef-own-key-1&sub1=not-this&sub3=ef-own-click&payout_amount=1.10',
    });
    const conversion = await settled(response.body.id);
    expect(conversion.click_id).toBe('ef-own-click');
    expect(conversion.payout).toBe('1.10');
  });

  it('without a key the URL holds a placeholder and says so; a wrong key is refused; ?network previews another preset', async () => {
    const plain = await relay.request({ url: '/v1/sources/src-cake/postback-url', admin: true });
    expect(plain.body.key_included).toBe(false);
    expect(plain.body.url).toBe(
      `${PUBLIC_URL}/postback/src-cake?key=YOUR_SOURCE_KEY&click_id=#s2#&payout=#price#&offer_id=#oid#&order_id=#tid#&conversion_id=#leadid#`,
    );
    expect(plain.body.notes[0]).toContain('YOUR_SOURCE_KEY');
    expect(plain.body.notes.join(' ')).toContain('s2');

    const wrong = await relay.request({ url: '/v1/sources/src-cake/postback-url?key=not-the-key', admin: true });
    expect(wrong.status).toBe(400);
    expect(wrong.body.details[0].path).toBe('key');

    const preview = await relay.request({ url: '/v1/sources/src-cake/postback-url?network=impact', admin: true });
    expect(preview.body.network).toBe('impact');
    expect(preview.body.url).toContain('click_id={SubId1}');
    expect(preview.body.notes.join(' ')).toContain('"network":"impact"');

    const unknown = await relay.request({ url: '/v1/sources/src-cake/postback-url?network=nope', admin: true });
    expect(unknown.status).toBe(400);
    expect((await relay.request({ url: '/v1/sources/missing/postback-url', admin: true })).status).toBe(404);
  });
});

describe('postback URL base without PUBLIC_URL', () => {
  it("uses the request's host, and X-Forwarded-Proto only behind a trusted proxy", async () => {
    const direct = await startTestRelay();
    const proxied = await startTestRelay({ http: { trustProxy: true } });
    try {
      for (const r of [direct, proxied]) {
        await r.request({ method: 'PUT', url: '/v1/sources/s1', admin: true, body: { key: 'base-key-0001' } });
      }
      const headers = { host: 'relay.internal:8080', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'pb.example.org' };
      const plain = await direct.request({ url: '/v1/sources/s1/postback-url', admin: true, headers });
      expect(plain.body.url.startsWith('http://relay.internal:8080/postback/s1?')).toBe(true);
      const behindProxy = await proxied.request({ url: '/v1/sources/s1/postback-url', admin: true, headers });
      expect(behindProxy.body.url.startsWith('https://pb.example.org/postback/s1?')).toBe(true);
    } finally {
      await direct.close();
      await proxied.close();
    }
  });
});

describe('the answers are the documented ones', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);

  /** A real answer against the JSON schema the OpenAPI document gives for it (unknown fields fail). */
  async function expectDocumented(method: string, path: string, answer: { status: number; body: unknown }) {
    const document = (await relay.request({ url: '/docs/openapi.json' })).body;
    const schema = document.paths[path]?.[method]?.responses?.[String(answer.status)]?.content?.['application/json']?.schema;
    expect(schema, `${method} ${path} documents ${answer.status}`).toBeDefined();
    const validate = ajv.compile({ ...schema, components: document.components });
    expect(validate(answer.body) ? [] : validate.errors, JSON.stringify(answer.body)).toEqual([]);
  }

  it('GET /v1/networks, GET /v1/sources/:id/postback-url and a source with its network', async () => {
    await expectDocumented('get', '/v1/networks', await relay.request({ url: '/v1/networks', admin: true }));
    const url = await relay.request({ url: '/v1/sources/src-affise/postback-url?network=cake', admin: true });
    await expectDocumented('get', '/v1/sources/{id}/postback-url', url);
    await expectDocumented('get', '/v1/sources/{id}', await relay.request({ url: '/v1/sources/src-affise', admin: true }));
  });

  it('a postback answer and a conversion with warnings', async () => {
    const answer = await relay.request({
      url: '/postback/src-generic?key=key-generic-0123&click_id=doc-w-1&payout=%7Bpayout%7D',
    });
    expect(answer.body.warnings).toHaveLength(1);
    await expectDocumented('get', '/postback/{source}', answer);
    await settled(answer.body.id);
    await expectDocumented(
      'get',
      '/v1/conversions/{id}',
      await relay.request({ url: `/v1/conversions/${answer.body.id}`, admin: true }),
    );
  });
});
