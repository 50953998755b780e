import type { Queue } from 'bullmq';
import type { Ledger } from '../store/ledger.js';
import type { RetryJob } from '../queue/queues.js';

/**
 * Requeues failed deliveries for an attempt now, with a fresh retry
 * schedule. The worker resets the delivery when it picks the job up, so an
 * API call can never overwrite a result the worker is writing.
 */
export function createRedriver(deps: { ledger: Ledger; retries: Queue<RetryJob> }) {
  async function redrive(deliveryId: string): Promise<void> {
    // A finished job of the same id (kept after an infrastructure failure) would make the add a no-op.
    await deps.retries.remove(deliveryId);
    await deps.retries.add('retry', { deliveryId, redrive: true }, { jobId: deliveryId });
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
    for (const delivery of matching) await redrive(delivery.id);
    return { requeued: matching.length, matched: matching.length, more: ids.length > filter.limit };
  }

  return { redrive, redriveMatching };
}

export type Redriver = ReturnType<typeof createRedriver>;
