import type { ConversionState, DeliveryState } from './conversion.js';

/**
 * The delivery state machine: what a delivery is, how an attempt or a park
 * moves it, and what a conversion's state is given its deliveries. Pure; the
 * ledger (src/store/ledger.ts) stores the results and the retry policy
 * (./retry-policy.ts) decides the next state after an attempt.
 *
 *   pending ──attempt──> delivered | failed | retrying ──attempt──> …
 *   failed ──redrive──> pending
 */

/** What the worker decided for a conversion before any delivery settled. */
export type RoutingState = 'unattributed' | 'suppressed' | 'no_postback' | 'routed';

export interface DeliveryRecord {
  id: string;
  conversionId: string;
  account: string;
  /** The rendered URL, secrets included: it is what a retry must send. Shown redacted. */
  url: string;
  host: string;
  state: DeliveryState;
  /** Attempts ever made, across redrives. */
  attempts: number;
  /** Attempts since the delivery was created or last redriven; drives the retry schedule. */
  roundAttempts: number;
  createdAt: number;
  updatedAt: number;
  nextAttemptAt?: number;
  lastError?: string;
  /** Why the delivery is waiting without an attempt (host at its cap, circuit open, paused). */
  parked?: string;
  /** A send time reserved under the host's rate limit (unix ms); the attempt at or after it uses that reservation. */
  rateSlotAt?: number;
}

export interface AttemptRecord {
  attempt: number;
  at: string;
  url: string;
  outcome: 'delivered' | 'retry' | 'failed';
  status?: number;
  error?: string;
  error_code?: string;
  latency_ms: number;
  body: string;
  next_attempt_at?: string;
}

export interface AttemptTransition {
  state: DeliveryState;
  nextAttemptAt?: number;
  at: number;
}

/** The delivery as it stands after an attempt (pure; `recordAttempt` and first attempts share it). */
export function applyAttempt(delivery: DeliveryRecord, attempt: AttemptRecord, next: AttemptTransition): DeliveryRecord {
  const updated: DeliveryRecord = {
    ...delivery,
    state: next.state,
    attempts: delivery.attempts + 1,
    roundAttempts: delivery.roundAttempts + 1,
    updatedAt: next.at,
    ...(next.nextAttemptAt !== undefined ? { nextAttemptAt: next.nextAttemptAt } : {}),
  };
  if (next.nextAttemptAt === undefined) delete updated.nextAttemptAt;
  delete updated.parked;
  delete updated.rateSlotAt;
  const failure = attempt.error ?? (attempt.outcome !== 'delivered' && attempt.status ? `HTTP ${attempt.status}` : undefined);
  if (failure) updated.lastError = failure;
  return updated;
}

export function parkedDelivery(delivery: DeliveryRecord, reason: string, recheckAt: number): DeliveryRecord {
  return {
    ...delivery,
    parked: reason,
    nextAttemptAt: recheckAt,
    ...(reason === 'rate_limited' ? { rateSlotAt: recheckAt } : {}),
  };
}

/** Conversion state as the contract defines it, derived from routing and delivery states. */
export function conversionState(
  routing: RoutingState,
  deliveries: DeliveryRecord[],
  expectedDeliveries: number,
): ConversionState {
  if (routing !== 'routed') return routing;
  if (deliveries.length < expectedDeliveries) return 'pending';
  if (deliveries.some((d) => d.state === 'pending' || d.state === 'retrying')) return 'pending';
  return deliveries.some((d) => d.state === 'failed') ? 'failed' : 'delivered';
}

/** The tracker host a delivery goes to, `host[:port]` as the URL carries it (its isolation and rate-limit key). */
export function hostOfUrl(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
