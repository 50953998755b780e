import { fileURLToPath } from 'node:url';
import { startNode, type ManagedChild } from './children.js';
import { waitForReady } from './ipc.js';
import type { RelayLikeTarget } from './measure.js';
import { queueDepth } from './queue-depth.js';
import { startRedis } from './redis-server.js';
import { startRelayProcess, type RelayProcess, type RelayShutdown } from './relay-process.js';
import type { BenchSettings } from './settings.js';
import { startTracker } from './tracker.js';

const MINIMAL_RELAY = fileURLToPath(new URL('../baselines/minimal-relay.ts', import.meta.url));

export interface RelayRun<F> {
  figures: F;
  /** The relay's own counters at the end (warm-up included): what it thinks happened. */
  counters: Record<string, number>;
  warn: RelayProcess['warn'];
  shutdown: RelayShutdown;
}

/**
 * The relay as operators run it, with a Redis and a tracker of its own, set
 * up with the bench source and account, handed to `measure` as a target;
 * everything is stopped afterwards, whatever happens.
 */
export async function withRelay<F>(
  name: string,
  settings: BenchSettings,
  measure: (target: RelayLikeTarget) => Promise<F>,
  options: {
    nodeArgs?: string[];
    /** Another checkout of the relay to run instead of this one (`bench/ab.ts`). */
    root?: string;
    /**
     * Scaled out on one machine: a receiver process (`RELAY_ROLE=receiver`)
     * and a worker process (`RELAY_ROLE=worker`) instead of one doing both.
     * The CPU of both counts as the relay's.
     */
    split?: boolean;
    /** Merged into the relay's config file (`bench/ab.ts`: BENCH_AB_CONFIG, BENCH_AB_BASELINE_CONFIG). */
    config?: Record<string, unknown>;
  } = {},
): Promise<RelayRun<F>> {
  const redis = await startRedis(name.replace(/[^A-Za-z0-9]+/g, '-'), settings.tmpDir);
  const children: ManagedChild[] = [];
  const relays: RelayProcess[] = [];
  try {
    const tracker = await startTracker(name);
    children.push(tracker.child);
    const role = (suffix: string, relayRole: string) =>
      startRelayProcess(`${name} ${suffix}`, redis, settings, { ...options, env: { RELAY_ROLE: relayRole } });
    relays.push(options.split ? await role('receiver', 'receiver') : await startRelayProcess(name, redis, settings, options));
    if (options.split) relays.push(await role('worker', 'worker'));
    const front = relays[0]!;
    await front.adminPut('/v1/sources/bench', { key: 'bench-key-123', default_account: 'acct' });
    await front.adminPut('/v1/accounts/acct', { postback: { url: tracker.postbackTemplate } });
    const counters = async () => Object.assign({}, ...(await Promise.all(relays.map((relay) => relay.readCounters()))));
    const figures = await measure({
      name,
      origin: front.origin,
      cpuPids: relays.map((relay) => relay.child.pid),
      redis,
      tracker,
      guards: [...relays.map((relay) => relay.child), tracker.child, redis.child],
      diagnose: async () =>
        [
          'relay counters:',
          ...Object.entries(await counters().catch(() => ({}))).map(([k, v]) => `  ${k} ${String(v)}`),
          ...relays.map((relay) => `relay output (last lines):\n${relay.outputTail()}`),
        ].join('\n'),
    });
    const finalCounters = await counters();
    const stopped = relays.splice(0);
    const shutdowns: RelayShutdown[] = [];
    for (const relay of stopped) shutdowns.push(await relay.stop());
    return {
      figures,
      counters: finalCounters,
      warn: {
        lines: sum(stopped.map((relay) => relay.warn.lines)),
        samples: stopped.flatMap((relay) => relay.warn.samples).slice(0, 5),
      },
      shutdown: shutdowns.reduce(worseShutdown),
    };
  } finally {
    await Promise.all(relays.map((relay) => relay.child.stop(3_000)));
    await Promise.all(children.map((child) => child.stop()));
    await redis.stop();
  }
}

/** The shutdown to report of several: a forced exit over a failed one over a clean one, else the slowest. */
export function worseShutdown(a: RelayShutdown, b: RelayShutdown): RelayShutdown {
  const badness = (s: RelayShutdown): number => (s.forced ? 2 : s.code !== 0 ? 1 : 0);
  if (badness(a) !== badness(b)) return badness(a) > badness(b) ? a : b;
  return a.ms >= b.ms ? a : b;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** The minimal relay baseline (bench/baselines/minimal-relay.ts), set up the same way. */
export async function withMinimalRelay<F>(
  name: string,
  settings: BenchSettings,
  measure: (target: RelayLikeTarget) => Promise<F>,
): Promise<F> {
  const redis = await startRedis(name.replace(/[^A-Za-z0-9]+/g, '-'), settings.tmpDir);
  const children: ManagedChild[] = [];
  try {
    const tracker = await startTracker(name);
    children.push(tracker.child);
    const server = startNode(name, MINIMAL_RELAY, {
      ipc: true,
      env: { BENCH_REDIS_SOCKET: redis.socketPath, BENCH_POSTBACK_TEMPLATE: tracker.postbackTemplate },
    });
    children.push(server);
    const { port } = await waitForReady<{ port: number }>(server);
    return await measure({
      name,
      origin: `http://127.0.0.1:${port}`,
      cpuPids: [server.pid],
      redis,
      tracker,
      guards: [server, tracker.child, redis.child],
      diagnose: async () => [await queueDepth(redis.socketPath, 'postbacks'), server.output()].join('\n'),
    });
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    await redis.stop();
  }
}
