/**
 * `npm run soak`: the relay as an operator runs it, for a bounded while.
 *
 * A relay child process (src/main.ts) on a redis-server of the soak's own
 * (AOF everysec, noeviction) takes postbacks at a steady rate; its tracker
 * (in this process, on loopback) answers 500 to some pings and never answers
 * others (the relay's timeout fires). In the middle, Redis is held at
 * `maxmemory` for a while (writes refused: the receiver answers 503 and the
 * sender here retries, as networks do); later the relay is killed (SIGKILL)
 * and started again. Then the sending stops, the soak waits for every
 * delivery to settle, and prints what came of each accepted conversion.
 *
 * Settings (environment): SOAK_DURATION_MS (default 300000), SOAK_RATE
 * (postbacks per second, default 30), SOAK_FAIL_RATIO (default 0.2),
 * SOAK_HANG_RATIO (default 0.03), SOAK_DRAIN_MS (longest wait for the
 * deliveries to settle after sending stops, default 240000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createKeys } from '../src/store/keys.js';
import { waitForRedis } from '../src/redis/local-redis.js';
import { freePort } from './lib/free-port.js';

const DURATION_MS = Number(process.env.SOAK_DURATION_MS ?? 300_000);
const RATE = Number(process.env.SOAK_RATE ?? 30);
const FAIL_RATIO = Number(process.env.SOAK_FAIL_RATIO ?? 0.2);
const HANG_RATIO = Number(process.env.SOAK_HANG_RATIO ?? 0.03);
const DRAIN_MS = Number(process.env.SOAK_DRAIN_MS ?? 240_000);
const ADMIN_TOKEN = 'soak-admin-token-0123456789abcdef';
const PREFIX = 'relay';
/** When, as a share of the duration, Redis is held full, and when the relay is restarted. */
const FULL_FROM = 0.35;
const FULL_UNTIL = 0.55;
const RESTART_AT = 0.75;

const dir = mkdtempSync(join(tmpdir(), 'relay-soak-'));
const log = (text: string) => console.log(`[soak ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${text}`);
let startedAt = Date.now();

// --- Redis --------------------------------------------------------------------------------
const socketPath = join(dir, 'redis.sock');
const redisChild = spawn(
  'redis-server',
  // prettier-ignore
  ['--port', '0', '--unixsocket', socketPath, '--dir', dir, '--save', '', '--appendonly', 'yes',
   '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning'],
  { stdio: 'ignore' },
);
await waitForRedis({ path: socketPath }, 10_000);
const redis = new Redis({ path: socketPath });
const redisUrl = `unix://${socketPath}`;

// --- Tracker ------------------------------------------------------------------------------
/** 200 answers per click id: more than one is a duplicated delivery. */
const delivered = new Map<string, number>();
let trackerHits = 0;
const hanging = new Set<ServerResponse>();
const tracker = createServer((req, res) => {
  trackerHits += 1;
  const cid = new URL(req.url ?? '/', 'http://t').searchParams.get('cid') ?? '';
  const roll = Math.random();
  if (roll < HANG_RATIO) {
    hanging.add(res); // never answered: the relay's timeout fires
    res.on('close', () => hanging.delete(res));
    return;
  }
  if (roll < HANG_RATIO + FAIL_RATIO) {
    res.statusCode = 500;
    res.end('flaky');
    return;
  }
  delivered.set(cid, (delivered.get(cid) ?? 0) + 1);
  res.end('OK');
});
await new Promise<void>((resolve) => tracker.listen(0, '127.0.0.1', resolve));
const trackerOrigin = `http://127.0.0.1:${(tracker.address() as AddressInfo).port}`;

// --- Relay --------------------------------------------------------------------------------
const port = await freePort();
const origin = `http://127.0.0.1:${port}`;
const configPath = join(dir, 'relay.json');
writeFileSync(configPath, JSON.stringify({}));
let relayChild: ChildProcess | undefined;
let relayOutput = '';

async function startRelay(): Promise<void> {
  relayChild = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      HOST: '127.0.0.1',
      PORT: String(port),
      REDIS_URL: redisUrl,
      ADMIN_TOKEN,
      RELAY_CONFIG: configPath,
      LOG_LEVEL: 'warn',
      DELIVERY_ALLOW_CIDRS: '127.0.0.0/8',
      // A short schedule so retries play out inside the soak: 6 attempts over ~40 s.
      DELIVERY_RETRY_DELAYS_MS: '1000,2000,4000,8000,16000',
      DELIVERY_TIMEOUT_MS: '2000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    relayOutput = (relayOutput + chunk.toString()).slice(-20_000);
  };
  relayChild.stdout!.on('data', keep);
  relayChild.stderr!.on('data', keep);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (relayChild.exitCode !== null) throw new Error(`relay exited:\n${relayOutput}`);
    try {
      if ((await fetch(`${origin}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`relay not ready:\n${relayOutput}`);
    await sleep(100);
  }
}

async function killRelay(): Promise<void> {
  const child = relayChild;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(origin + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

// --- Sender -------------------------------------------------------------------------------
/** Accepted conversion id by click id. */
const accepted = new Map<string, string>();
const answers = new Map<string, number>();
let inFlight = 0;

/** Sends one postback, retrying (as networks do) on 5xx or no answer, for up to ten minutes. */
async function sendOne(cid: string): Promise<void> {
  inFlight += 1;
  try {
    const deadline = Date.now() + 600_000;
    for (let wait = 500; Date.now() < deadline; wait = Math.min(wait * 2, 5_000)) {
      let status = 0;
      try {
        const response = await fetch(`${origin}/postback/net?key=soak-source-key&click_id=${cid}&payout=1.5`, {
          signal: AbortSignal.timeout(5_000),
        });
        status = response.status;
        const body = (await response.json().catch(() => ({}))) as { id?: string; status?: string };
        if (status === 200 && body.id) {
          accepted.set(cid, body.id);
          answers.set('200', (answers.get('200') ?? 0) + 1);
          return;
        }
      } catch {
        // no answer (the relay is restarting)
      }
      answers.set(String(status || 'no answer'), (answers.get(String(status || 'no answer')) ?? 0) + 1);
      await sleep(wait);
    }
  } finally {
    inFlight -= 1;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(): Promise<void> {
  await startRelay();
  await admin('PUT', '/v1/accounts/acme', { postback: { url: `${trackerOrigin}/pb?cid={click_id}` } });
  await admin('PUT', '/v1/sources/net', { key: 'soak-source-key', default_account: 'acme' });
  log(`relay ${origin}, tracker ${trackerOrigin}, ${RATE}/s for ${DURATION_MS / 1000} s, redis ${redisUrl}`);

  startedAt = Date.now();
  let sent = 0;
  let full = false;
  let restarted = false;
  const senders: Array<Promise<void>> = [];
  while (Date.now() - startedAt < DURATION_MS) {
    const elapsed = (Date.now() - startedAt) / DURATION_MS;
    if (!full && elapsed >= FULL_FROM && elapsed < FULL_UNTIL) {
      full = true;
      const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
      await redis.config('SET', 'maxmemory', String(used + 100 * 1024));
      log(`Redis held at maxmemory ${(used / 1048576).toFixed(1)} MB + 100 KB (writes refused once full)`);
    }
    if (full && elapsed >= FULL_UNTIL) {
      full = false;
      await redis.config('SET', 'maxmemory', '0');
      log('Redis maxmemory lifted');
    }
    if (!restarted && elapsed >= RESTART_AT) {
      restarted = true;
      await killRelay();
      log('relay killed (SIGKILL); starting it again');
      await startRelay();
      log('relay ready again');
    }
    // Steady rate: as many as are due by now.
    const due = Math.floor(((Date.now() - startedAt) / 1000) * RATE);
    while (sent < due) senders.push(sendOne(`s${sent++}`));
    await sleep(20);
    if (Math.floor((Date.now() - startedAt) / 30_000) !== Math.floor((Date.now() - startedAt - 20) / 30_000)) {
      log(
        `sent ${sent}, accepted ${accepted.size}, sender retrying ${inFlight}, tracker hits ${trackerHits}, delivered ${delivered.size}`,
      );
    }
  }
  if (full) await redis.config('SET', 'maxmemory', '0');
  log(`sending stopped at ${sent}; waiting for the sender's retries`);
  await Promise.all(senders);

  const keys = createKeys(PREFIX);
  const drainDeadline = Date.now() + DRAIN_MS;
  for (;;) {
    const unsettled = await redis.zcard(keys.unsettledDeliveries);
    // Conversion jobs not yet done (waiting, running, in BullMQ's backoff, or failed and waiting for the reconciler).
    const q = `${keys.queuePrefix}:conversions`;
    const counts = await Promise.all([
      redis.llen(`${q}:wait`),
      redis.llen(`${q}:active`),
      redis.zcard(`${q}:delayed`),
      redis.zcard(`${q}:prioritized`),
      redis.zcard(`${q}:failed`),
    ]);
    const queued = counts.reduce((a, b) => a + b, 0);
    const undelivered = [...accepted.keys()].filter((cid) => !delivered.has(cid)).length;
    if ((unsettled === 0 && queued === 0) || Date.now() > drainDeadline) {
      log(`drain: ${unsettled} unsettled, ${queued} conversion jobs not done, ${undelivered} not yet delivered`);
      break;
    }
    await sleep(2_000);
  }

  // Each accepted conversion's state, from the admin API.
  const states = new Map<string, number>();
  const stranded: string[] = [];
  const lost: string[] = [];
  const ids = [...accepted.entries()];
  for (let at = 0; at < ids.length; at += 50) {
    await Promise.all(
      ids.slice(at, at + 50).map(async ([cid, id]) => {
        const { status, body } = await admin('GET', `/v1/conversions/${id}`);
        const state = status === 404 ? 'missing' : String(body?.state);
        states.set(state, (states.get(state) ?? 0) + 1);
        if (state === 'pending') stranded.push(id);
        // Lost: accepted, never reached the tracker, and not settled as failed either.
        if (!delivered.has(cid) && state !== 'failed') lost.push(id);
      }),
    );
  }
  const duplicated = [...delivered.values()].reduce((sum, n) => sum + n - 1, 0);
  const memory = await redis.info('memory');
  const recovered = await fetch(`${origin}/metrics`)
    .then((r) => r.text())
    .then((text) => Number(/^relay_deliveries_recovered_total (\d+)/m.exec(text)?.[1] ?? 0));

  const deliveredCount = [...accepted.keys()].filter((cid) => delivered.has(cid)).length;
  console.log('\n=== soak result ===');
  console.log(
    `duration            ${(DURATION_MS / 1000).toFixed(0)} s at ${RATE}/s; Redis full ${(FULL_FROM * 100).toFixed(0)}-${(FULL_UNTIL * 100).toFixed(0)} %, relay killed at ${(RESTART_AT * 100).toFixed(0)} %`,
  );
  console.log(
    `sent                ${ids.length} accepted of ${[...answers.values()].reduce((a, b) => a + b, 0)} answers: ${JSON.stringify(Object.fromEntries(answers))}`,
  );
  console.log(`accepted            ${accepted.size}`);
  console.log(`delivered           ${deliveredCount} (tracker answered 200)`);
  console.log(`failed              ${states.get('failed') ?? 0} (retries exhausted against the flaky tracker)`);
  console.log(
    `stranded            ${stranded.length} (pending/retrying after the drain)${stranded.length ? ` e.g. ${stranded.slice(0, 3).join(', ')}` : ''}`,
  );
  console.log(`duplicated          ${duplicated} (200 answers beyond one per conversion)`);
  console.log(
    `lost                ${lost.length} (accepted, never delivered, not failed)${lost.length ? ` e.g. ${lost.slice(0, 3).join(', ')}` : ''}`,
  );
  console.log(`ledger states       ${JSON.stringify(Object.fromEntries(states))}`);
  console.log(`tracker hits        ${trackerHits}`);
  console.log(`recovered           ${recovered} (relay_deliveries_recovered_total since the restart)`);
  console.log(
    `redis used memory   ${/used_memory_human:(\S+)/.exec(memory)?.[1]} (peak ${/used_memory_peak_human:(\S+)/.exec(memory)?.[1]})`,
  );
}

let code = 0;
try {
  await main();
} catch (error) {
  console.error(error);
  console.error(relayOutput.slice(-4_000));
  code = 1;
} finally {
  for (const res of hanging) res.destroy();
  await killRelay();
  redis.disconnect();
  redisChild.kill('SIGTERM');
  tracker.closeAllConnections();
  tracker.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
