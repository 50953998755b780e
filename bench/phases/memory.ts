import { randomBytes } from 'node:crypto';
import type { ManagedChild } from '../lib/children.js';
import { guard } from '../lib/children.js';
import { sleep } from '../lib/clock.js';
import { acceptedId, postbackPath, runLoad } from '../lib/load.js';
import { waitForQuietCpu } from '../lib/proc-cpu.js';
import { startRedis, type BenchRedis } from '../lib/redis-server.js';
import { startRelayProcess, type RelayProcess, type RelayShutdown } from '../lib/relay-process.js';
import type { BenchSettings } from '../lib/settings.js';
import { startTracker } from '../lib/tracker.js';
import { waitForCount } from '../lib/wait.js';

/** The issue's targets: Redis memory per queued delivery and per retained audit attempt. */
export const MEMORY_TARGETS = { bytesPerQueuedDelivery: 1024, bytesPerAuditAttempt: 300 } as const;

export type MemoryVariantName = 'queued' | 'retrying' | 'delivered' | 'failed';

export interface KeyKindDelta {
  /** The key with ids elided: `relay:dlv:{<id>}.0`, `{relay}:q:conversions:de:<hash>`, … */
  kind: string;
  /** Keys of this kind added over the run. */
  keys: number;
  /** MEMORY USAGE (SAMPLES 0) added over the run, ÷ items. */
  bytesPerItem: number;
}

export interface MemoryVariant {
  variant: MemoryVariantName;
  /** What one item is in this variant. */
  item: string;
  sent: number;
  /** Items measured: postbacks of the measured run that were accepted (and reached the variant's end state). */
  items: number;
  /** Pings the tracker got for the measured run (first attempts; 0 when nothing is delivered). */
  attempts: number;
  usedMemoryBefore: number;
  usedMemoryAfter: number;
  /** (used_memory after − before) ÷ items. */
  bytesPerItem: number;
  /** bytesPerItem ÷ (attempts ÷ items): for the delivered variant, the bytes each retained attempt costs. */
  bytesPerAttempt: number;
  keysPerItem: number;
  /**
   * The share of bytesPerItem in BullMQ's event streams (MEMORY USAGE). They
   * are capped (~10,000 entries per queue), so this share shrinks as the
   * backlog grows: the rest is what each further item costs.
   */
  eventStreamBytesPerItem: number;
  /**
   * Where the bytes go, by key kind, largest first. MEMORY USAGE counts a
   * key's name, value and dict entry but not the keyspace's hash tables
   * (buckets, the expires table), so these add up to somewhat less than the
   * used_memory figure.
   */
  breakdown: KeyKindDelta[];
  warnLines: number;
  warnSamples: string[];
  shutdown: RelayShutdown;
}

export interface MemoryResult {
  n: number;
  queued: MemoryVariant;
  retrying: MemoryVariant;
  delivered: MemoryVariant;
  failed: MemoryVariant;
  /**
   * What each retained attempt adds: (failed − delivered) bytes per
   * conversion ÷ the attempts it has beyond the first. The rest of a
   * conversion's bytes are its record and indexes, kept whatever the attempts.
   */
  bytesPerExtraAttempt: number;
}

/** Attempts of each delivery in the failed variant: the first and the retries of its schedule. */
export const FAILED_VARIANT_ATTEMPTS = 5;

/** The retry delay of the retrying variant: long enough that nothing is retried while it is measured. */
const RETRY_DELAY_MS = 3_600_000;
const PREFIX = 'relay';
const CONTROL = `{${PREFIX}}`;

/**
 * Redis memory per item, from INFO memory used_memory before and after N
 * postbacks, each variant on a fresh redis-server with a fresh relay:
 * - queued: a receiver-only relay (no worker), so every accepted conversion
 *   stays in the conversions queue with its dedupe key;
 * - retrying: a tracker answering 500 and a retry delay of an hour, so every
 *   delivery has had its first attempt and waits in the retries queue with
 *   its ledger records (conversion, delivery, one attempt, index entries);
 * - delivered: a tracker answering 200, so every conversion is delivered on
 *   its first attempt and only what the relay retains remains (ledger,
 *   dedupe key, status link);
 * - failed: a tracker answering 500 and a schedule of quick retries, so every
 *   delivery ends failed after FAILED_VARIANT_ATTEMPTS attempts, all retained.
 *   Against `delivered`, the bytes each retained audit attempt adds.
 */
export async function runMemory(settings: BenchSettings): Promise<MemoryResult> {
  const queued = await measureVariant('queued', settings);
  const retrying = await measureVariant('retrying', settings);
  const delivered = await measureVariant('delivered', settings);
  const failed = await measureVariant('failed', settings);
  const extraAttempts = failed.attempts / failed.items - delivered.attempts / delivered.items;
  return {
    n: settings.memoryN,
    queued,
    retrying,
    delivered,
    failed,
    bytesPerExtraAttempt: (failed.bytesPerItem - delivered.bytesPerItem) / extraAttempts,
  };
}

async function measureVariant(variant: MemoryVariantName, settings: BenchSettings): Promise<MemoryVariant> {
  const n = settings.memoryN;
  const redis = await startRedis(`memory-${variant}`, settings.tmpDir);
  const children: ManagedChild[] = [];
  let relay: RelayProcess | undefined;
  try {
    const failing = variant === 'retrying' || variant === 'failed';
    const tracker = await startTracker(`memory ${variant}`, { status: failing ? 500 : 200 });
    children.push(tracker.child);
    relay = await startRelayProcess(`relay (memory ${variant})`, redis, settings, {
      config: {
        redis: { keyPrefix: PREFIX },
        // Every delivery gets its attempts: a host failing every time must not open its circuit and park the rest unattempted.
        ...(variant === 'retrying'
          ? { delivery: { retryDelaysMs: [RETRY_DELAY_MS], circuitFailureThreshold: 1_000_000_000 } }
          : {}),
        ...(variant === 'failed'
          ? {
              delivery: {
                retryDelaysMs: Array(FAILED_VARIANT_ATTEMPTS - 1).fill(1),
                retryJitterRatio: 0,
                circuitFailureThreshold: 1_000_000_000,
              },
            }
          : {}),
      },
      env: variant === 'queued' ? { RELAY_ROLE: 'receiver' } : {},
    });
    await relay.adminPut('/v1/sources/bench', { key: 'bench-key-123', default_account: 'acct' });
    await relay.adminPut('/v1/accounts/acct', { postback: { url: tracker.postbackTemplate } });
    const guards = [relay.child, tracker.child, redis.child];
    const tag = randomBytes(3).toString('hex');
    const load = (runTag: string, count: number) =>
      guard(
        runLoad({
          origin: relay!.origin,
          n: count,
          concurrency: settings.concurrency,
          path: (i) => postbackPath(`${runTag}-${i}`),
          accept: acceptedId,
        }),
        guards,
      );
    const settled = async (total: number, what: string): Promise<void> => {
      try {
        await guard(
          waitForCount(`memory ${variant}: ${what}`, () => settledCount(variant, redis), total, {
            stallMs: settings.stallMs,
            timeoutMs: settings.deliveryTimeoutMs,
          }),
          guards,
        );
      } catch (error) {
        throw new Error(
          `${(error as Error).message}\n${await describeState(redis)}\nrelay output:\n${relay?.outputTail() ?? ''}`,
          { cause: error },
        );
      }
    };

    // One-off structures (queue metadata, operator records, index keys, host state, script cache) exist before "before".
    const warmTag = `w${tag}`;
    const warm = await load(warmTag, Math.min(500, Math.max(50, Math.round(n / 20))));
    if (warm.ok === 0) throw new Error(`memory ${variant}: no warm-up postback was accepted: ${JSON.stringify(warm.errorKinds)}`);
    await settled(warm.ok, 'warm-up conversions settled');
    await quiet(relay);

    const usedMemoryBefore = await redis.usedMemory();
    const keysBefore = await redis.dbSize();
    const kindsBefore = await keyKinds(redis);

    const runTag = `m${tag}`;
    const run = await load(runTag, n);
    if (run.ok === 0) throw new Error(`memory ${variant}: no postback was accepted: ${JSON.stringify(run.errorKinds)}`);
    await settled(warm.ok + run.ok, 'conversions settled');
    await quiet(relay);

    const usedMemoryAfter = await redis.usedMemory();
    const keysAfter = await redis.dbSize();
    const kindsAfter = await keyKinds(redis);
    const attempts = variant === 'queued' ? 0 : (await tracker.count(runTag)).total;

    const shutdown = await relay.stop();
    const { warn } = relay;
    relay = undefined;
    const items = run.ok;
    const bytesPerItem = (usedMemoryAfter - usedMemoryBefore) / items;
    const breakdown = breakdownOf(kindsBefore, kindsAfter, items);
    return {
      variant,
      item: {
        queued: 'accepted conversion waiting in the conversions queue, no worker running',
        retrying: 'delivery after a failed first attempt, waiting 1 h in the retries queue',
        delivered: 'conversion delivered on its first attempt, as retained',
        failed: `conversion failed after ${FAILED_VARIANT_ATTEMPTS} attempts, as retained`,
      }[variant],
      sent: run.n,
      items,
      attempts,
      usedMemoryBefore,
      usedMemoryAfter,
      bytesPerItem,
      bytesPerAttempt: attempts > 0 ? bytesPerItem / (attempts / items) : Number.NaN,
      keysPerItem: (keysAfter - keysBefore) / items,
      eventStreamBytesPerItem: breakdown.filter((k) => k.kind.endsWith(':events')).reduce((sum, k) => sum + k.bytesPerItem, 0),
      breakdown,
      warnLines: warn.lines,
      warnSamples: warn.samples,
      shutdown,
    };
  } finally {
    if (relay) await relay.child.stop(3_000);
    await Promise.all(children.map((child) => child.stop()));
    await redis.stop();
  }
}

/** How many conversions have reached the variant's end state (all of them are counted, the warm-up's too). */
async function settledCount(variant: MemoryVariantName, redis: BenchRedis): Promise<number> {
  const c = redis.client;
  const q = (queue: string, key: string) => `${CONTROL}:q:${queue}:${key}`;
  // A job holds the conversions one receiver took in during one turn: count them.
  if (variant === 'queued') return queuedConversions(redis, q('conversions', 'wait'), q('conversions', ''));
  const [waiting, active, retryWaiting, retryActive] = await Promise.all([
    c.llen(q('conversions', 'wait')),
    c.llen(q('conversions', 'active')),
    c.llen(q('retries', 'wait')),
    c.llen(q('retries', 'active')),
  ]);
  let reached: number;
  if (variant === 'delivered') reached = await c.zcard(`${CONTROL}:ix:dlv:delivered`);
  else if (variant === 'failed') reached = await c.zcard(`${CONTROL}:ix:dlv:failed`);
  else {
    // Retrying: attempted once, recorded, and its retry job delayed (a parked one is delayed too, but not yet in the index).
    const [retrying, delayed] = await Promise.all([c.zcard(`${CONTROL}:ix:dlv:retrying`), c.zcard(q('retries', 'delayed'))]);
    reached = Math.min(retrying, delayed);
  }
  // Anything still moving: not settled, whatever the indexes say; but the count still grows, so a
  // long drain (100,000 failing attempts behind an opening and closing circuit) is not taken for a stall.
  const moving = waiting + active + retryWaiting + retryActive > 0;
  return moving ? Math.max(0, reached - 1) : reached;
}

async function queuedConversions(redis: BenchRedis, waitKey: string, jobKeyPrefix: string): Promise<number> {
  const ids = await redis.client.lrange(waitKey, 0, -1);
  const data = await Promise.all(ids.map((id) => redis.client.hget(`${jobKeyPrefix}${id}`, 'data')));
  return data.reduce((sum, text) => sum + (text ? (JSON.parse(text) as { items: unknown[] }).items.length : 0), 0);
}

async function describeState(redis: BenchRedis): Promise<string> {
  const c = redis.client;
  const lines: string[] = [];
  for (const queue of ['conversions', 'retries']) {
    const [wait, active, delayed] = await Promise.all([
      c.llen(`${CONTROL}:q:${queue}:wait`),
      c.llen(`${CONTROL}:q:${queue}:active`),
      c.zcard(`${CONTROL}:q:${queue}:delayed`),
    ]);
    lines.push(`  queue ${queue}: wait ${wait}, active ${active}, delayed ${delayed}`);
  }
  for (const state of ['retrying', 'delivered', 'failed'])
    lines.push(`  index ${state}: ${await c.zcard(`${CONTROL}:ix:dlv:${state}`)}`);
  return lines.join('\n');
}

/** The relay idle and Redis done with its incremental rehashing, so used_memory is stable. */
async function quiet(relay: RelayProcess): Promise<void> {
  await waitForQuietCpu([relay.child.pid]);
  await sleep(500);
}

/** Key kind → [keys, MEMORY USAGE bytes], over the whole keyspace. */
async function keyKinds(redis: BenchRedis): Promise<Map<string, [number, number]>> {
  const c = redis.client;
  const kinds = new Map<string, [number, number]>();
  let cursor = '0';
  do {
    const [nextCursor, keys] = await c.scan(cursor, 'COUNT', 2_000);
    cursor = nextCursor;
    if (keys.length === 0) continue;
    const pipeline = c.pipeline();
    for (const key of keys) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    const replies = (await pipeline.exec()) ?? [];
    keys.forEach((key, index) => {
      const bytes = Number(replies[index]?.[1] ?? 0);
      const kind = kindOf(key);
      const entry = kinds.get(kind) ?? [0, 0];
      entry[0] += 1;
      entry[1] += bytes;
      kinds.set(kind, entry);
    });
  } while (cursor !== '0');
  return kinds;
}

/** Ids elided: a job (batch) id is 16 base64url characters, a conversion's `<job id>-<n>`, a delivery's `<conversion id>.<n>`. */
function kindOf(key: string): string {
  return key
    .replace(/[0-9a-f]{64}/g, '<hash>')
    .replace(/[A-Za-z0-9_-]{16}-\d+\.\d+$/, '<delivery id>')
    .replace(/\{[A-Za-z0-9_-]{16}-\d+\}/g, '{<conversion id>}')
    .replace(/:[A-Za-z0-9_-]{16}$/, ':<job id>')
    .replace(/:(?:\d+)$/, ':<n>');
}

function breakdownOf(before: Map<string, [number, number]>, after: Map<string, [number, number]>, items: number): KeyKindDelta[] {
  const kinds = new Set([...before.keys(), ...after.keys()]);
  return [...kinds]
    .map((kind) => {
      const [keysBefore, bytesBefore] = before.get(kind) ?? [0, 0];
      const [keysAfter, bytesAfter] = after.get(kind) ?? [0, 0];
      return { kind, keys: keysAfter - keysBefore, bytesPerItem: (bytesAfter - bytesBefore) / items };
    })
    .filter((delta) => delta.keys !== 0 || Math.abs(delta.bytesPerItem) >= 0.05)
    .sort((a, b) => b.bytesPerItem - a.bytesPerItem);
}
