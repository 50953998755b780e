import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { RedisClient } from '../redis/connection.js';
import type { RelayKeys } from '../store/keys.js';
import { isUnsettled, type Ledger } from '../store/ledger.js';
import type { RelayMetrics } from '../health/metrics.js';
import { scheduleRetry, type ConversionJob, type RetryJob } from '../queue/queues.js';

export interface ReconcilerDeps {
  redis: RedisClient;
  keys: RelayKeys;
  ledger: Ledger;
  retries: Queue<RetryJob>;
  conversions: Queue<ConversionJob>;
  metrics: RelayMetrics;
  logger: Logger;
  intervalMs: number;
  graceMs: number;
  maxPerSweep: number;
  now?: () => number;
}

export interface SweepResult {
  /** False when another process holds the lease (or Redis refused it): nothing was looked at. */
  swept: boolean;
  checked: number;
  recovered: number;
  /** Conversion jobs BullMQ had failed, put back to run again. */
  conversionsRetried: number;
}

/** Job states in which a delivery's retry job will still run by itself. */
const LIVE_STATES = new Set(['delayed', 'waiting', 'prioritized', 'waiting-children']);

/**
 * The safety net under the queue: every delivery the ledger holds as
 * `pending` or `retrying` has to reach `delivered` or `failed`, whatever
 * happened between the steps (a worker killed, a job removed or lost in a
 * failover, a script refused by a full Redis, BullMQ failing a job).
 *
 * A sweep reads only the overdue end of the unsettled index (see
 * `keys.unsettledDeliveries`): deliveries whose next attempt is more than
 * `graceMs` late. For each it asks BullMQ whether live work exists (a
 * delayed, waiting or locked active job); if so, the entry is postponed by
 * the grace, otherwise the job (missing, failed, completed, or active with no
 * lock) is replaced by a new one due now: at-least-once. A lease lets one
 * process sweep per interval, so many workers do not schedule the same
 * delivery twice in the normal case; every step is a per-key command, so it
 * works on Redis Cluster too.
 *
 * It also puts back conversion jobs BullMQ ended in its failed set (their
 * conversions have no record yet, so no index can find them): re-running one
 * is safe, the processor resumes what a previous run recorded.
 */
export function createReconciler(deps: ReconcilerDeps) {
  const now = deps.now ?? Date.now;
  const token = randomBytes(8).toString('hex');
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function takeLease(): Promise<boolean> {
    // Held for most of an interval and not released: the fleet sweeps about once per interval.
    const leaseMs = Math.max(50, Math.floor(deps.intervalMs * 0.9));
    return (await deps.redis.set(deps.keys.reconcilerLease, token, 'PX', leaseMs, 'NX')) === 'OK';
  }

  async function sweep(): Promise<SweepResult> {
    const result: SweepResult = { swept: false, checked: 0, recovered: 0, conversionsRetried: 0 };
    if (!(await takeLease())) return result;
    result.swept = true;
    const at = now();
    const ids = await deps.ledger.overdueUnsettled(at - deps.graceMs, deps.maxPerSweep);
    result.checked = ids.length;
    const outcomes = await Promise.all(ids.map((id) => reconcile(id, at)));
    result.recovered = outcomes.filter(Boolean).length;
    result.conversionsRetried = await retryFailedConversions();
    return result;
  }

  /** True when the delivery had no live work and was scheduled again. */
  async function reconcile(id: string, at: number): Promise<boolean> {
    const delivery = await deps.ledger.getDelivery(id);
    if (!delivery || !isUnsettled(delivery)) {
      // Settled (its removal was lost) or expired: nothing to do but drop the entry.
      await deps.ledger.forgetUnsettled(id);
      return false;
    }
    const job = await deps.retries.getJob(id);
    const state = job ? await job.getState() : 'missing';
    if (LIVE_STATES.has(state) || (state === 'active' && (await hasLock(id)))) {
      // Late but queued (a backlog, a busy host): look again a grace later.
      await deps.ledger.postponeUnsettled(id, at + deps.graceMs);
      return false;
    }
    // A failed or completed job with the delivery's id would make the add below a no-op.
    if (job) await job.remove().catch(() => undefined);
    await scheduleRetry(deps.retries, id, at, at);
    await deps.ledger.postponeUnsettled(id, at + deps.graceMs);
    deps.metrics.deliveriesRecovered.inc();
    deps.logger.warn(
      {
        delivery_id: id,
        state: delivery.state,
        job_state: state,
        due_at: new Date(delivery.nextAttemptAt ?? delivery.updatedAt).toISOString(),
      },
      'reconciler: unsettled delivery had no scheduled work; scheduled it again',
    );
    return true;
  }

  async function hasLock(id: string): Promise<boolean> {
    return (await deps.redis.exists(deps.retries.toKey(`${id}:lock`))) === 1;
  }

  async function retryFailedConversions(): Promise<number> {
    const failed = await deps.conversions.getJobs(['failed'], 0, deps.maxPerSweep - 1);
    let retried = 0;
    for (const job of failed) {
      try {
        await job.retry('failed');
        retried += 1;
        deps.logger.warn(
          { job_id: job.id, conversions: job.data?.items?.length ?? 0, failed_reason: job.failedReason },
          'reconciler: conversion job had failed; put it back to run again',
        );
      } catch (error) {
        deps.logger.warn({ err: error, job_id: job.id }, 'reconciler: could not put a failed conversion job back');
      }
    }
    return retried;
  }

  function tick(): void {
    running ??= sweep()
      .then((result) => {
        if (result.recovered > 0 || result.conversionsRetried > 0) deps.logger.info(result, 'reconciler sweep');
      })
      // Redis away or full: the next tick tries again.
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'reconciler sweep failed'))
      .finally(() => (running = undefined));
  }

  return {
    sweep,
    start() {
      timer ??= setInterval(tick, deps.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;
