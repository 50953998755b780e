import type { Queue } from 'bullmq';
import type { Ledger } from '../store/ledger.js';
import type { RecordStore } from '../store/record-store.js';
import type { RetryJob } from '../queue/queues.js';
import type { AccountConfig } from '../domain/account.js';
import type { DeliveryRecord } from '../domain/delivery.js';
import { macroValuesOf, renderTemplate, templateAt, withStatusMap } from '../templates/index.js';

export type RedriveResult =
  | { outcome: 'requeued'; url: string; previousUrl?: string }
  /** A worker is attempting the delivery right now (an earlier redrive, say). */
  | { outcome: 'in_progress' }
  /** The account's current configuration yields no URL at the delivery's level and position. */
  | { outcome: 'template_gone'; reason: string };

/**
 * Requeues failed deliveries for an attempt now, with a fresh retry
 * schedule. The URL is rendered again from the account's current templates,
 * at the level and list position the delivery was made from, so fixing a
 * template and redriving repairs the failures (`keepUrl` resends the stored
 * URL). The worker resets the delivery, and takes the new URL, when it picks
 * the job up, so an API call can never overwrite a result the worker is writing.
 */
export function createRedriver(deps: { ledger: Ledger; retries: Queue<RetryJob>; accounts: RecordStore<AccountConfig> }) {
  async function currentUrl(delivery: DeliveryRecord): Promise<{ url: string } | { gone: string }> {
    const record = await deps.ledger.getConversion(delivery.conversionId);
    if (!record?.level) return { gone: `conversion ${delivery.conversionId} has no recorded template level` };
    const account = await deps.accounts.get(delivery.account);
    if (!account) return { gone: `account "${delivery.account}" is not configured` };
    const position = Number(delivery.id.slice(delivery.id.lastIndexOf('.') + 1));
    const { conversion, level } = record;
    const found = templateAt(account, conversion.offer_id, conversion.event, level, position);
    if (!found)
      return {
        gone: `no template at ${level} position ${position} for offer ${conversion.offer_id ?? '-'} event "${conversion.event}" now`,
      };
    return { url: renderTemplate(found.template, withStatusMap(macroValuesOf(conversion), found.statusMap)) };
  }

  async function redrive(delivery: DeliveryRecord, options: { keepUrl?: boolean } = {}): Promise<RedriveResult> {
    let url = delivery.url;
    if (!options.keepUrl) {
      const current = await currentUrl(delivery);
      if ('gone' in current) return { outcome: 'template_gone', reason: current.gone };
      url = current.url;
    }
    // A finished job of the same id (kept after an infrastructure failure) would make the add a no-op.
    // BullMQ removes a job unless a worker holds its lock (answer 0).
    if ((await deps.retries.remove(delivery.id)) !== 1) return { outcome: 'in_progress' };
    await deps.retries.add(
      'retry',
      { deliveryId: delivery.id, redrive: true, ...(url !== delivery.url ? { url } : {}) },
      { jobId: delivery.id },
    );
    return { outcome: 'requeued', url, ...(url !== delivery.url ? { previousUrl: delivery.url } : {}) };
  }

  async function redriveMatching(filter: {
    account?: string;
    host?: string;
    sinceMs?: number;
    limit: number;
    keepUrl?: boolean;
  }): Promise<{ requeued: number; template_gone: number; matched: number; more: boolean }> {
    // Read one past the limit to tell the operator whether another call is needed.
    const ids = await deps.ledger.scanIndex('failed', filter.account, filter.sinceMs ?? 0, filter.limit + 1);
    const candidates = ids.slice(0, filter.limit);
    const deliveries = await deps.ledger.getDeliveries(candidates);
    const matching = deliveries.filter((d) => d.state === 'failed' && (!filter.host || d.host === filter.host));
    let requeued = 0;
    let templateGone = 0;
    for (const delivery of matching) {
      const result = await redrive(delivery, { keepUrl: filter.keepUrl === true });
      if (result.outcome === 'requeued') requeued += 1;
      else if (result.outcome === 'template_gone') templateGone += 1;
    }
    return { requeued, template_gone: templateGone, matched: matching.length, more: ids.length > filter.limit };
  }

  return { redrive, redriveMatching };
}

export type Redriver = ReturnType<typeof createRedriver>;
