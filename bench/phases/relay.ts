import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { guard, startNode, type ManagedChild } from '../lib/children.js';
import { nowMs } from '../lib/clock.js';
import { freePort } from '../lib/free-port.js';
import { measureRelayLike, type RelayLikeFigures } from '../lib/measure.js';
import { startRedis } from '../lib/redis-server.js';
import type { BenchSettings } from '../lib/settings.js';
import { startTracker } from '../lib/tracker.js';
import { waitForHttpOk } from '../lib/wait.js';

export interface RelayResult extends RelayLikeFigures {
  /** The relay's own counters at the end (warm-up included): what it thinks happened. */
  counters: Record<string, number>;
  /** Log lines at warn or above, and a few of them. */
  warnLines: number;
  warnSamples: string[];
  shutdown: { ms: number; code: number | null; signal: string | null; forced: boolean };
}

const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
export const PROFILE_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** Contract variables a developer's shell might hold; none may leak into the relay under test. */
const CONTRACT_VARIABLES = [
  'PORT', 'HOST', 'REDIS_URL', 'ADMIN_TOKEN', 'RELAY_ROLE', 'RELAY_CONFIG', 'DELIVERY_ALLOW_CIDRS',
  'DELIVERY_RETRY_DELAYS_MS', 'DELIVERY_TIMEOUT_MS', 'LOG_LEVEL', 'NODE_ENV',
];

/** The relay as an operator runs it: `node --import tsx src/main.ts`, configured through env and the admin API. */
export async function runRelay(settings: BenchSettings): Promise<RelayResult> {
  const redis = await startRedis('relay', settings.tmpDir);
  const children: ManagedChild[] = [];
  let relay: ManagedChild | undefined;
  const warn = { lines: 0, samples: [] as string[] };
  try {
    const tracker = await startTracker('relay');
    children.push(tracker.child);
    const configPath = join(settings.tmpDir, 'relay-config.json');
    writeFileSync(configPath, JSON.stringify({ audit: { log: 'off' } }));
    const port = await freePort();
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (value !== undefined && !CONTRACT_VARIABLES.includes(name)) env[name] = value;
    }
    Object.assign(env, {
      REDIS_URL: redis.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      ADMIN_TOKEN,
      DELIVERY_ALLOW_CIDRS: '127.0.0.0/8',
      LOG_LEVEL: 'warn',
      RELAY_CONFIG: configPath,
      NODE_ENV: 'production',
    });
    // BENCH_RELAY_CPU_PROF=1: a V8 profile of the relay, written when it exits (summarise with bench/profile-summary.ts).
    const nodeArgs = process.env.BENCH_RELAY_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
    relay = startNode('relay', 'src/main.ts', { env, inheritEnv: false, nodeArgs });
    watchWarnings(relay, warn);
    const origin = `http://127.0.0.1:${port}`;
    await guard(waitForHttpOk(`${origin}/readyz`, 30_000), [relay]);
    await adminPut(origin, '/v1/sources/bench', { key: 'bench-key-123', default_account: 'acct' });
    await adminPut(origin, '/v1/accounts/acct', { postback: { url: tracker.postbackTemplate } });

    const running = relay;
    const figures = await measureRelayLike(
      {
        name: 'relay',
        origin,
        cpuPids: [relay.pid],
        redis,
        tracker,
        guards: [relay, tracker.child, redis.child],
        diagnose: async () =>
          [
            'relay counters:',
            ...Object.entries(await readCounters(origin).catch(() => ({}))).map(([k, v]) => `  ${k} ${v}`),
            `relay output (last lines):\n${running.output().trimEnd().split('\n').slice(-20).join('\n')}`,
          ].join('\n'),
      },
      settings,
    );
    const counters = await readCounters(origin);
    const shutdown = await stopRelay(relay);
    relay = undefined;
    return { ...figures, counters, warnLines: warn.lines, warnSamples: warn.samples, shutdown };
  } finally {
    if (relay) await relay.stop(3_000);
    await Promise.all(children.map((child) => child.stop()));
    await redis.stop();
  }
}

async function stopRelay(relay: ManagedChild): Promise<RelayResult['shutdown']> {
  const start = nowMs();
  // shutdownGraceMs (15 s) + 10 s is when the relay forces its own exit; past that it is hung.
  const status = await relay.stop(30_000);
  return { ms: Math.round(nowMs() - start), code: status.code, signal: status.signal, forced: status.forced };
}

async function adminPut(origin: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${origin}${path}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200 && response.status !== 201) {
    throw new Error(`relay: PUT ${path} answered ${response.status} ${text.slice(0, 300)}`);
  }
}

/** The relay's own counts of what it received, routed and attempted, from /metrics. */
async function readCounters(origin: string): Promise<Record<string, number>> {
  const response = await fetch(`${origin}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const counters: Record<string, number> = {};
  for (const line of (await response.text()).split('\n')) {
    const match = /^(postback_relay_(?:conversions_received_total|conversions_routed_total|delivery_attempts_total|deliveries_total|queue_jobs)(?:\{[^}]*\})?) ([0-9.eE+-]+)$/.exec(line);
    if (match) counters[match[1]!] = Number(match[2]);
  }
  return counters;
}

/** Counts pino lines at warn (40) or above: under a clean load the relay should log nothing. */
function watchWarnings(relay: ManagedChild, warn: { lines: number; samples: string[] }): void {
  let partial = '';
  const onData = (chunk: Buffer): void => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const level = /"level":(\d+)/.exec(line)?.[1];
      if (level === undefined ? line.trim() === '' : Number(level) < 40) continue;
      warn.lines += 1;
      if (warn.samples.length < 5) warn.samples.push(line.slice(0, 500));
    }
  };
  relay.proc.stdout?.on('data', onData);
  relay.proc.stderr?.on('data', onData);
}
