import { Queue, Worker } from 'bullmq';
import { nowMs } from '../lib/clock.js';
import { announceReady, serveIpc } from '../lib/ipc.js';

/**
 * Baseline "BullMQ ceiling": how fast BullMQ alone moves jobs through this
 * Redis on this machine, with no HTTP on either side. Run twice, as two
 * processes: `producer` (queue.add in a closed loop) and `worker` (a no-op
 * processor), so each side's CPU is measured on its own and neither steals
 * the other's event loop.
 */
const role = process.argv[2];
const socketPath = process.env.BENCH_REDIS_SOCKET;
if (!socketPath) throw new Error('BENCH_REDIS_SOCKET is required');
const connection = { path: socketPath };
const QUEUE = 'ceiling';

/** Roughly what the relay enqueues for one conversion, so payload size is not what differs. */
function payload(clickId: string) {
  return {
    conversion: {
      click_id: clickId,
      payout: '1.50',
      account: 'acct',
      id: crypto.randomUUID(),
      source: 'bench',
      event: 'conversion',
      received_at: Date.now(),
    },
  };
}

if (role === 'producer') {
  const queue = new Queue(QUEUE, { connection, defaultJobOptions: { removeOnComplete: true } });
  await queue.waitUntilReady();
  serveIpc({
    async add({ tag, n, concurrency }: { tag: string; n: number; concurrency: number }) {
      const latencyMs = new Array<number>(n);
      let next = 0;
      const loop = async (): Promise<void> => {
        while (next < n) {
          const index = next++;
          const start = nowMs();
          await queue.add('job', payload(`${tag}-${index}`));
          latencyMs[index] = nowMs() - start;
        }
      };
      const startedAt = nowMs();
      await Promise.all(Array.from({ length: Math.min(concurrency, n) }, loop));
      return { startedAt, finishedAt: nowMs(), latencyMs };
    },
  });
  announceReady({});
} else if (role === 'worker') {
  const byTag = new Map<string, { count: number; firstAt: number; lastAt: number }>();
  const worker = new Worker(
    QUEUE,
    async (job) => {
      // Counted when the processor runs: the moment the relay would fire its ping.
      const at = nowMs();
      const clickId: string = job.data.conversion.click_id;
      const tag = clickId.slice(0, clickId.lastIndexOf('-'));
      const seen = byTag.get(tag);
      if (seen) {
        seen.count += 1;
        seen.lastAt = Math.max(seen.lastAt, at);
      } else {
        byTag.set(tag, { count: 1, firstAt: at, lastAt: at });
      }
    },
    { connection, concurrency: 64 },
  );
  await worker.waitUntilReady();
  serveIpc({
    processed: (tag: string) => byTag.get(tag) ?? { count: 0, firstAt: Number.NaN, lastAt: Number.NaN },
  });
  announceReady({});
} else {
  throw new Error(`usage: bullmq-ceiling.ts producer|worker (got ${String(role)})`);
}
