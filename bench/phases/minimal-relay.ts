import { fileURLToPath } from 'node:url';
import { startNode, type ManagedChild } from '../lib/children.js';
import { waitForReady } from '../lib/ipc.js';
import { measureRelayLike, type RelayLikeFigures } from '../lib/measure.js';
import { queueDepth } from '../lib/queue-depth.js';
import { startRedis } from '../lib/redis-server.js';
import type { BenchSettings } from '../lib/settings.js';
import { startTracker } from '../lib/tracker.js';

export async function runMinimalRelay(settings: BenchSettings): Promise<RelayLikeFigures> {
  const redis = await startRedis('minimal-relay', settings.tmpDir);
  const children: ManagedChild[] = [];
  try {
    const tracker = await startTracker('minimal-relay');
    children.push(tracker.child);
    const server = startNode('minimal-relay', fileURLToPath(new URL('../baselines/minimal-relay.ts', import.meta.url)), {
      ipc: true,
      env: { BENCH_REDIS_SOCKET: redis.socketPath, BENCH_POSTBACK_TEMPLATE: tracker.postbackTemplate },
    });
    children.push(server);
    const { port } = await waitForReady<{ port: number }>(server);
    return await measureRelayLike(
      {
        name: 'minimal-relay',
        origin: `http://127.0.0.1:${port}`,
        cpuPids: [server.pid],
        redis,
        tracker,
        guards: [server, tracker.child, redis.child],
        diagnose: async () => [await queueDepth(redis.socketPath, 'postbacks'), server.output()].join('\n'),
      },
      settings,
    );
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    await redis.stop();
  }
}
