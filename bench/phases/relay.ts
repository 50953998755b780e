import { fileURLToPath } from 'node:url';
import type { ManagedChild } from '../lib/children.js';
import { measureRelayLike, type RelayLikeFigures } from '../lib/measure.js';
import { startRedis } from '../lib/redis-server.js';
import { startRelayProcess, type RelayProcess, type RelayShutdown } from '../lib/relay-process.js';
import type { BenchSettings } from '../lib/settings.js';
import { startTracker } from '../lib/tracker.js';

export interface RelayResult extends RelayLikeFigures {
  /** The relay's own counters at the end (warm-up included): what it thinks happened. */
  counters: Record<string, number>;
  /** Log lines at warn or above, and a few of them. */
  warnLines: number;
  warnSamples: string[];
  shutdown: RelayShutdown;
}

export const PROFILE_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** The relay as an operator runs it: `node --import tsx src/main.ts`, configured through env and the admin API. */
export async function runRelay(settings: BenchSettings): Promise<RelayResult> {
  const redis = await startRedis('relay', settings.tmpDir);
  const children: ManagedChild[] = [];
  let relay: RelayProcess | undefined;
  try {
    const tracker = await startTracker('relay');
    children.push(tracker.child);
    // BENCH_RELAY_CPU_PROF=1: a V8 profile of the relay, written when it exits (summarise with bench/profile-summary.ts).
    const nodeArgs = process.env.BENCH_RELAY_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
    relay = await startRelayProcess('relay', redis, settings, { nodeArgs });
    await relay.adminPut('/v1/sources/bench', { key: 'bench-key-123', default_account: 'acct' });
    await relay.adminPut('/v1/accounts/acct', { postback: { url: tracker.postbackTemplate } });

    const running = relay;
    const figures = await measureRelayLike(
      {
        name: 'relay',
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
      },
      settings,
    );
    const counters = await relay.readCounters();
    const shutdown = await relay.stop();
    const { warn } = relay;
    relay = undefined;
    return { ...figures, counters, warnLines: warn.lines, warnSamples: warn.samples, shutdown };
  } finally {
    if (relay) await relay.child.stop(3_000);
    await Promise.all(children.map((child) => child.stop()));
    await redis.stop();
  }
}
