import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { createKeys } from '../../src/store/keys.js';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';

/**
 * Loopback addresses 127.0.0.2, 127.0.0.3 … are separate tracker hosts, so
 * per-host isolation is exercised for real.
 */
let dead: Tracker;
let healthy: Tracker;
const relays: TestRelay[] = [];

beforeAll(async () => {
  dead = await startTracker('127.0.0.2');
  healthy = await startTracker('127.0.0.3');
  dead.respond(() => undefined); // accepts, never answers
});
afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.close();
}, 60_000);
afterAll(async () => {
  await dead?.close();
  await healthy?.close();
});

async function setUp(overrides: Parameters<typeof startTestRelay>[0]) {
  const relay = await startTestRelay(overrides);
  relays.push(relay);
  await relay.request({ method: 'PUT', url: '/v1/sources/s', admin: true, body: { key: 'source-key-1' } });
  await relay.request({
    method: 'PUT',
    url: '/v1/accounts/dead',
    admin: true,
    body: { postback: { url: `${dead.origin}/pb?cid={click_id}` } },
  });
  await relay.request({
    method: 'PUT',
    url: '/v1/accounts/ok',
    admin: true,
    body: { postback: { url: `${healthy.origin}/pb?cid={click_id}` } },
  });
  return relay;
}

async function send(relay: TestRelay, account: string, clickId: string): Promise<string> {
  const response = await relay.request({ url: `/postback/s?key=source-key-1&account=${account}&click_id=${clickId}` });
  expect(response.body.status).toBe('accepted');
  return response.body.id;
}

async function host(relay: TestRelay, origin: string) {
  const response = await relay.request({ url: `/v1/hosts/${new URL(origin).host}`, admin: true });
  return response.body;
}

/** Waits until the conversion's state is `delivered`. */
async function delivered(relay: TestRelay, id: string): Promise<void> {
  await eventually(async () =>
    (await relay.request({ url: `/v1/conversions/${id}`, admin: true })).body.state === 'delivered' ? true : undefined,
  );
}

/** Jobs added to the retries queue so far: a parked delivery adds one, waiting in process none. */
async function retryJobsAdded(relay: TestRelay): Promise<number> {
  const redis = new Redis({ path: inject('redisUrl').slice('unix://'.length) });
  const events = await redis.xrange(`${createKeys(relay.config.redis.keyPrefix).queuePrefix}:retries:events`, '-', '+');
  redis.disconnect();
  return events.filter(([, fields]) => fields[1] === 'added').length;
}

describe('per-host isolation', () => {
  it('a hanging host with a large parked backlog does not delay a healthy host', async () => {
    const relay = await setUp({
      // The dead host's attempts must not time out during the test, so the backlog stays exactly parked + in flight.
      delivery: { hostConcurrency: 4, timeoutMs: 100_000, circuitFailureThreshold: 1_000_000, retryDelaysMs: [60_000] },
    });
    const backlog = 3_000;
    for (let start = 0; start < backlog; start += 200) {
      await Promise.all(Array.from({ length: 200 }, (_, i) => send(relay, 'dead', `dead-${start + i}`)));
    }
    // Every dead-host delivery is either holding one of its 4 slots or parked.
    await eventually(
      async () => {
        const status = await host(relay, dead.origin);
        return status.parked + status.in_flight === backlog ? status : undefined;
      },
      30_000,
      'the backlog to be parked',
    );
    const status = await host(relay, dead.origin);
    expect(status.in_flight).toBe(4);
    expect(dead.hits.length).toBe(4);

    const sentAt = Date.now();
    await send(relay, 'ok', 'healthy-1');
    const [hit] = await healthy.waitForHits(1, 5_000);
    expect(hit!.at - sentAt).toBeLessThan(1_000);
  }, 90_000);

  it('opens the circuit after consecutive failures, probes after the cooldown and closes on success', async () => {
    const relay = await setUp({
      delivery: { circuitFailureThreshold: 3, circuitCooldownMs: 800, retryDelaysMs: [50, 50, 50, 50, 50, 50], timeoutMs: 1_000 },
    });
    let failing = true;
    healthy.respond((_hit, res) => {
      res.statusCode = failing ? 503 : 200;
      res.end();
    });
    const id = await send(relay, 'ok', 'circuit-1');
    await eventually(
      async () => ((await host(relay, healthy.origin)).circuit === 'open' ? true : undefined),
      5_000,
      'circuit open',
    );
    const open = await host(relay, healthy.origin);
    expect(open.consecutive_failures).toBe(3);
    expect(open.last_error).toMatch(/503/);
    const hitsWhenOpened = healthy.hits.length;
    // While open, nothing is sent and the delivery waits visibly without spending attempts.
    await new Promise((r) => setTimeout(r, 300));
    expect(healthy.hits.length).toBe(hitsWhenOpened);
    const waiting = (await relay.request({ url: `/v1/conversions/${id}`, admin: true })).body.deliveries[0];
    expect(waiting.state).toBe('retrying');
    expect(waiting.attempt_count).toBe(3);
    const metrics = await relay.request({ url: '/metrics' });
    expect(metrics.text).toContain(`postback_relay_host_circuit_state{host="${new URL(healthy.origin).host}",state="open"} 1`);
    // The half-open probe is a delayed job of its own, due when the cooldown ends.
    const redis = new Redis({ path: inject('redisUrl').slice('unix://'.length) });
    const delayed = await redis.zrange(`${createKeys(relay.config.redis.keyPrefix).queuePrefix}:retries:delayed`, 0, -1);
    redis.disconnect();
    expect(delayed.filter((jobId) => jobId.startsWith('probe-'))).toHaveLength(1);

    failing = false;
    await eventually(
      async () => {
        const body = (await relay.request({ url: `/v1/conversions/${id}`, admin: true })).body;
        return body.state === 'delivered' ? body : undefined;
      },
      5_000,
      'delivery after the probe',
    );
    expect((await host(relay, healthy.origin)).circuit).toBe('closed');
    healthy.respond((_hit, res) => res.end('OK'));
  });

  it('lets deliveries to a busy but responsive host wait for a slot instead of parking them', async () => {
    const relay = await setUp({ delivery: { hostConcurrency: 1, hostBusyWaitMs: 2_000 } });
    healthy.respond((_hit, res) => setTimeout(() => res.end('OK'), 20));
    // One delivery first, so this process has seen the host free a slot.
    const warm = await send(relay, 'ok', 'busy-warm');
    await delivered(relay, warm);
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => send(relay, 'ok', `busy-${i}`)));
    for (const id of ids) {
      await delivered(relay, id);
    }
    // Parking would have put jobs in the retries queue; waiting in process puts none there.
    expect(await retryJobsAdded(relay)).toBe(0);
    healthy.respond((_hit, res) => res.end('OK'));
  });

  it('keeps waiting for a busy host while it keeps answering, past busyWaitMs in all', async () => {
    // Twenty deliveries through one slot at ~30 ms each take ~600–800 ms, about three times
    // busyWaitMs: each waits while the host frees the slot every ~30 ms, so none is parked.
    const relay = await setUp({ delivery: { hostConcurrency: 1, hostBusyWaitMs: 250 } });
    healthy.respond((_hit, res) => setTimeout(() => res.end('OK'), 30));
    const warm = await send(relay, 'ok', 'steady-warm');
    await delivered(relay, warm);
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => send(relay, 'ok', `steady-${i}`)));
    for (const id of ids) {
      await delivered(relay, id);
    }
    expect(await retryJobsAdded(relay)).toBe(0);
    healthy.respond((_hit, res) => res.end('OK'));
  });

  it('pauses a host (deliveries wait) and resumes it (they go)', async () => {
    const relay = await setUp({});
    const hostName = new URL(healthy.origin).host;
    const paused = await relay.request({ method: 'POST', url: `/v1/hosts/${hostName}/pause`, admin: true });
    expect(paused.body.paused).toBe(true);
    const before = healthy.hits.length;
    const ids = [await send(relay, 'ok', 'paused-1'), await send(relay, 'ok', 'paused-2')];
    await eventually(async () => ((await host(relay, healthy.origin)).parked === 2 ? true : undefined), 5_000, 'parked');
    expect(healthy.hits.length).toBe(before);
    const listed = await relay.request({ url: '/v1/hosts', admin: true });
    expect(listed.body.hosts.find((h: { host: string }) => h.host === hostName)).toMatchObject({ paused: true, parked: 2 });

    await relay.request({ method: 'POST', url: `/v1/hosts/${hostName}/resume`, admin: true });
    for (const id of ids) {
      await delivered(relay, id);
    }
    expect((await relay.request({ url: '/v1/hosts/nope:1', admin: true })).status).toBe(404);
    expect((await relay.request({ method: 'POST', url: '/v1/hosts/bad%20host/pause', admin: true })).status).toBe(400);
  });

  it('a pause through the API stops the lease block this process holds on the host at once', async () => {
    const relay = await setUp({});
    const hostName = new URL(healthy.origin).host;
    // One delivery first: this process's worker now holds a block of the host's slots, and
    // would hand the next ones out without asking Redis until its next check.
    const warm = await send(relay, 'ok', 'block-warm');
    await delivered(relay, warm);
    await relay.request({ method: 'POST', url: `/v1/hosts/${hostName}/pause`, admin: true });
    const before = healthy.hits.length;
    await send(relay, 'ok', 'block-paused-1');
    await send(relay, 'ok', 'block-paused-2');
    await eventually(async () => ((await host(relay, healthy.origin)).parked === 2 ? true : undefined), 5_000, 'parked');
    expect(healthy.hits.length).toBe(before);
    await relay.request({ method: 'POST', url: `/v1/hosts/${hostName}/resume`, admin: true });
    await healthy.waitForHits(before + 2, 10_000);
  });

  it('honours Retry-After on 429, never earlier than the schedule', async () => {
    const relay = await setUp({ delivery: { retryDelaysMs: [50, 50] } });
    let calls = 0;
    healthy.respond((_hit, res) => {
      calls += 1;
      if (calls === 1) {
        res.statusCode = 429;
        res.setHeader('retry-after', '1');
      }
      res.end();
    });
    const id = await send(relay, 'ok', 'slow-down');
    const body = await eventually(async () => {
      const b = (await relay.request({ url: `/v1/conversions/${id}`, admin: true })).body;
      return b.state === 'delivered' ? b : undefined;
    }, 5_000);
    const [first, second] = body.deliveries[0].attempts;
    expect(first.status).toBe(429);
    expect(Date.parse(second.at) - Date.parse(first.at)).toBeGreaterThanOrEqual(950);
    healthy.respond((_hit, res) => res.end('OK'));
  });
});
