import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';

/**
 * An operator who knows the tracker is back closes its circuit by hand:
 * `reset` (and `resume`) deliver what waits on it at once, not after the
 * circuit's cooldown (a minute here) or the parked deliveries' recheck.
 */
const COOLDOWN_MS = 60_000;
let relay: TestRelay;
let tracker: Tracker;
let host: string;
let sent = 0;

type Host = { circuit: string; parked: number; paused: boolean; consecutive_failures: number };
type Conversion = { state: string; deliveries: Array<{ state: string; attempt_count: number }> };

const hostState = async (): Promise<Host> => (await relay.request({ url: `/v1/hosts/${host}`, admin: true })).body as Host;

/** Sends conversions to a failing tracker until the circuit opens and a delivery waits, parked, behind it. */
async function openCircuitWithWaiters(): Promise<string[]> {
  tracker.respond((_hit, res) => {
    res.statusCode = 503;
    res.end('down');
  });
  const ids: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    sent += 1;
    const answer = await relay.request({ url: `/postback/net?key=reset-key-1&click_id=c${sent}` });
    ids.push((answer.body as { id: string }).id);
  }
  await eventually(async () => ((await hostState()).circuit === 'open' ? true : undefined), 5_000, 'circuit open');
  // Their retries (100 ms later) find the circuit open and park.
  await eventually(async () => ((await hostState()).parked === 3 ? true : undefined), 5_000, 'deliveries parked');
  return ids;
}

async function deliveredWithin(ids: string[], ms: number): Promise<void> {
  await eventually(
    async () => {
      const states = await Promise.all(
        ids.map(async (id) => ((await relay.request({ url: `/v1/conversions/${id}`, admin: true })).body as Conversion).state),
      );
      return states.every((state) => state === 'delivered') ? true : undefined;
    },
    ms,
    'delivered',
  );
}

beforeAll(async () => {
  relay = await startTestRelay({
    delivery: {
      circuitFailureThreshold: 3,
      circuitCooldownMs: COOLDOWN_MS,
      retryDelaysMs: [100, 100, 100, 100],
      parkRecheckMs: COOLDOWN_MS,
    },
  });
  tracker = await startTracker();
  host = new URL(tracker.origin).host;
  await relay.request({
    method: 'PUT',
    url: '/v1/sources/net',
    admin: true,
    body: { key: 'reset-key-1', default_account: 'acme' },
  });
  await relay.request({
    method: 'PUT',
    url: '/v1/accounts/acme',
    admin: true,
    body: { postback: { url: `${tracker.origin}/pb?cid={click_id}` } },
  });
});

afterAll(async () => {
  await relay?.close();
  await tracker?.close();
});

describe('POST /v1/hosts/:host/reset and /resume', () => {
  it('reset closes an open circuit now and the waiting deliveries are delivered promptly', async () => {
    const ids = await openCircuitWithWaiters();
    tracker.respond((_hit, res) => res.end('OK'));
    const hitsBefore = tracker.hits.length;
    const started = Date.now();

    const reset = await relay.request({ method: 'POST', url: `/v1/hosts/${host}/reset`, admin: true });
    expect(reset.status, reset.text).toBe(200);
    expect(reset.body).toMatchObject({ host, circuit: 'closed', consecutive_failures: 0 });

    await deliveredWithin(ids, 5_000);
    expect(Date.now() - started).toBeLessThan(COOLDOWN_MS / 10);
    expect(tracker.hits.length - hitsBefore).toBe(3);
    expect(await hostState()).toMatchObject({ circuit: 'closed', parked: 0 });
  });

  it('resume closes an open circuit too', async () => {
    const ids = await openCircuitWithWaiters();
    tracker.respond((_hit, res) => res.end('OK'));
    const started = Date.now();

    const resumed = await relay.request({ method: 'POST', url: `/v1/hosts/${host}/resume`, admin: true });
    expect(resumed.status, resumed.text).toBe(200);
    expect(resumed.body).toMatchObject({ host, circuit: 'closed', paused: false });

    await deliveredWithin(ids, 5_000);
    expect(Date.now() - started).toBeLessThan(COOLDOWN_MS / 10);
  });

  it('a reset of a paused host closes its circuit but wakes nothing until resumed', async () => {
    const ids = await openCircuitWithWaiters();
    tracker.respond((_hit, res) => res.end('OK'));
    expect((await relay.request({ method: 'POST', url: `/v1/hosts/${host}/pause`, admin: true })).status).toBe(200);
    const hitsBefore = tracker.hits.length;

    const reset = await relay.request({ method: 'POST', url: `/v1/hosts/${host}/reset`, admin: true });
    expect(reset.body).toMatchObject({ circuit: 'closed', paused: true, parked: 3 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(tracker.hits.length).toBe(hitsBefore);

    expect((await relay.request({ method: 'POST', url: `/v1/hosts/${host}/resume`, admin: true })).status).toBe(200);
    await deliveredWithin(ids, 5_000);
  });

  it('answers 404 for a host never seen and 400 for a malformed one', async () => {
    expect((await relay.request({ method: 'POST', url: '/v1/hosts/never.example/reset', admin: true })).status).toBe(404);
    const bad = await relay.request({ method: 'POST', url: '/v1/hosts/bad%20host/reset', admin: true });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('host');
  });
});
