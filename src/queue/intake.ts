import { Job, type Queue } from 'bullmq';
import type { Conversion } from '../domain/conversion.js';
import type { RedisClient } from '../redis/connection.js';
import { createTickBatcher } from '../redis/tick-batcher.js';
import { createRandomPool } from '../random-pool.js';
import { conversionIdOf, type ConversionItem, type ConversionJob } from './queues.js';
import type { QueueInternals } from './bullmq-internals.js';
import { defineScripts } from '../redis/scripts/index.js';

export interface EnqueueResult {
  /** The id the sender should keep: the new conversion's, or the first one's for a duplicate. */
  id: string;
  duplicate: boolean;
}

/** What the receiver hands over: a conversion still without its id (the batch assigns it). */
export interface ConversionDraft {
  conversion: Omit<Conversion, 'id'>;
  unattributed?: string;
}

export interface IntakeOptions {
  /** How long a dedupe key holds its first conversion id. */
  windowMs: number;
  /** Most conversions per job; a fuller turn of the event loop makes several jobs. */
  maxBatch: number;
  /** The Redis key of a dedupe digest (in the queue's slot: one transaction writes both). */
  dedupeKey: (digest: string) => string;
}

interface Submission {
  draft: ConversionDraft;
  /** Absent for a report with no identity: it is never a duplicate, and claims nothing. */
  digest: string | undefined;
}

/** One submission's outcome: each transaction of a turn succeeds or fails on its own. */
type Outcome = EnqueueResult | { refused: unknown };

type ClaimDedupe = (numberOfKeys: number, ...keysAndArgs: Array<string | number>) => Promise<string[]>;
type Transaction = ReturnType<RedisClient['multi']> & { relayClaimDedupe(...args: Parameters<ClaimDedupe>): unknown };

/** Job ids of 96 random bits (16 base64url characters). */
const nextBatchId = createRandomPool(12);

/**
 * The receiver's way into the queue. The conversions of one turn of the
 * event loop go in together: one transaction claims their dedupe keys and
 * adds one job holding them all. Answers wait for that transaction, so a 200
 * still means "in Redis", and a failed transaction wrote nothing (503 to all).
 * Under load a turn gathers many requests; a lone request goes alone, at
 * the cost of one transaction, as before.
 *
 * `redis` is a connection of the intake's own (see bullmq-internals.ts).
 * Without `internals` (BullMQ's are not what the seam expects) the job is
 * added through the public API first and the dedupe keys claimed after:
 * slower, and a claim that fails after the add leaves an accepted
 * conversion unchecked for duplicates (at-least-once), never a lost one.
 */
export function createIntake(
  queue: Queue<ConversionJob>,
  redis: RedisClient,
  options: IntakeOptions,
  internals: QueueInternals | null,
) {
  defineScripts(redis, 'relayClaimDedupe');
  internals?.defineOn(redis);
  const claimDedupe = (redis as unknown as { relayClaimDedupe: ClaimDedupe }).relayClaimDedupe.bind(redis);

  // A batch larger than maxBatch makes several jobs, each in a transaction of its own. One batch
  // in flight at a time: what arrives during its round trip goes next, together (fewer, larger
  // transactions and jobs under load; a lone request still goes at once).
  const submitBatched = createTickBatcher<Submission, Outcome>(
    async (_group, submissions) => {
      const chunks: Submission[][] = [];
      for (let start = 0; start < submissions.length; start += options.maxBatch) {
        chunks.push(submissions.slice(start, start + options.maxBatch));
      }
      return (await Promise.all(chunks.map(write))).flat();
    },
    { oneInFlight: true },
  );

  async function submit(draft: ConversionDraft, dedupeDigest: string | undefined): Promise<EnqueueResult> {
    const outcome = await submitBatched('', { draft, digest: dedupeDigest });
    if ('refused' in outcome) throw outcome.refused;
    return outcome;
  }

  async function write(batch: Submission[]): Promise<Outcome[]> {
    try {
      const batchId = nextBatchId();
      const items: ConversionItem[] = batch.map(({ draft, digest }, index) => ({
        conversion: { ...draft.conversion, id: conversionIdOf(batchId, index) },
        ...(draft.unattributed ? { unattributed: draft.unattributed } : {}),
        ...(digest !== undefined ? { dedupe: digest } : {}),
      }));
      // A claim of no keys still runs, so the transaction has the same two
      // results whatever the batch holds.
      const keyed = items.filter((item) => item.dedupe !== undefined);
      const claimArgs: Parameters<ClaimDedupe> = [
        keyed.length,
        ...keyed.map((item) => options.dedupeKey(item.dedupe!)),
        options.windowMs,
        ...keyed.map((item) => item.conversion.id),
      ];
      const jobOptions = { ...queue.defaultJobOptions, jobId: batchId };
      let firstIds: string[];
      if (internals) {
        const transaction = redis.multi() as Transaction;
        transaction.relayClaimDedupe(...claimArgs);
        internals.addToTransaction(
          transaction,
          queue,
          new Job<ConversionJob>(queue, 'conversions', { items }, jobOptions, batchId),
        );
        const results = (await transaction.exec()) ?? [];
        const failure = results.find(([error]) => error)?.[0];
        if (results.length !== 2 || failure) throw failure ?? new Error('queue transaction was discarded');
        firstIds = results[0]![1] as string[];
      } else {
        await queue.add('conversions', { items }, jobOptions);
        // Outside a transaction there is no shape to keep: a batch with nothing to claim skips the round trip.
        firstIds = keyed.length === 0 ? [] : await claimDedupe(...claimArgs).catch(() => keyed.map((item) => item.conversion.id));
      }
      const firstIdOf = new Map(keyed.map((item, index) => [item, firstIds[index]!]));
      return items.map((item) => {
        const id = firstIdOf.get(item) ?? item.conversion.id;
        return { id, duplicate: id !== item.conversion.id };
      });
    } catch (error) {
      return batch.map(() => ({ refused: error }));
    }
  }

  return { submit };
}

export type Intake = ReturnType<typeof createIntake>;

/**
 * The items of a job the worker should route: those whose dedupe key still
 * names them. A duplicate shares a job with its original only when both
 * came in one turn; a key gone since (window over) counts as the item's own.
 * The jobs a worker starts in one turn of the event loop share one MGET (at
 * paced load a job holds a few conversions, and a read per job was one more
 * command per conversion); the keys are all in the queue's slot.
 */
export function createOwnItems(redis: RedisClient, dedupeKey: (digest: string) => string) {
  const holdersBatched = createTickBatcher<string[], Array<string | null>>(async (_group, keyLists) => {
    const holders = await redis.mget(...keyLists.flat());
    let at = 0;
    return keyLists.map((keys) => holders.slice(at, (at += keys.length)));
  });

  return async function ownItems(items: ConversionItem[]): Promise<ConversionItem[]> {
    const keyed = items.filter((item) => item.dedupe !== undefined);
    if (keyed.length === 0) return items;
    const holders = await holdersBatched(
      '',
      keyed.map((item) => dedupeKey(item.dedupe!)),
    );
    const lost = new Set(keyed.filter((item, index) => holders[index] && holders[index] !== item.conversion.id));
    return lost.size === 0 ? items : items.filter((item) => !lost.has(item));
  };
}
