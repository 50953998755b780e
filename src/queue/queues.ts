import { Queue, type ConnectionOptions, type DefaultJobOptions } from 'bullmq';
import type { Conversion } from '../domain/conversion.js';

/** New conversions: resolved, fanned out and given their first attempt. */
export const CONVERSIONS_QUEUE = 'conversions';
/**
 * Later attempts of deliveries, as delayed jobs. A queue of its own so a
 * backlog of retries never starves first attempts.
 */
export const RETRIES_QUEUE = 'retries';

export interface ConversionJob {
  conversion: Conversion;
  /** Set by the receiver when it already knows the conversion cannot be attributed. */
  unattributed?: string;
}

export interface RetryJob {
  deliveryId: string;
  /** An operator asked for this failed delivery to be tried again, with a fresh schedule. */
  redrive?: boolean;
}

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

export function createQueues(connection: ConnectionOptions, prefix: string): RelayQueues {
  const conversions = new Queue<ConversionJob>(CONVERSIONS_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
  });
  const retries = new Queue<RetryJob>(RETRIES_QUEUE, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  return {
    conversions,
    retries,
    async close() {
      await Promise.all([conversions.close(), retries.close()]);
    },
  };
}

/**
 * Schedules a delivery's next attempt. jobId = delivery id, so a worker that
 * re-runs after a crash cannot schedule the same retry twice.
 */
export async function scheduleRetry(retries: Queue<RetryJob>, deliveryId: string, atMs: number, nowMs: number): Promise<void> {
  await retries.add('retry', { deliveryId }, { jobId: deliveryId, delay: Math.max(0, atMs - nowMs) });
}
