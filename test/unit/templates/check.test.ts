import { describe, expect, it } from 'vitest';
import { NO_CLICK_ID_WARNING, checkTemplate } from '../../../src/templates/index.js';

const NOT_URL = 'must be an absolute http or https URL';

describe('checkTemplate', () => {
  it('states the click-id warning in the contract wording', () => {
    expect(NO_CLICK_ID_WARNING).toBe(
      'no click id macro ({click_id} or an alias): the tracker will have nothing to match the conversion on',
    );
  });

  it.each([
    ['https://t.example/pb?cid={click_id}&payout={payout}'],
    ['http://t.example/pb?cid={click_id}'],
    ['HTTPS://t.example/pb?cid={click_id}'],
    ['https://t.example:8443/pb/{click_id}/{event}'],
    ['https://{account}.t.example/pb?cid={click_id}'],
    ['https://127.0.0.1/pb?cid={click_id}'],
    ['https://t.example/pb?cid={tid}'],
    ['https://t.example/pb?cid={clickid}'],
    ['https://t.example/pb?cid={cid}'],
    ['https://t.example/pb?cid={transaction_id}'],
  ])('accepts %s without warnings', (text) => {
    expect(checkTemplate(text)).toEqual({ ok: true, warnings: [] });
  });

  it.each([
    ['https://t.example/pb'],
    ['https://t.example/pb?payout={payout}&goal={goal}'],
    ['https://t.example/pb?cid={conversion_id}&tx={txid}'],
  ])('accepts %s with the no-click-id warning', (text) => {
    expect(checkTemplate(text)).toEqual({ ok: true, warnings: [NO_CLICK_ID_WARNING] });
  });

  it.each([
    ['https://t.example/pb?cid={clik_id}', 'unknown macro {clik_id}'],
    ['https://t.example/pb?cid={CLICK_ID}', 'unknown macro {CLICK_ID}'],
    ['https://t.example/pb?cid={click_id}&x={__proto__}', 'unknown macro {__proto__}'],
    ['ftp://t.example/pb?cid={click_id}', NOT_URL],
    ['/pb?cid={click_id}', NOT_URL],
    ['t.example/pb?cid={click_id}', NOT_URL],
    ['//t.example/pb?cid={click_id}', NOT_URL],
    ['{click_id}', NOT_URL],
    ['javascript:alert(1)//{click_id}', NOT_URL],
    ['https:/t.example/pb?cid={click_id}', NOT_URL],
    ['https:t.example/pb?cid={click_id}', NOT_URL],
    ['https:///pb?cid={click_id}', NOT_URL],
    ['https://?cid={click_id}', NOT_URL],
    ['https://t.example:99999/?cid={click_id}', NOT_URL],
    ['https://t.example/pb?cid={click_id}\n', 'must not contain spaces or control characters'],
    [' https://t.example/pb?cid={click_id}', 'must not contain spaces or control characters'],
    ['https://t.example/p b?cid={click_id}', 'must not contain spaces or control characters'],
    ['', 'must not be empty'],
  ])('rejects %j: %s', (text, message) => {
    expect(checkTemplate(text)).toEqual({ ok: false, message });
  });

  it('rejects text longer than 2048 characters and accepts exactly 2048', () => {
    const prefix = 'https://t.example/?cid={click_id}&pad=';
    const exact = prefix + 'a'.repeat(2048 - prefix.length);
    expect(exact).toHaveLength(2048);
    expect(checkTemplate(exact)).toEqual({ ok: true, warnings: [] });
    const over = exact + 'a';
    const result = checkTemplate(over);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toMatch(/2048/);
  });

  it('names the unknown macro even when the URL is also bad', () => {
    expect(checkTemplate('ftp://x/{clik_id}')).toEqual({ ok: false, message: 'unknown macro {clik_id}' });
  });
});
