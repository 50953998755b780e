import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { spawnRelay, writeConfigFile, type RelayProcess } from '../helpers/relay-process.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';
import { uniquePrefix, eventually } from '../helpers/relay-harness.js';

/** These tests run the relay as a real process, the way it is deployed, and kill it. */
let tracker: Tracker;
const running: RelayProcess[] = [];

beforeAll(async () => {
  tracker = await startTracker();
});
afterEach(async () => {
  for (const relay of running.splice(0)) {
    if (relay.child.exitCode === null) relay.child.kill('SIGKILL');
    await relay.exited;
  }
});
afterAll(async () => {
  await tracker?.close();
});

function relayEnv(redisUrl: string, prefix: string, extra: Record<string, unknown> = {}): Record<string, string> {
  return {
    REDIS_URL: redisUrl,
    DELIVERY_ALLOW_CIDRS: '127.0.0.0/8',
    RELAY_CONFIG: writeConfigFile({
      redis: { keyPrefix: prefix },
      worker: { lockDurationMs: 2_000, stalledIntervalMs: 1_000, shutdownGraceMs: 5_000 },
      delivery: { retryDelaysMs: [200, 400] },
      audit: { log: 'off', retentionMs: 3_600_000 },
      ...extra,
    }),
  };
}

async function start(env: Record<string, string>): Promise<RelayProcess> {
  const relay = await spawnRelay(env);
  running.push(relay);
  return relay;
}

async function configure(relay: RelayProcess, path: string): Promise<void> {
  expect(
    (
      await relay.fetch('/v1/sources/net', {
        method: 'PUT',
        admin: true,
        body: JSON.stringify({ key: 'source-key-1', default_account: 'a' }),
      })
    ).status,
  ).toBeLessThan(300);
  const account = { postback: { url: `${tracker.origin}/${path}?cid={click_id}` } };
  expect(
    (await relay.fetch('/v1/accounts/a', { method: 'PUT', admin: true, body: JSON.stringify(account) })).status,
  ).toBeLessThan(300);
}

async function postback(relay: RelayProcess, clickId: string): Promise<string> {
  const response = await relay.fetch(`/postback/net?key=source-key-1&click_id=${clickId}`);
  expect(response.body.status).toBe('accepted');
  return response.body.id;
}

async function stateOf(relay: RelayProcess, id: string): Promise<any> {
  return (await relay.fetch(`/v1/conversions/${id}`, { admin: true })).body;
}

describe('crash and shutdown', () => {
  it('re-delivers after kill -9 mid-delivery (at-least-once), within the lock time', async () => {
    const prefix = uniquePrefix();
    const env = relayEnv(inject('redisUrl'), prefix);
    const first = await start(env);
    await configure(first, 'crash');
    let hits = 0;
    tracker.respond((hit, res) => {
      if (!hit.url.startsWith('/crash')) return void res.end('OK');
      hits += 1;
      if (hits === 1) return; // the first ping hangs while the relay is killed
      res.end('OK');
    });
    const id = await postback(first, 'crash-1');
    await eventually(async () => (hits >= 1 ? true : undefined), 10_000, 'first ping');
    first.child.kill('SIGKILL');
    await first.exited;

    const killedAt = Date.now();
    const second = await start(env);
    const delivered = await eventually(
      async () => {
        const body = await stateOf(second, id);
        return body.state === 'delivered' ? body : undefined;
      },
      30_000,
      'redelivery after the crash',
    );
    expect(hits).toBe(2);
    expect(Date.now() - killedAt).toBeLessThan(60_000);
    expect(delivered.deliveries[0].attempts.at(-1).status).toBe(200);
  });

  it('keeps conversions answered 200 by a receiver killed before any worker ran', async () => {
    const prefix = uniquePrefix();
    const receiver = await start({ ...relayEnv(inject('redisUrl'), prefix), RELAY_ROLE: 'receiver' });
    await configure(receiver, 'queued');
    tracker.respond((_hit, res) => res.end('OK'));
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await postback(receiver, `queued-${i}`));
    await new Promise((r) => setTimeout(r, 300));
    expect(tracker.hits.filter((h) => h.url.startsWith('/queued'))).toHaveLength(0);
    expect((await stateOf(receiver, ids[0]!)).state).toBe('pending');
    receiver.child.kill('SIGKILL');
    await receiver.exited;

    const worker = await start({ ...relayEnv(inject('redisUrl'), prefix), RELAY_ROLE: 'worker' });
    expect((await worker.fetch('/postback/net?key=source-key-1&click_id=x')).status).toBe(404);
    await eventually(
      async () => (tracker.hits.filter((h) => h.url.startsWith('/queued')).length === 5 ? true : undefined),
      15_000,
      'queued conversions',
    );
  });

  it('on SIGTERM stops accepting, lets the in-flight delivery finish and exits 0', async () => {
    const prefix = uniquePrefix();
    const env = relayEnv(inject('redisUrl'), prefix);
    const relay = await start(env);
    await configure(relay, 'slow');
    let arrived = false;
    tracker.respond((hit, res) => {
      if (!hit.url.startsWith('/slow')) return void res.end('OK');
      arrived = true;
      setTimeout(() => res.end('OK'), 700);
    });
    const id = await postback(relay, 'slow-1');
    await eventually(async () => (arrived ? true : undefined), 10_000, 'the slow ping');
    relay.child.kill('SIGTERM');
    expect(await relay.exited).toBe(0);
    const after = await start({ ...env, RELAY_ROLE: 'receiver' });
    const body = await stateOf(after, id);
    expect(body.state).toBe('delivered');
    expect(body.deliveries[0].attempts).toHaveLength(1);
  });

  it('fails fast on a bad configuration, naming the field', async () => {
    const relay = await spawnRelay(
      { REDIS_URL: inject('redisUrl'), DELIVERY_TIMEOUT_MS: 'soon', RELAY_ROLE: 'boss' },
      { waitReady: false },
    );
    running.push(relay);
    expect(await relay.exited).toBe(78);
    expect(relay.output()).toMatch(/DELIVERY_TIMEOUT_MS: "soon"/);
    expect(relay.output()).toMatch(/RELAY_ROLE: "boss"/);
  });

  it('refuses to start in production without ADMIN_TOKEN', async () => {
    const relay = await spawnRelay(
      { REDIS_URL: inject('redisUrl'), NODE_ENV: 'production', ADMIN_TOKEN: '' },
      { waitReady: false },
    );
    running.push(relay);
    expect(await relay.exited).toBe(78);
    expect(relay.output()).toMatch(/ADMIN_TOKEN/);
  });
});

describe('Redis outage and restart', () => {
  let redis: TestRedisServer;
  beforeAll(async () => {
    redis = await startRedisServer({ appendonly: true });
  });
  afterAll(async () => {
    await redis?.cleanup();
  });

  it('answers 503 while Redis is down and delivers everything accepted before a crash, from the AOF', async () => {
    const prefix = uniquePrefix();
    const receiver = await start({ ...relayEnv(redis.url, prefix), RELAY_ROLE: 'receiver' });
    await configure(receiver, 'aof');
    tracker.respond((_hit, res) => res.end('OK'));
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await postback(receiver, `aof-${i}`));

    await redis.stop('SIGKILL');
    const startedAt = Date.now();
    const during = await receiver.fetch('/postback/net?key=source-key-1&click_id=outage');
    expect(during.status).toBe(503);
    expect(during.body).toEqual({ error: 'unavailable' });
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    expect((await receiver.fetch('/readyz')).status).toBe(503);

    await redis.restart();
    await eventually(
      async () => ((await receiver.fetch('/readyz')).status === 200 ? true : undefined),
      15_000,
      'readyz after restart',
    );
    const worker = await start({ ...relayEnv(redis.url, prefix), RELAY_ROLE: 'worker' });
    void worker;
    await eventually(
      async () => (tracker.hits.filter((h) => h.url.startsWith('/aof')).length >= 5 ? true : undefined),
      20_000,
      'deliveries after restart',
    );
    const clickIds = new Set(tracker.hits.filter((h) => h.url.startsWith('/aof')).map((h) => h.query.get('cid')));
    expect([...clickIds].sort()).toEqual(['aof-0', 'aof-1', 'aof-2', 'aof-3', 'aof-4']);
    // Still accepting after the outage.
    expect((await receiver.fetch('/postback/net?key=source-key-1&click_id=after')).status).toBe(200);
  });
});
