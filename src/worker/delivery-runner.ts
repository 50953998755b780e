import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Admission, DeliveryGate } from '../delivery/host-gate.js';
import type { AttemptResult } from '../delivery/index.js';
import { parkedDelivery, type Ledger, type DeliveryRecord, type AttemptRecord } from '../store/ledger.js';
import { scheduleProbe, wakeDeliveries, type RetryJob } from '../queue/queues.js';
import type { DeliveryAttempter } from './delivery-attempt.js';
import type { HostRateLimiter } from '../delivery/host-rate-limit.js';

export type RunOutcome =
  /**
   * Attempted; `nextAttemptAt` is set on the delivery when another attempt is due.
   * `released` (first attempts, `persist: false`): the host slot's release, under way while the
   * caller writes the record; the caller awaits it.
   */
  | { kind: 'attempted'; delivery: DeliveryRecord; attempt: AttemptRecord; released?: Promise<void> }
  /**
   * Not attempted: the host is at its cap, its circuit is open, or it is paused
   * (the delivery is in the host's parked set and is woken by it), or its send
   * slot under the host's rate limit is later (`rate_limited`: it just waits).
   */
  | { kind: 'parked'; delivery: DeliveryRecord; recheckAt: number; reason: string };

export interface DeliveryRunnerDeps {
  gate: DeliveryGate;
  /** Optional per-host request rates; absent or without a limit for the host, no cost. */
  rateLimiter?: HostRateLimiter;
  attempter: DeliveryAttempter;
  ledger: Ledger;
  retries: Queue<RetryJob>;
  logger: Logger;
  parkRecheckMs: number;
  /**
   * How long a delivery to a busy host that is completing attempts right now
   * waits in process for a slot before it is parked. Parking costs several
   * Redis round trips and a job; a fast host frees a slot within milliseconds.
   */
  busyWaitMs: number;
  now?: () => number;
}

/** A host is "completing attempts" when this process released one of its slots this recently. */
const RECENT_RELEASE_MS = 100;
/** A delivery waits in process for a busy host's slot at most this many times `busyWaitMs`, then parks. */
const BUSY_WAIT_LIMIT = 8;
/** A reserved send slot this close is waited for in process; a later one parks the delivery (a delayed job). */
const IN_PROCESS_RATE_WAIT_MS = 250;

/**
 * One attempt of a delivery, if its host lets it through: takes a host slot,
 * attempts, gives the slot back (moving the host's circuit) and wakes the
 * parked deliveries the freed slot makes room for.
 */
export function createDeliveryRunner(deps: DeliveryRunnerDeps) {
  const now = deps.now ?? Date.now;
  const lastReleaseAt = new Map<string, number>();
  const releaseWaiters = new Map<string, Array<() => void>>();

  /**
   * Admission, waiting for a slot when the host is busy but alive (it freed
   * a slot here a moment ago, or this process has attempts to it in flight,
   * so one will free here): up to `busyWaitMs` after the later of this
   * admission's start and the host's last release here, so a host that keeps
   * answering is waited for while it answers, and at most BUSY_WAIT_LIMIT
   * times that in all. A host that is slow or dead frees none, so its
   * deliveries park after `busyWaitMs` and never hold a worker.
   */
  async function admit(delivery: DeliveryRecord): Promise<Admission> {
    const start = now();
    const limit = start + deps.busyWaitMs * BUSY_WAIT_LIMIT;
    for (;;) {
      const lastRelease = lastReleaseAt.get(delivery.host) ?? 0;
      const deadline = Math.min(Math.max(start, lastRelease) + deps.busyWaitMs, limit);
      const releasing = deps.gate.slotFreesSoon?.(delivery.host) === true || now() - lastRelease < RECENT_RELEASE_MS;
      const mayWait = releasing && now() < deadline;
      const admission = await deps.gate.acquire(delivery.host, delivery.id, now(), { park: !mayWait });
      if (admission.granted || admission.reason !== 'host_busy' || !mayWait) return admission;
      await releaseOf(delivery.host, Math.max(1, Math.min(20, deadline - now())));
    }
  }

  /**
   * Under a host rate limit: reserves the delivery's send slot (once: a woken
   * delivery uses the slot it reserved) and waits in process when it is
   * near; answers how long is left when it is not (the delivery then parks).
   */
  async function waitForRateSlot(delivery: DeliveryRecord): Promise<number> {
    if (!deps.rateLimiter?.limitOf(delivery.host)) return 0;
    const wait = delivery.rateSlotAt !== undefined ? delivery.rateSlotAt - now() : await deps.rateLimiter.reserve(delivery.host);
    if (wait > IN_PROCESS_RATE_WAIT_MS) return wait;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    return 0;
  }

  /** Resolves on the next slot this process frees on the host, or after `ms` (another process may free one). */
  function releaseOf(host: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiters = releaseWaiters.get(host) ?? [];
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      // Timed out: out of the line, so a freed slot is not spent waking it.
      const timer = setTimeout(() => {
        const index = waiters.indexOf(wake);
        if (index >= 0) waiters.splice(index, 1);
        if (waiters.length === 0 && releaseWaiters.get(host) === waiters) releaseWaiters.delete(host);
        resolve();
      }, ms);
      waiters.push(wake);
      releaseWaiters.set(host, waiters);
    });
  }

  /**
   * One waiter per freed slot, oldest first: waking them all had every waiter
   * re-ask Redis for the one slot, and with more conversions in flight than
   * the host's cap that herd cost more than the deliveries themselves. A
   * waiter not woken here still re-asks after its timeout (another process
   * may free a slot).
   */
  function signalRelease(host: string): void {
    lastReleaseAt.set(host, now());
    const waiters = releaseWaiters.get(host);
    if (!waiters) return;
    const wake = waiters.shift();
    if (waiters.length === 0) releaseWaiters.delete(host);
    wake?.();
  }

  /** `persist: false`: nothing is written to the ledger; the caller writes the outcome (first attempts). */
  async function run(delivery: DeliveryRecord, options: { persist?: boolean } = {}): Promise<RunOutcome> {
    const rateWait = await waitForRateSlot(delivery);
    if (rateWait > 0) {
      const recheckAt = now() + rateWait;
      const parked =
        options.persist === false
          ? parkedDelivery(delivery, 'rate_limited', recheckAt)
          : await deps.ledger.markParked(delivery, 'rate_limited', recheckAt);
      return { kind: 'parked', delivery: parked, recheckAt, reason: 'rate_limited' };
    }
    const admission = await admit(delivery);
    if (!admission.granted) {
      const at = now();
      if (admission.reason === 'circuit_open' && admission.probeAt) {
        await scheduleProbe(deps.retries, delivery.host, admission.probeAt, at);
      }
      const recheckAt = Math.max(admission.probeAt ?? at, at) + deps.parkRecheckMs;
      const parked =
        options.persist === false
          ? parkedDelivery(delivery, admission.reason, recheckAt)
          : await deps.ledger.markParked(delivery, admission.reason, recheckAt);
      return { kind: 'parked', delivery: parked, recheckAt, reason: admission.reason };
    }
    if (options.persist === false) {
      // The release and the caller's record write are a round trip each and neither needs the
      // other: sent together, they take one turn off every first attempt's chain of round trips,
      // which is what bounds a worker's deliveries per second at a given concurrency.
      let attempted;
      try {
        attempted = await deps.attempter.attempt(delivery, options);
      } catch (error) {
        await releaseSlot(delivery, undefined);
        throw error;
      }
      return {
        kind: 'attempted',
        delivery: attempted.delivery,
        attempt: attempted.attempt,
        released: releaseSlot(delivery, attempted.result),
      };
    }
    let result: AttemptResult | undefined;
    try {
      const attempted = await deps.attempter.attempt(delivery, options);
      result = attempted.result;
      return { kind: 'attempted', delivery: attempted.delivery, attempt: attempted.attempt };
    } finally {
      await releaseSlot(delivery, result);
    }
  }

  async function releaseSlot(delivery: DeliveryRecord, result: AttemptResult | undefined): Promise<void> {
    const released = await deps.gate.release(delivery.host, delivery.id, circuitOutcome(result), failureText(result), now());
    if (released.state === 'closed') signalRelease(delivery.host);
    if (released.openedUntil) {
      deps.logger.warn({ host: delivery.host, probeAt: new Date(released.openedUntil).toISOString() }, 'circuit opened');
      await scheduleProbe(deps.retries, delivery.host, released.openedUntil, now());
    }
    if (released.wake.length > 0) await wakeDeliveries(deps.retries, released.wake);
  }

  /** A parked delivery whose wake-up raced with its parking would otherwise sleep until the recheck. */
  async function wakeIfReleased(delivery: DeliveryRecord): Promise<void> {
    if (!(await deps.gate.isParked(delivery.host, delivery.id))) await wakeDeliveries(deps.retries, [delivery.id]);
  }

  /** The half-open probe: the oldest parked delivery of the host goes now. */
  async function probe(host: string): Promise<void> {
    const ids = await deps.gate.takeParked(host, 1);
    await wakeDeliveries(deps.retries, ids);
  }

  return { run, wakeIfReleased, probe };
}

export type DeliveryRunner = ReturnType<typeof createDeliveryRunner>;

/** Whether the attempt says anything about the host's health. */
function circuitOutcome(result: AttemptResult | undefined): 'ok' | 'fail' | 'neutral' {
  if (!result) return 'neutral';
  if (result.outcome === 'retry') return 'fail';
  // Refused before connecting (blocked address, bad URL): the host was never reached.
  if (result.status === undefined) return 'neutral';
  return 'ok';
}

function failureText(result: AttemptResult | undefined): string {
  if (!result || result.outcome !== 'retry') return '';
  return result.error ?? (result.status ? `HTTP ${result.status}` : 'error');
}
