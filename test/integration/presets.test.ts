import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { stableConversionId } from '../../src/domain/conversion-id.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';

let relay: TestRelay;
let tracker: Tracker;

beforeAll(async () => {
  relay = await startTestRelay();
  tracker = await startTracker();
  const source = await relay.request({ method: 'PUT', url: '/v1/sources/net1', admin: true, body: { key: 'source-key-1' } });
  expect(source.status).toBeLessThan(300);
});

afterAll(async () => {
  await relay?.close();
  await tracker?.close();
});

async function postback(query: string) {
  const response = await relay.request({ url: `/postback/net1?key=source-key-1&${query}` });
  expect(response.body.status, JSON.stringify(response.body)).toBe('accepted');
  return eventually(
    async () => {
      const found = await relay.request({ url: `/v1/conversions/${response.body.id}`, admin: true });
      return found.status === 200 && found.body.state !== 'pending' ? found.body : undefined;
    },
    10_000,
    `conversion ${response.body.id} to settle`,
  );
}

describe('tracker presets in accounts', () => {
  it('expands a preset into the plain template, shown by PUT and GET and editable after', async () => {
    const put = await relay.request({
      method: 'PUT',
      url: '/v1/accounts/trk',
      admin: true,
      body: {
        postback: {
          url: { preset: 'voluum', base_url: `${tracker.origin}/` },
          events: { lead: [{ preset: 'binom', base_url: `${tracker.origin}/binom` }] },
        },
        offers: { '42': { url: { preset: 'keitaro', base_url: `${tracker.origin}/k3y` } } },
      },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    const expected = {
      id: 'trk',
      postback: {
        url: `${tracker.origin}/postback?cid={click_id}&payout={payout}&txid={conversion_id}`,
        events: { lead: [`${tracker.origin}/binom/click.php?cnv_id={click_id}&payout={payout}&cnv_status={status}`] },
      },
      offers: {
        '42': { url: `${tracker.origin}/k3y/postback?subid={click_id}&status={status}&payout={payout}&tid={conversion_id}` },
      },
    };
    expect(put.body).toEqual(expected);
    expect((await relay.request({ url: '/v1/accounts/trk', admin: true })).body).toEqual(expected);

    // The stored template is plain text: an edit is an ordinary PUT of a string.
    const { id: _id, ...stored } = expected;
    const edited = { ...stored, postback: { ...stored.postback, url: `${stored.postback.url}&et={event}` } };
    const again = await relay.request({ method: 'PUT', url: '/v1/accounts/trk', admin: true, body: edited });
    expect(again.status).toBe(200);
    expect((await relay.request({ url: '/v1/accounts/trk', admin: true })).body.postback.url).toBe(
      `${tracker.origin}/postback?cid={click_id}&payout={payout}&txid={conversion_id}&et={event}`,
    );
  });

  it('delivers to the tracker with the preset parameter names', async () => {
    await relay.request({
      method: 'PUT',
      url: '/v1/accounts/pre',
      admin: true,
      body: {
        postback: {
          url: { preset: 'redtrack', base_url: tracker.origin },
          events: { lead: { preset: 'binom', base_url: `${tracker.origin}/click.php` } },
        },
        offers: { '42': { url: { preset: 'keitaro', base_url: `${tracker.origin}/k3y/postback` } } },
      },
    });

    const global = await postback('click_id=rt-1&payout=2.50&account=pre&conversion_id=cv-1');
    expect(global.state).toBe('delivered');
    const redtrack = tracker.hits.find((h) => h.query.get('clickid') === 'rt-1');
    expect(redtrack?.url.split('?')[0]).toBe('/postback');
    expect(Object.fromEntries(redtrack!.query)).toEqual({ clickid: 'rt-1', sum: '2.50', rdtk_event_id: 'cv-1' });

    const lead = await postback('click_id=bn-1&payout=0.40&event=lead&status=hold&account=pre');
    expect(lead.state).toBe('delivered');
    const binom = tracker.hits.find((h) => h.query.get('cnv_id') === 'bn-1');
    expect(binom?.url.split('?')[0]).toBe('/click.php');
    expect(Object.fromEntries(binom!.query)).toEqual({ cnv_id: 'bn-1', payout: '0.40', cnv_status: 'hold' });

    const offer = await postback('click_id=kt-1&payout=5&offer_id=42&status=sale&account=pre');
    expect(offer.state).toBe('delivered');
    const keitaro = tracker.hits.find((h) => h.query.get('subid') === 'kt-1');
    expect(keitaro?.url.split('?')[0]).toBe('/k3y/postback');
    // No conversion or order id from the sender: the transaction id is derived from source, click and event.
    const tid = stableConversionId({ id: offer.id, source: 'net1', click_id: 'kt-1', event: 'conversion' });
    expect(Object.fromEntries(keitaro!.query)).toEqual({ subid: 'kt-1', status: 'sale', payout: '5', tid });
  });

  it('prosper202: a numeric click id reaches gpb.php as subid, the payout as amount', async () => {
    const put = await relay.request({
      method: 'PUT',
      url: '/v1/accounts/p202',
      admin: true,
      body: { postback: { url: { preset: 'prosper202', base_url: `${tracker.origin}/p202` } } },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    // As gpb.php answers: 404 "SubID not found" unless subid is numeric, else 202.
    tracker.respond((hit, res) => {
      const ok = hit.url.startsWith('/p202/tracking202/static/gpb.php?') && /^\d+$/.test(hit.query.get('subid') ?? '');
      res.statusCode = ok ? 202 : 404;
      res.end(
        ok ? '{"error":false,"code":202,"msg":"Postback successful"}' : '{"error":true,"code":404,"msg":"SubID not found"}',
      );
    });
    try {
      const before = tracker.hits.length;
      const conversion = await postback('click_id=4815162342&payout=3.25&account=p202');
      expect(conversion.state).toBe('delivered');
      const hit = tracker.hits[before]!;
      expect(hit.url).toBe(`/p202/tracking202/static/gpb.php?subid=4815162342&amount=3.25&txid=${hit.query.get('txid')}`);
      expect(hit.query.get('txid')).toBeTruthy();
    } finally {
      tracker.respond((_hit, res) => res.end('OK'));
    }
  });

  it('answers 400 invalid_account naming the path of an unknown preset or a bad base, and saves nothing', async () => {
    const unknown = await relay.request({
      method: 'PUT',
      url: '/v1/accounts/badpreset',
      admin: true,
      body: { offers: { '42': { url: { preset: 'voloom', base_url: tracker.origin } } } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({
      error: 'invalid_account',
      details: [
        {
          path: 'offers.42.url',
          message: 'unknown preset "voloom"; known: voluum, redtrack, bemob, binom, keitaro, clickflare, prosper202',
        },
      ],
    });

    const badBase = await relay.request({
      method: 'PUT',
      url: '/v1/accounts/badpreset',
      admin: true,
      body: {
        postback: {
          events: { sale: ['https://t.example/pb?cid={click_id}', { preset: 'voluum', base_url: 'ftp://trk.example.com' }] },
        },
        offers: { '9': { url: { preset: 'keitaro', base_url: 'https://trk.example.com' } } },
      },
    });
    expect(badBase.status).toBe(400);
    expect(badBase.body.error).toBe('invalid_account');
    expect(badBase.body.details).toEqual([
      {
        path: 'postback.events.sale.1',
        message: expect.stringContaining('base_url "ftp://trk.example.com" must be an absolute http or https URL'),
      },
      { path: 'offers.9.url', message: expect.stringContaining('keitaro base_url must include the postback key') },
    ]);
    expect((await relay.request({ url: '/v1/accounts/badpreset', admin: true })).status).toBe(404);
  });
});
