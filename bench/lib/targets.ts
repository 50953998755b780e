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
  options: { nodeArgs?: string[] } = {},
): Promise<RelayRun<F>> {
  const redis = await startRedis(name.replace(/[^A-Za-z0-9]+/g, '-'), settings.tmpDir);
  const children: ManagedChild[] = [];
  let relay: RelayProcess | undefined;
  try {
    const tracker = await startTracker(name);
    children.push(tracker.child);
    relay = await startRelayProcess(name, redis, settings, options);
    await relay.adminPut('/v1/sources/bench', { key: 'bench-key-123', default_account: 'acct' });
    await relay.adminPut('/v1/accounts/acct', { postback: { url: tracker.postbackTemplate } });
    const running = relay;
    const figures = await measure({
      name,
      origin: relay.origin,
      cpuPids: [relay.child.pid],
      redis,
      tracker,
      guards: [relay.child, tracker.child, redis.child],
      diagnose: async () =>
        [
          'relay counters:',
          ...Object.entries(await running.readCounters().catch(() => ({}))).map(([k, v]) => `  ${k} ${v}`),
          `relay output (last lines):\n${running.outputTail()}`,
        ].join('\n'),
    });
    const counters = await relay.readCounters();
    const shutdown = await relay.stop();
    const { warn } = relay;
    relay = undefined;
    return { figures, counters, warn, shutdown };
  } finally {
    if (relay) await relay.child.stop(3_000);
    await Promise.all(children.map((child) => child.stop()));
    await redis.stop();
  }
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
