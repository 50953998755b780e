import { describe, expect, it } from 'vitest';
import { findNetwork } from '../../../src/networks/presets.js';
import { KEY_PLACEHOLDER, publicBase, renderPostbackUrl } from '../../../src/networks/postback-url.js';

describe('renderPostbackUrl', () => {
  it('writes the network macros literally and our parts encoded', () => {
    const rendered = renderPostbackUrl({
      base: 'https://relay.example.com/',
      sourceId: 'cake-1',
      key: 'k&y=1',
      preset: findNetwork('cake')!,
    });
    expect(rendered.url).toBe(
      'https://relay.example.com/postback/cake-1?key=k%26y%3D1&click_id=#s2#&payout=#price#&offer_id=#oid#&order_id=#tid#&conversion_id=#leadid#',
    );
    expect(rendered.parameters).toEqual({
      click_id: '#s2#',
      payout: '#price#',
      offer_id: '#oid#',
      order_id: '#tid#',
      conversion_id: '#leadid#',
    });
  });

  it('keeps Impact macros in their case', () => {
    const { url } = renderPostbackUrl({
      base: 'https://r.example',
      sourceId: 'imp',
      key: 'secret-1',
      preset: findNetwork('impact')!,
    });
    expect(url).toContain('click_id={SubId1}&payout={Payout}&amount={Amount}');
  });

  it('puts a placeholder and a note where the key goes when it is not known', () => {
    const rendered = renderPostbackUrl({ base: 'https://r.example', sourceId: 'ef', preset: findNetwork('everflow')! });
    expect(rendered.url).toMatch(new RegExp(`^https://r\\.example/postback/ef\\?key=${KEY_PLACEHOLDER}&click_id=\\{sub1\\}`));
    expect(rendered.notes[0]).toContain(KEY_PLACEHOLDER);
  });
});

describe('publicBase', () => {
  it('prefers PUBLIC_URL, without its trailing slash', () => {
    expect(publicBase('https://relay.example.com/base/', { protocol: 'http', host: '10.0.0.1:8080' })).toBe(
      'https://relay.example.com/base',
    );
  });

  it("else the request's protocol and host", () => {
    expect(publicBase(undefined, { protocol: 'https', host: 'relay.example.net:8443' })).toBe('https://relay.example.net:8443');
  });
});
