/**
 * `npx tsx bench/aof-cost.ts`: what `appendfsync always` costs the accept
 * path against `everysec`. The relay's own intake (the one transaction a
 * 200 waits for: dedupe claim + conversions job) writes to a redis-server
 * with `appendonly yes`, on the disk of the working directory, in two ways:
 *
 * - lone: one postback at a time (each its own transaction): the latency a
 *   sender sees, p50 and p99;
 * - loaded: 64 postbacks kept in flight (the intake gathers a turn's into one
 *   transaction, as under load): accepted per second.
 *
 * Modes alternate (everysec, always, everysec, always …) so drift in the
 * machine's load falls on both. Settings: AOF_ROUNDS (default 5), AOF_N
 * (lone postbacks per measurement, default 3000), AOF_LOAD_N (loaded, 50000).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createQueues } from '../src/queue/queues.js';
import { createIntake } from '../src/queue/intake.js';
import { loadQueueInternals } from '../src/queue/bullmq-internals.js';
import { createKeys } from '../src/store/keys.js';
import { waitForRedis } from '../src/redis/local-redis.js';

const ROUNDS = Number(process.env.AOF_ROUNDS ?? 5);
const N = Number(process.env.AOF_N ?? 3_000);
const LOAD_N = Number(process.env.AOF_LOAD_N ?? 50_000);

interface Measure {
  loneP50: number;
  loneP99: number;
  perSecond: number;
}

async function measure(fsync: 'everysec' | 'always'): Promise<Measure> {
  // On the working directory's disk (not a tmpfs): fsync has to reach a device.
  const dir = mkdtempSync(join(process.cwd(), '.aof-bench-'));
  const socketPath = join(dir, 'redis.sock');
  // prettier-ignore
  const child = spawn('redis-server', ['--port', '0', '--unixsocket', socketPath, '--dir', dir, '--save', '',
    '--appendonly', 'yes', '--appendfsync', fsync, '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  try {
    await waitForRedis({ path: socketPath }, 10_000);
    const redis = new Redis({ path: socketPath });
    const queueRedis = new Redis({ path: socketPath, maxRetriesPerRequest: null });
    const keys = createKeys('aof');
    const queues = createQueues(queueRedis, keys.queuePrefix);
    const probe = await loadQueueInternals(queues.conversions);
    const intake = createIntake(
      queues.conversions,
      redis,
      { windowMs: 86_400_000, maxBatch: 64, dedupeKey: keys.dedupe },
      probe.ok ? probe.internals : null,
    );
    let n = 0;
    const submit = () =>
      intake.submit(
        { conversion: { click_id: `c${n}`, source: 'net', event: 'conversion', received_at: Date.now() } },
        `d${fsync}${n++}`,
      );

    for (let i = 0; i < 300; i++) await submit(); // warm-up
    const lone: number[] = [];
    for (let i = 0; i < N; i++) {
      const started = process.hrtime.bigint();
      await submit();
      lone.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    lone.sort((a, b) => a - b);

    const startedAt = process.hrtime.bigint();
    let done = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (done < LOAD_N) {
          done += 1;
          await submit();
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    await queues.close();
    redis.disconnect();
    queueRedis.disconnect();
    return { loneP50: lone[Math.floor(N * 0.5)]!, loneP99: lone[Math.floor(N * 0.99)]!, perSecond: done / seconds };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: Record<string, Measure[]> = { everysec: [], always: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const fsync of ['everysec', 'always'] as const) {
    const result = await measure(fsync);
    results[fsync]!.push(result);
    console.log(
      `round ${round + 1} ${fsync.padEnd(8)} lone p50 ${result.loneP50.toFixed(3)} ms, p99 ${result.loneP99.toFixed(3)} ms; ` +
        `64 in flight ${result.perSecond.toFixed(0)}/s`,
    );
  }
}
const median = (values: number[]) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
for (const fsync of ['everysec', 'always'] as const) {
  const rows = results[fsync]!;
  console.log(
    `median ${fsync.padEnd(8)} lone p50 ${median(rows.map((r) => r.loneP50)).toFixed(3)} ms, p99 ${median(rows.map((r) => r.loneP99)).toFixed(3)} ms; ` +
      `64 in flight ${median(rows.map((r) => r.perSecond)).toFixed(0)}/s`,
  );
}
