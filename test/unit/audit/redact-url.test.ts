import { describe, expect, it } from 'vitest';
import { redactRequestTarget, redactUrl } from '../../../src/audit/redact-url.js';

describe('redactUrl', () => {
  it.each([
    ['https://t.example/pb?cid=1&key=abc', 'https://t.example/pb?cid=1&key=***'],
    ['https://t.example/pb?api_key=abc&token=def&payout=1.50', 'https://t.example/pb?api_key=***&token=***&payout=1.50'],
    ['https://t.example/pb?Secret=x&sig=y#frag', 'https://t.example/pb?Secret=***&sig=***#frag'],
    ['https://user:pass@t.example/pb?cid=1', 'https://***@t.example/pb?cid=1'],
    ['https://t.example/pb?cid=a%26b&flag', 'https://t.example/pb?cid=a%26b&flag'],
    ['https://t.example/pb', 'https://t.example/pb'],
    ['https://t.example?cid=1&token=x', 'https://t.example?cid=1&token=***'],
    ['https://t.example/pb?%6Bey=abc&cid=1', 'https://t.example/pb?%6Bey=***&cid=1'],
    ['https://tok@t.example:8443/a@b?x=1', 'https://***@t.example:8443/a@b?x=1'],
    ['https://t.example/pb#?key=frag-not-query', 'https://t.example/pb#?key=frag-not-query'],
    ['https://t.example/pb?cid=%E4%B8%AD&key=%zz', 'https://t.example/pb?cid=%E4%B8%AD&key=***'],
    ['not a url', 'not a url'],
  ])('%s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it('keeps the text as sent where there is nothing to hide', () => {
    const sent = 'https://T.example/p%41th?cid=a+b&payout=1.50&sub1=%7Bx%7D';
    expect(redactUrl(sent)).toBe(sent);
  });

  it('leaves values that only look like secrets in other parameters alone', () => {
    expect(redactUrl('https://t.example/pb?cid=key&keyword=x')).toBe('https://t.example/pb?cid=key&keyword=x');
  });
});

describe('redactRequestTarget', () => {
  it.each([
    ['/postback/net?key=abc&click_id=1', '/postback/net?key=***&click_id=1'],
    ['/postback/net?click_id=1&%6Bey=abc', '/postback/net?click_id=1&%6Bey=***'],
    ['/postback/net?click_id=1&key', '/postback/net?click_id=1&key'],
    ['/v1/sources', '/v1/sources'],
    ['/v1/sources?', '/v1/sources?'],
  ])('%s -> %s', (target, expected) => {
    expect(redactRequestTarget(target)).toBe(expected);
  });
});
