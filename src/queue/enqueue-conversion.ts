import type { Queue } from 'bullmq';
import type { ConversionJob } from './queues.js';

export interface EnqueueResult {
  /** The id the sender should keep: the new conversion's, or the first one's for a duplicate. */
  id: string;
  duplicate: boolean;
}

/**
 * Dedupe and enqueue happen in BullMQ's single add script: the dedupe key is
 * set (with the window as TTL) only together with the job, so two receivers
 * racing on the same conversion produce one job, and the loser learns the
 * winner's id.
 */
export async function enqueueConversion(
  queue: Queue<ConversionJob>,
  job: ConversionJob,
  dedupeKey: string,
  windowMs: number,
): Promise<EnqueueResult> {
  const added = await queue.add('conversion', job, {
    jobId: job.conversion.id,
    deduplication: { id: dedupeKey, ttl: windowMs },
  });
  const id = added.id ?? job.conversion.id;
  return { id, duplicate: id !== job.conversion.id };
}
