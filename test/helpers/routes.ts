import { expect } from 'vitest';
import { startTestRelay, uniquePrefix, type TestRelay } from './relay-harness.js';

type Overrides = Parameters<typeof startTestRelay>[0];

/**
 * Source `net` (key `sourceKey`, default account `account`) and that
 * account's global postback to `trackerOrigin`, `/pb?cid={click_id}`: the
 * route most end-to-end tests send through.
 */
export async function routeNetToTracker(
  relay: TestRelay,
  sourceKey: string,
  account: string,
  trackerOrigin: string,
): Promise<void> {
  await relay.request({ method: 'PUT', url: '/v1/sources/net', admin: true, body: { key: sourceKey, default_account: account } });
  await relay.request({
    method: 'PUT',
    url: `/v1/accounts/${account}`,
    admin: true,
    body: { postback: { url: `${trackerOrigin}/pb?cid={click_id}` } },
  });
}

/**
 * Two relays on one Redis and key prefix (two workers sharing the per-host
 * limits), routed as `routeNetToTracker` does with account `acme`.
 */
export async function startTwoWorkers(overrides: Overrides, trackerOrigin: string, sourceKey: string): Promise<TestRelay[]> {
  const prefix = uniquePrefix();
  const relays = [await startTestRelay(overrides, prefix), await startTestRelay(overrides, prefix)];
  await routeNetToTracker(relays[0]!, sourceKey, 'acme', trackerOrigin);
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
