import { expect } from 'vitest';
import { startTestRelay, uniquePrefix, type TestRelay } from './relay-harness.js';

type Overrides = Parameters<typeof startTestRelay>[0];

/**
 * Two relays on one Redis and key prefix (two workers sharing the per-host
 * limits), with source `net` (key `sourceKey`, default account `acme`) whose
 * conversions are pinged to `trackerOrigin`.
 */
export async function startTwoWorkers(overrides: Overrides, trackerOrigin: string, sourceKey: string): Promise<TestRelay[]> {
  const prefix = uniquePrefix();
  const relays = [await startTestRelay(overrides, prefix), await startTestRelay(overrides, prefix)];
  await relays[0]!.request({
    method: 'PUT',
    url: '/v1/sources/net',
    admin: true,
    body: { key: sourceKey, default_account: 'acme' },
  });
  await relays[0]!.request({
    method: 'PUT',
    url: '/v1/accounts/acme',
    admin: true,
    body: { postback: { url: `${trackerOrigin}/pb?cid={click_id}` } },
  });
  return relays;
}

/** Sends `count` postbacks at once, alternating between the relays, and checks each was accepted. */
export async function sendAlternating(relays: TestRelay[], sourceKey: string, count: number, clickPrefix: string): Promise<void> {
  const answers = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      relays[i % relays.length]!.request({ url: `/postback/net?key=${sourceKey}&click_id=${clickPrefix}-${i}` }),
    ),
  );
  expect(answers.every((answer) => (answer.body as { status?: string }).status === 'accepted')).toBe(true);
}
