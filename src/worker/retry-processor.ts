import { DelayedError, type Job } from 'bullmq';
import type { Ledger } from '../store/ledger.js';
import type { RetryJob } from '../queue/queues.js';
import type { DeliveryRunner } from './delivery-runner.js';

/**
 * Runs one later attempt of a delivery (or a parked delivery woken by its
 * host). When another attempt is due, or the host still cannot take it, the
 * job moves itself back to delayed: one job per delivery for its whole life,
 * and the move is atomic.
 */
export function createRetryProcessor(deps: { ledger: Ledger; runner: DeliveryRunner; now?: () => number }) {
  const now = deps.now ?? Date.now;

  return async function processRetry(job: Job<RetryJob>, token?: string): Promise<void> {
    const data = job.data;
    if ('probeHost' in data) {
      await deps.runner.probe(data.probeHost);
      return;
    }
    let delivery = await deps.ledger.getDelivery(data.deliveryId);
    if (delivery && data.redrive && delivery.state === 'failed') {
      delivery = await deps.ledger.markRedriven(delivery, now());
    }
    // Gone (retention) or already settled: nothing to send.
    if (!delivery || delivery.state === 'delivered' || delivery.state === 'failed') return;
    const outcome = await deps.runner.run(delivery);
    const next = outcome.kind === 'parked' ? outcome.recheckAt : outcome.delivery.nextAttemptAt;
    if (next !== undefined && token) {
      await job.moveToDelayed(next, token);
      if (outcome.kind === 'parked' && outcome.reason !== 'rate_limited') await deps.runner.wakeIfReleased(outcome.delivery);
      throw new DelayedError();
    }
  };
}
