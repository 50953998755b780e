import { DelayedError, type Job } from 'bullmq';
import type { Ledger } from '../store/ledger.js';
import type { RetryJob } from '../queue/queues.js';
import type { DeliveryAttempter } from './delivery-attempt.js';

/**
 * Runs one later attempt of a delivery. When another is due, the job moves
 * itself back to delayed (one job per delivery for its whole schedule) rather
 * than adding a new job, which keeps the move atomic.
 */
export function createRetryProcessor(deps: { ledger: Ledger; attempter: DeliveryAttempter }) {
  return async function processRetry(job: Job<RetryJob>, token?: string): Promise<void> {
    let delivery = await deps.ledger.getDelivery(job.data.deliveryId);
    if (delivery && job.data.redrive && delivery.state === 'failed') {
      delivery = await deps.ledger.markRedriven(delivery, Date.now());
    }
    // Gone (retention) or already settled: nothing to send.
    if (!delivery || delivery.state === 'delivered' || delivery.state === 'failed') return;
    const updated = await deps.attempter.attempt(delivery);
    if (updated.nextAttemptAt !== undefined && token) {
      await job.moveToDelayed(updated.nextAttemptAt, token);
      throw new DelayedError();
    }
  };
}
