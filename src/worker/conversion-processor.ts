import { hostOfUrl } from '../domain/delivery.js';
import type { Job, Queue } from 'bullmq';
import type { Conversion } from '../domain/conversion.js';
import type { AccountConfig } from '../domain/account.js';
import type { RecordStore } from '../store/record-store.js';
import type { Ledger, DeliveryRecord } from '../store/ledger.js';
import type { RelayMetrics } from '../health/metrics.js';
import { resolvePostback, renderTemplate, macroValuesOf, withStatusMap } from '../templates/index.js';
import { conversionIdentity } from '../domain/conversion-identity.js';
import type { StatusLinks } from '../store/status-links.js';
import { scheduleRetry, type ConversionItem, type ConversionJob, type RetryJob } from '../queue/queues.js';
import type { Slots } from './slots.js';
import type { WriteBacklog } from './write-backlog.js';
import type { DeliveryRunner, RunOutcome } from './delivery-runner.js';

export interface ConversionProcessorDeps {
  accounts: Pick<RecordStore<AccountConfig>, 'get'>;
  ledger: Ledger;
  runner: DeliveryRunner;
  retries: Queue<RetryJob>;
  metrics: RelayMetrics;
  /** First attempts were made before their record is written: a refused write waits here (see write-backlog.ts). */
  backlog: WriteBacklog;
  /** Links a status change to the earlier report of the same conversion (`previous_id`); off when absent. */
  statusLinks?: StatusLinks;
  /** Bounds the conversions routed at once across all the jobs this process holds. */
  slots: Slots;
  /** The items of a job that are not duplicates of another (see `ownItems`). */
  ownItems(items: ConversionItem[]): Promise<ConversionItem[]>;
  now?: () => number;
}

/**
 * Turns the conversions of a queue job into deliveries and gives each its
 * first attempt right away (no second queue hop on the common path). Safe to
 * re-run: a conversion already routed keeps its deliveries, and only those
 * not yet settled are attempted again.
 */
export function createConversionProcessor(deps: ConversionProcessorDeps) {
  const now = deps.now ?? Date.now;

  return async function processConversions(job: Job<ConversionJob>): Promise<void> {
    const { items, reattribute } = job.data;
    // A first run has nothing recorded yet; only a re-run (after a crash or an
    // infrastructure failure) or a re-attribution needs to look.
    const mayExist = reattribute === true || job.attemptsStarted !== 1;
    const own = await deps.ownItems(items);
    await Promise.all(own.map((item) => deps.slots.run(() => processConversion(item, mayExist, reattribute === true))));
  };

  async function processConversion(item: ConversionItem, mayExist: boolean, reattribute: boolean): Promise<void> {
    const { conversion, unattributed } = item;
    // A previous run's record that Redis refused (first attempts made) is written before anything else.
    if (mayExist) await deps.backlog.flush(conversion.id);
    const existing = mayExist ? await deps.ledger.getConversion(conversion.id) : null;
    if (existing) {
      if (existing.routing === 'routed') await resume(await deps.ledger.getDeliveries(existing.deliveryIds));
      else if (reattribute && existing.routing === 'unattributed') {
        // The one case where a recorded outcome is replaced: an operator attributed it. A re-run
        // after a crash finds it routed (resumed above) or still unattributed (routed here).
        await deps.ledger.forgetUnattributed(conversion.id);
        await route(conversion, undefined);
      }
      return;
    }
    if (unattributed) {
      await deps.ledger.saveUndelivered(conversion, 'unattributed', unattributed);
      deps.metrics.conversionsRouted.inc({ result: 'unattributed' });
      return;
    }
    await route(conversion, reattribute ? undefined : item.dedupe);
  }

  /**
   * Resolves, renders and gives each delivery its first attempt, then records it all at once.
   * `dedupeDigest`: the receiver's dedupe digest of these very fields, if known.
   */
  async function route(received: Conversion, dedupeDigest: string | undefined): Promise<void> {
    const conversion = await linked(received, dedupeDigest);
    const accountId = conversion.account ?? '';
    const account = accountId ? await deps.accounts.get(accountId) : null;
    if (!account) {
      await deps.ledger.saveUndelivered(conversion, 'no_postback', `account "${accountId}" is not configured`);
      deps.metrics.conversionsRouted.inc({ result: 'no_postback' });
      return;
    }
    const resolution = resolvePostback(account, conversion.offer_id, conversion.event, conversion.status);
    if (resolution.outcome !== 'deliver') {
      const reason =
        resolution.outcome === 'suppressed'
          ? (resolution.reason ?? `offer ${conversion.offer_id ?? ''} is disabled`)
          : `no postback for event "${conversion.event}"`;
      await deps.ledger.saveUndelivered(conversion, resolution.outcome, reason);
      deps.metrics.conversionsRouted.inc({ result: resolution.outcome });
      return;
    }
    const values = withStatusMap(macroValuesOf(conversion), resolution.statusMap);
    const createdAt = now();
    const deliveries = resolution.urls.map((template, index): DeliveryRecord => {
      const url = renderTemplate(template, values);
      return {
        id: `${conversion.id}.${index}`,
        conversionId: conversion.id,
        account: accountId,
        url,
        host: hostOfUrl(url),
        state: 'pending',
        attempts: 0,
        roundAttempts: 0,
        createdAt,
        updatedAt: createdAt,
      };
    });
    const outcomes = await Promise.all(deliveries.map((delivery) => deps.runner.run(delivery, { persist: false })));
    const attempts = new Map(outcomes.flatMap((o) => (o.kind === 'attempted' ? [[o.delivery.id, o.attempt] as const] : [])));
    // Settled, not raced: a failed release must not cut the record's write short (see the end).
    const releases = Promise.allSettled(outcomes.flatMap((o) => (o.kind === 'attempted' && o.released ? [o.released] : [])));
    const save = () =>
      deps.ledger.saveRouted(
        conversion,
        resolution.level,
        outcomes.map((o) => o.delivery),
        attempts,
      );
    let tries = 0;
    await deps.backlog.write(conversion.id, async () => {
      if (tries++ === 0) return save();
      // Written late (Redis refused it): another run may have routed the conversion meanwhile (its
      // job taken over). Its record stands; these first attempts are added to it, not written over it.
      if (!(await deps.ledger.getConversion(conversion.id))) return save();
      await Promise.all(
        outcomes.flatMap((outcome, index) =>
          outcome.kind === 'attempted'
            ? [deps.ledger.recordAttempt(deliveries[index]!, outcome.attempt, transitionOf(outcome.delivery), { late: true })]
            : [],
        ),
      );
    });
    deps.metrics.conversionsRouted.inc({ result: 'routed' });
    // A release Redis refused fails the job once the record is written: its re-run finds the
    // conversion routed and resumes only what is unsettled (the lease itself expires).
    const failedRelease = (await releases).find((settled) => settled.status === 'rejected');
    if (failedRelease) throw failedRelease.reason;
    // Only now that the deliveries are recorded may their next attempts be scheduled.
    await Promise.all(outcomes.map((outcome) => scheduleNext(outcome)));
  }

  async function scheduleNext(outcome: RunOutcome): Promise<void> {
    const next = outcome.kind === 'parked' ? outcome.recheckAt : outcome.delivery.nextAttemptAt;
    if (next !== undefined) await scheduleRetry(deps.retries, outcome.delivery.id, next, now());
    if (outcome.kind === 'parked' && outcome.reason !== 'rate_limited') await deps.runner.wakeIfReleased(outcome.delivery);
  }

  /**
   * The conversion with `previous_id` set when an earlier report of the same
   * identity was recorded (a status change). Only conversions with a click id
   * are linked: without one the identity is too coarse to mean "the same conversion".
   */
  async function linked(conversion: Conversion, dedupeDigest: string | undefined): Promise<Conversion> {
    if (!deps.statusLinks || !conversion.click_id) return conversion;
    // Without a status the dedupe digest is the identity (see dedupeKey): no second hash.
    const identity =
      dedupeDigest !== undefined && conversion.status === undefined
        ? dedupeDigest
        : conversionIdentity(conversion.source, conversion);
    const previous = await deps.statusLinks.link(identity, conversion.id);
    return previous === undefined || previous === conversion.id ? conversion : { ...conversion, previous_id: previous };
  }

  async function resume(deliveries: DeliveryRecord[]): Promise<void> {
    // A crash between the record and its index entry must not strand a delivery.
    await deps.ledger.indexUnsettled(deliveries);
    await Promise.all(
      deliveries.map(async (delivery) => {
        if (delivery.state === 'pending') {
          await scheduleNext(await deps.runner.run(delivery));
        } else if (delivery.state === 'retrying' && delivery.nextAttemptAt !== undefined) {
          // A crash may have come between recording the attempt and scheduling it.
          await scheduleRetry(deps.retries, delivery.id, delivery.nextAttemptAt, now());
        }
      }),
    );
  }
}

function transitionOf(delivery: DeliveryRecord) {
  return {
    state: delivery.state,
    at: delivery.updatedAt,
    ...(delivery.nextAttemptAt !== undefined ? { nextAttemptAt: delivery.nextAttemptAt } : {}),
  };
}
