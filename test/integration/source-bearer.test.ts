import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from '../helpers/relay-harness.js';

let relay: TestRelay;

beforeAll(async () => {
  relay = await startTestRelay();
  const put = await relay.request({
    method: 'PUT',
    url: '/v1/sources/net1',
    admin: true,
    body: { key: 'source-key-0123456789' },
  });
  expect(put.status).toBeLessThan(300);
});

afterAll(async () => {
  await relay?.close();
});

describe('a source key in Authorization', () => {
  it.each(['Bearer', 'bearer', 'BEARER'])('is read with the scheme written %s', async (scheme) => {
    const response = await relay.request({
      url: '/postback/net1?click_id=c1',
      headers: { authorization: `${scheme} source-key-0123456789` },
    });
    expect(response.status, response.text).toBe(200);
  });

  it('is refused when wrong, whatever the case of the scheme', async () => {
    const response = await relay.request({ url: '/postback/net1?click_id=c1', headers: { authorization: 'bearer wrong-key' } });
    expect(response.status).toBe(401);
  });
});
