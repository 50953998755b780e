import type { AuditLog } from '../audit/audit-log.js';
import type { WriteBacklog } from './write-backlog.js';
import type { DeliveryClient, AttemptResult } from '../delivery/index.js';
import { decideNext, type RetrySchedule } from '../domain/retry-policy.js';
import { applyAttempt, type Ledger, type DeliveryRecord, type AttemptRecord } from '../store/ledger.js';
import type { RelayMetrics } from '../health/metrics.js';
import { redactUrl } from '../audit/redact-url.js';
import type { DeliveryState } from '../domain/conversion.js';

export type RetryPolicy = RetrySchedule;

export interface DeliveryAttempterDeps {
  client: DeliveryClient;
  ledger: Ledger;
  auditLog: AuditLog;
  /** Where an attempt's record waits when Redis refuses it (the attempt happened: it must be recorded). */
  backlog: WriteBacklog;
  metrics: RelayMetrics;
  retryPolicy: RetryPolicy;
  now?: () => number;
}

/**
 * Sends one attempt of a delivery and records it: the attempt in the audit
 * (Redis and the JSON-lines log) and the delivery's new state, with
 * `nextAttemptAt` set when the answer is retryable and the schedule is not
 * exhausted. Scheduling that next attempt is the caller's: a first attempt
 * adds a retry job, a retry job moves itself back to delayed.
 */
export function createDeliveryAttempter(deps: DeliveryAttempterDeps) {
  const now = deps.now ?? Date.now;

  /**
   * With `persist: false` the new state and the attempt are returned, not
   * written: a conversion's first attempts are written together with the
   * conversion itself, in one transaction.
   */
  async function attempt(
    delivery: DeliveryRecord,
    options: { persist?: boolean } = {},
  ): Promise<{ delivery: DeliveryRecord; result: AttemptResult; attempt: AttemptRecord }> {
    const startedAt = now();
    const result = await deps.client.send(delivery.url);
    const finishedAt = now();
    const next = decideNext({
      outcome: result.outcome,
      attempt: delivery.roundAttempts + 1,
      schedule: deps.retryPolicy,
      now: finishedAt,
      ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}),
    });
    const state: DeliveryState = next.state;
    const nextAttemptAt = next.state === 'retrying' ? next.nextAttemptAt : undefined;

    const record = attemptRecord(delivery, result, startedAt, nextAttemptAt);
    const transition = { state, at: finishedAt, ...(nextAttemptAt !== undefined ? { nextAttemptAt } : {}) };
    const updated = applyAttempt(delivery, record, transition);

    // Logged before the ledger write: should Redis refuse that write and the
    // process die before it lands (see write-backlog.ts), the log still has it.
    deps.auditLog.info(
      {
        delivery_id: delivery.id,
        conversion_id: delivery.conversionId,
        account: delivery.account,
        host: delivery.host,
        state,
        ...record,
      },
      'attempt',
    );
    deps.metrics.deliveryAttempts.inc({ outcome: result.outcome });
    deps.metrics.attemptDuration.observe({ outcome: result.outcome }, result.latencyMs / 1000);
    if (state === 'delivered' || state === 'failed') deps.metrics.deliveriesSettled.inc({ outcome: state });
    if (options.persist !== false) {
      let tries = 0;
      // A write that lands late may find the delivery moved on (another worker took the job over).
      await deps.backlog.write(delivery.conversionId, () =>
        deps.ledger.recordAttempt(delivery, record, transition, { late: tries++ > 0 }).then(() => undefined),
      );
    }
    return { delivery: updated, result, attempt: record };
  }

  return { attempt };
}

export type DeliveryAttempter = ReturnType<typeof createDeliveryAttempter>;

function attemptRecord(
  delivery: DeliveryRecord,
  result: AttemptResult,
  startedAt: number,
  nextAttemptAt: number | undefined,
): AttemptRecord {
  return {
    attempt: delivery.attempts + 1,
    at: new Date(startedAt).toISOString(),
    url: redactUrl(delivery.url),
    outcome: result.outcome,
    ...(result.status !== undefined ? { status: result.status } : {}),
    ...(result.error !== undefined ? { error: result.error } : {}),
    ...(result.errorCode !== undefined ? { error_code: result.errorCode } : {}),
    latency_ms: Math.round(result.latencyMs),
    body: result.body,
    ...(nextAttemptAt !== undefined ? { next_attempt_at: new Date(nextAttemptAt).toISOString() } : {}),
  };
}
