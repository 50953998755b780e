import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../../src/audit/redact-url.js';

describe('redactUrl', () => {
  it.each([
    ['https://t.example/pb?cid=1&key=abc', 'https://t.example/pb?cid=1&key=***'],
    ['https://t.example/pb?api_key=abc&token=def&payout=1.50', 'https://t.example/pb?api_key=***&token=***&payout=1.50'],
    ['https://t.example/pb?Secret=x&sig=y#frag', 'https://t.example/pb?Secret=***&sig=***#frag'],
    ['https://user:pass@t.example/pb?cid=1', 'https://***@t.example/pb?cid=1'],
    ['https://t.example/pb?cid=a%26b&flag', 'https://t.example/pb?cid=a%26b&flag'],
    ['https://t.example/pb', 'https://t.example/pb'],
  ])('%s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it('leaves values that only look like secrets in other parameters alone', () => {
    expect(redactUrl('https://t.example/pb?cid=key&keyword=x')).toBe('https://t.example/pb?cid=key&keyword=x');
  });
});
