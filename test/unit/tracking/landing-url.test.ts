import { describe, expect, it } from 'vitest';
import { checkLandingTemplate, NO_TRANSACTION_ID_WARNING, renderLandingUrl } from '../../../src/tracking/landing-url.js';

describe('checkLandingTemplate', () => {
  it.each([
    ['https://store.example/land?ref={transaction_id}'],
    ['https://store.example/land?ref={tid}&o={offer_id}&a={account}'],
    ['https://store.example/{offer_id}/land?cid={click_id}&s1={sub1}&s2={sub2}&s3={sub3}&s4={sub4}&s5={sub5}'],
    ['https://store.example/land?c={clickid}&c2={cid}&aff={aff_id}'],
  ])('accepts %s without warnings', (text) => {
    expect(checkLandingTemplate(text)).toEqual({ ok: true, warnings: [] });
  });

  it('warns when the landing page would never learn the transaction id', () => {
    expect(checkLandingTemplate('https://store.example/land?s={sub1}')).toEqual({
      ok: true,
      warnings: [NO_TRANSACTION_ID_WARNING],
    });
  });

  it('refuses conversion-time macros, naming each as written', () => {
    const result = checkLandingTemplate('https://s.example/?t={transaction_id}&p={payout}&g={goal}&p2={payout}');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toMatch(/^\{payout\}, \{goal\} are not known at click time; a landing URL may use \{transaction_id\}/);
  });

  it.each([
    ['https://s.example/?t={transaction_id}&x={clik_id}', 'unknown macro {clik_id}'],
    ['ftp://s.example/?t={transaction_id}', 'must be an absolute http or https URL'],
    ['https://s.example/ x?t={transaction_id}', 'must not contain spaces or control characters'],
    ['', 'must not be empty'],
  ])('rejects %j: %s', (text, message) => {
    expect(checkLandingTemplate(text)).toEqual({ ok: false, message });
  });
});

describe('renderLandingUrl', () => {
  it('substitutes the transaction id, offer, account and sub ids, percent-encoded, keeping literal text', () => {
    const url = renderLandingUrl('https://s.example/{offer_id}?ref={transaction_id}&a={aff_id}&s1={sub1}&s2={sub2}&fixed=a%20b', {
      transactionId: 'Abc-_123',
      offerId: 'o.42',
      account: 'aff1',
      sub1: 'x&payout=9 ü',
    });
    expect(url).toBe('https://s.example/o.42?ref=Abc-_123&a=aff1&s1=x%26payout%3D9%20%C3%BC&s2=&fixed=a%20b');
    expect(new URL(url).searchParams.get('s1')).toBe('x&payout=9 ü');
  });
});
