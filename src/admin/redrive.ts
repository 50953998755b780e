import type { Queue } from 'bullmq';
import type { Ledger } from '../store/ledger.js';
import type { RetryJob } from '../queue/queues.js';

/**
 * Requeues failed deliveries for an attempt now, with a fresh retry
 * schedule. The worker resets the delivery when it picks the job up, so an
 * API call can never overwrite a result the worker is writing.
 */
export function createRedriver(deps: { ledger: Ledger; retries: Queue<RetryJob> }) {
  /**
   * False when the delivery's job is being run by a worker right now (an
   * earlier redrive, say): that run records the outcome, and a second job of
   * the same id could not be added anyway.
   */
  async function redrive(deliveryId: string): Promise<boolean> {
    // A finished job of the same id (kept after an infrastructure failure) would make the add a no-op.
    // BullMQ removes a job unless a worker holds its lock (answer 0).
    if ((await deps.retries.remove(deliveryId)) !== 1) return false;
    await deps.retries.add('retry', { deliveryId, redrive: true }, { jobId: deliveryId });
    return true;
  }

  async function redriveMatching(filter: {
    account?: string;
    host?: string;
    sinceMs?: number;
    limit: number;
  }): Promise<{ requeued: number; matched: number; more: boolean }> {
    // Read one past the limit to tell the operator whether another call is needed.
    const ids = await deps.ledger.scanIndex('failed', filter.account, filter.sinceMs ?? 0, filter.limit + 1);
    const candidates = ids.slice(0, filter.limit);
    const deliveries = await deps.ledger.getDeliveries(candidates);
    const matching = deliveries.filter((d) => d.state === 'failed' && (!filter.host || d.host === filter.host));
    let requeued = 0;
    for (const delivery of matching) if (await redrive(delivery.id)) requeued += 1;
    return { requeued, matched: matching.length, more: ids.length > filter.limit };
  }

  return { redrive, redriveMatching };
}

export type Redriver = ReturnType<typeof createRedriver>;
