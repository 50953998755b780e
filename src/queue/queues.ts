import { Queue, type ConnectionOptions, type DefaultJobOptions } from 'bullmq';
import type { Conversion } from '../domain/conversion.js';

/** New conversions: resolved, fanned out and given their first attempt. */
export const CONVERSIONS_QUEUE = 'conversions';
/**
 * Later attempts of deliveries, as delayed jobs. A queue of its own so a
 * backlog of retries never starves first attempts.
 */
export const RETRIES_QUEUE = 'retries';

/** One received conversion as the queue carries it. */
export interface ConversionItem {
  conversion: Conversion;
  /** Set by the receiver when it already knows the conversion cannot be attributed. */
  unattributed?: string;
  /**
   * Its dedupe digest. A duplicate can share a batch with the report it
   * repeats (both were written in one transaction); the worker routes only
   * the item the dedupe key names.
   */
  dedupe?: string;
}

/**
 * A conversions job: the conversions one receiver took in during one turn of
 * its event loop, or one re-attributed conversion. Batching spreads a
 * queue's add, fetch and completion over many conversions.
 */
export interface ConversionJob {
  items: ConversionItem[];
  /**
   * An operator attributed this (recorded, unattributed) conversion: route it
   * again with the fields carried here instead of keeping the recorded outcome.
   */
  reattribute?: boolean;
}

/** A conversion's id is `<batch job id>-<index in the batch>`: a queued conversion is found through its job. */
export function conversionIdOf(batchId: string, index: number): string {
  return `${batchId}-${index}`;
}

export function batchIdOf(conversionId: string): string {
  const cut = conversionId.lastIndexOf('-');
  return cut > 0 ? conversionId.slice(0, cut) : conversionId;
}

/** The conversion with this id while it is still queued (accepted, not yet picked up by a worker). */
export async function findQueuedConversion(queue: Queue<ConversionJob>, id: string): Promise<ConversionItem | undefined> {
  const job = await queue.getJob(batchIdOf(id));
  return job?.data?.items?.find((item) => item.conversion.id === id);
}

/** Job id prefix of re-attributions: the conversion's own id is taken by its first job. */
export const REATTRIBUTE_JOB_PREFIX = 'reattribute-';

export type RetryJob =
  | {
      deliveryId: string;
      /** An operator asked for this failed delivery to be tried again, with a fresh schedule. */
      redrive?: boolean;
      /** The URL a redrive re-rendered from the account's current templates; absent: resend the stored one. */
      url?: string;
    }
  /** A host's circuit cooldown is over: wake its oldest parked delivery as the half-open probe. */
  | { probeHost: string };

/**
 * BullMQ's own attempts only cover infrastructure failures (Redis lost while a
 * job ran); delivery retries are scheduled explicitly by the worker.
 */
const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 86_400 },
};

export interface RelayQueues {
  conversions: Queue<ConversionJob>;
  retries: Queue<RetryJob>;
  close(): Promise<void>;
}

/** BullMQ's own retries of a job that threw (Redis refused a write, say); after the last, the reconciler takes over. */
export interface JobRetryOptions {
  attempts: number;
  backoffMs: number;
}

export function createQueues(connection: ConnectionOptions, prefix: string, retry?: JobRetryOptions): RelayQueues {
  const defaultJobOptions: DefaultJobOptions = retry
    ? { ...DEFAULT_JOB_OPTIONS, attempts: retry.attempts, backoff: { type: 'exponential', delay: retry.backoffMs } }
    : DEFAULT_JOB_OPTIONS;
  const conversions = new Queue<ConversionJob>(CONVERSIONS_QUEUE, { connection, prefix, defaultJobOptions });
  const retries = new Queue<RetryJob>(RETRIES_QUEUE, { connection, prefix, defaultJobOptions });
  return {
    conversions,
    retries,
    async close() {
      await Promise.all([conversions.close(), retries.close()]);
    },
  };
}

/** Runs parked deliveries now: their delayed jobs move to waiting. A job no longer delayed is left alone. */
export async function wakeDeliveries(retries: Queue<RetryJob>, deliveryIds: string[]): Promise<void> {
  await Promise.all(
    deliveryIds.map(async (id) => {
      const job = await retries.getJob(id);
      if (!job) return;
      // Not delayed (already waiting or running): it will see the free slot by itself.
      await job.promote().catch(() => undefined);
    }),
  );
}

/** One probe job per host and cooldown, however many deliveries noticed the open circuit. */
export async function scheduleProbe(retries: Queue<RetryJob>, host: string, atMs: number, nowMs: number): Promise<void> {
  // BullMQ refuses ':' in job ids, and a host has one before its port.
  const jobId = `probe-${encodeURIComponent(host)}-${atMs}`;
  await retries.add('probe', { probeHost: host }, { jobId, delay: Math.max(0, atMs - nowMs) });
}

/**
 * Schedules a delivery's next attempt. jobId = delivery id, so a worker that
 * re-runs after a crash cannot schedule the same retry twice.
 */
export async function scheduleRetry(retries: Queue<RetryJob>, deliveryId: string, atMs: number, nowMs: number): Promise<void> {
  await retries.add('retry', { deliveryId }, { jobId: deliveryId, delay: Math.max(0, atMs - nowMs) });
}
