import { DelayedError, type Job } from 'bullmq';
import { conversionIdOfDelivery, type Ledger } from '../store/ledger.js';
import type { RetryJob } from '../queue/queues.js';
import type { DeliveryRunner } from './delivery-runner.js';
import type { WriteBacklog } from './write-backlog.js';

/**
 * When Redis refuses a write mid-attempt (full at maxmemory, away): the
 * attempt already happened, so its record goes to the write backlog
 * (write-backlog.ts) and the job throws. BullMQ retries the job with its own
 * backoff (worker.jobAttempts); each run first writes the backlog, and makes
 * no new attempt while that is still refused. The ledger keeps saying
 * `retrying` meanwhile, and its reconciler entry stays: if BullMQ gives up on
 * the job (failed set) or cannot even record that (the job stalls, or is
 * lost), the reconciler finds the delivery overdue with no live job and
 * schedules it again. So the ledger and the queue may disagree while Redis
 * refuses writes, never for good: the ledger is the truth and the queue is
 * re-derived from it.
 *
 * Runs one later attempt of a delivery (or a parked delivery woken by its
 * host). When another attempt is due, or the host still cannot take it, the
 * job moves itself back to delayed: one job per delivery for its whole life,
 * and the move is atomic.
 */
export function createRetryProcessor(deps: {
  ledger: Ledger;
  runner: DeliveryRunner;
  backlog: WriteBacklog;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;

  return async function processRetry(job: Job<RetryJob>, token?: string): Promise<void> {
    const data = job.data;
    if ('probeHost' in data) {
      await deps.runner.probe(data.probeHost);
      return;
    }
    // What Redis refused to record last time (an attempt made) goes in first: it may have
    // settled the delivery, and no new attempt is made before the last one is recorded.
    await deps.backlog.flush(conversionIdOfDelivery(data.deliveryId));
    let delivery = await deps.ledger.getDelivery(data.deliveryId);
    if (delivery && data.redrive && delivery.state === 'failed') {
      delivery = await deps.ledger.markRedriven(delivery, now(), data.url);
    }
    // Gone (retention) or already settled: nothing to send.
    if (!delivery || delivery.state === 'delivered' || delivery.state === 'failed') return;
    if (!delivery.parked && delivery.nextAttemptAt !== undefined && delivery.nextAttemptAt > now() + 1_000 && token) {
      // Run early by BullMQ's own retry after a throw (its move to delayed was refused, say):
      // keep the delivery's schedule instead of attempting now. Parked deliveries are woken early on purpose.
      await job.moveToDelayed(delivery.nextAttemptAt, token);
      throw new DelayedError();
    }
    const outcome = await deps.runner.run(delivery);
    const next = outcome.kind === 'parked' ? outcome.recheckAt : outcome.delivery.nextAttemptAt;
    if (next !== undefined && token) {
      await job.moveToDelayed(next, token);
      if (outcome.kind === 'parked' && outcome.reason !== 'rate_limited') await deps.runner.wakeIfReleased(outcome.delivery);
      throw new DelayedError();
    }
  };
}
