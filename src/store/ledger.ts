import type { RedisClient } from '../redis/connection.js';
import type { Conversion, DeliveryState } from '../domain/conversion.js';
import {
  applyAttempt,
  conversionState,
  hostOfUrl,
  parkedDelivery,
  type AttemptRecord,
  type AttemptTransition,
  type DeliveryRecord,
  type RoutingState,
} from '../domain/delivery.js';

// The delivery state machine is domain logic; the ledger stores what it decides.
export { applyAttempt, conversionState, parkedDelivery } from '../domain/delivery.js';
export type { AttemptRecord, AttemptTransition, DeliveryRecord, RoutingState } from '../domain/delivery.js';
import type { TemplateLevel } from '../domain/account.js';
import type { RelayKeys } from './keys.js';
import { redactUrl } from '../audit/redact-url.js';
import { batchGroupFor, createTickBatcher } from '../redis/tick-batcher.js';
import { decodeCursor, walkIndex } from './index-walk.js';
import { candidateIndexes, matchesSearch, type ConversionSearch, type FoundConversion } from './conversion-search.js';
import { defineScripts } from '../redis/scripts/index.js';

export interface ConversionRecord {
  conversion: Conversion;
  routing: RoutingState;
  reason?: string;
  level?: TemplateLevel;
  deliveryIds: string[];
}

export interface DeliveryPage {
  deliveries: DeliveryRecord[];
  cursor?: string;
}

export interface LedgerOptions {
  retentionMs: number;
  maxAttemptsPerDelivery: number;
  maxIndexEntries: number;
}

// One hash per conversion holds everything about it, so a change is one
// atomic write, a delivery's whole story is one read, and cluster slots
// follow conversions. Fields: `c` the conversion with its routing, `d<i>`
// delivery i, `a<i>` its attempts as JSON lines (newest last). Written by
// the relayLedgerWrite script (src/redis/scripts/ledger.ts).
type Scripted = RedisClient & {
  relayLedgerWrite(keyCount: number, ...keysAndArgs: Array<string | number>): Promise<number>;
  relaySearchIndexAdd(keyCount: number, ...keysAndArgs: Array<string | number>): Promise<number>;
};

interface RecordWrite {
  key: string;
  /** Field, value, field, value… */
  fields: string[];
  /** Attempts field, line, … */
  appends: string[];
}

/** What the `c` field holds. */
interface StoredConversion {
  conversion: Conversion;
  routing: RoutingState;
  reason?: string;
  level?: TemplateLevel;
  /** Deliveries `<id>.0` … `<id>.<n-1>`. */
  deliveries: number;
}

/**
 * The durable record of what happened to each conversion and delivery:
 * the source of truth for the admin API and for redrives. Each change is one
 * script call on the conversion's hash, so a reader never sees a delivery in
 * two states at once. The listing indexes are written beside it.
 */
export class Ledger {
  private readonly redis: Scripted;
  private readonly expiryRenewedAt = new Map<string, number>();

  constructor(
    redis: RedisClient,
    private readonly keys: RelayKeys,
    private readonly options: LedgerOptions,
  ) {
    defineScripts(redis, 'relayLedgerWrite', 'relaySearchIndexAdd');
    this.redis = redis as Scripted;
    this.batchGroup = batchGroupFor(redis);
    this.cluster = 'isCluster' in redis && redis.isCluster === true;
  }

  private readonly cluster: boolean;

  private readonly batchGroup: (key: string) => string;

  /** Records a conversion that will not be delivered (unattributed, suppressed, no postback). */
  async saveUndelivered(conversion: Conversion, routing: Exclude<RoutingState, 'routed'>, reason?: string): Promise<void> {
    const stored: StoredConversion = { conversion, routing, ...(reason ? { reason } : {}), deliveries: 0 };
    await Promise.all([
      this.write(conversion.id, ['c', JSON.stringify(stored)]),
      this.indexForSearch(conversion),
      this.addToIndex(this.keys.conversionsByState(routing), conversion.id, conversion.received_at),
    ]);
  }

  /**
   * Records the conversion with its deliveries in one write: as they stand
   * after their first attempts (or pending, when parked). The worker calls
   * it only when no record exists yet, so a re-run after a crash keeps the
   * progress the first run made; a crash before it only repeats pings.
   */
  async saveRouted(
    conversion: Conversion,
    level: TemplateLevel,
    deliveries: DeliveryRecord[],
    /** First attempts already made, by delivery id: written with their deliveries. */
    attempts: ReadonlyMap<string, AttemptRecord> = new Map(),
  ): Promise<void> {
    const stored: StoredConversion = { conversion, routing: 'routed', level, deliveries: deliveries.length };
    const fields = ['c', JSON.stringify(stored)];
    deliveries.forEach((delivery, index) => {
      fields.push(`d${index}`, serializeDelivery(delivery));
      const attempt = attempts.get(delivery.id);
      if (attempt) fields.push(`a${index}`, serializeAttempt(attempt));
    });
    // An unsettled delivery is in the reconciler's index before its record
    // says so: a record written without its entry could strand it. Most first
    // attempts settle, so the common path skips this write.
    await this.indexUnsettled(deliveries);
    await Promise.all([
      this.write(conversion.id, fields),
      this.indexForSearch(conversion),
      ...deliveries.map((delivery) => this.indexState(delivery, undefined, delivery.updatedAt)),
    ]);
  }

  /**
   * The search indexes: the click id's own sorted set (its own slot, expiring
   * with the records it points to), and the time, source, account and offer
   * sets in the control slot (trimmed by retention). Not part of the
   * conversion's write (other slots); a lost entry hides a conversion from
   * search, never from its id.
   */
  private async indexForSearch(conversion: Conversion): Promise<void> {
    await this.searchIndexBatched('', conversion);
  }

  // The entries of one turn go in one script call on a single Redis: one ZADD per control-slot
  // key for all its conversions, plus ZADD and PEXPIRE per click id (as separate client commands,
  // the click entries alone cost ~15 % of a conversion's CPU in bench/ab.ts, and as a pipeline
  // they were still most of the commands the worker sent). A cluster spreads the keys over
  // slots: there each command goes on its own.
  private readonly searchIndexBatched = createTickBatcher<Conversion, void>(async (_group, conversions) => {
    const clicks: Array<[key: string, score: number, id: string]> = [];
    const byKey = new Map<string, Array<string | number>>();
    const add = (key: string, conversion: Conversion) => {
      const entries = byKey.get(key);
      if (entries) entries.push(conversion.received_at, conversion.id);
      else byKey.set(key, [conversion.received_at, conversion.id]);
    };
    for (const conversion of conversions) {
      if (conversion.click_id)
        clicks.push([this.keys.conversionsByClick(conversion.click_id), conversion.received_at, conversion.id]);
      add(this.keys.conversionsByTime, conversion);
      add(this.keys.conversionsBySource(conversion.source), conversion);
      if (conversion.account) add(this.keys.conversionsByAccount(conversion.account), conversion);
      if (conversion.offer_id) add(this.keys.conversionsByOffer(conversion.offer_id), conversion);
    }
    const now = Date.now();
    // By age only: search reaches back as far as the records it points to are kept.
    const trimBefore = Math.random() * TRIM_EVERY < 1 ? now - this.options.retentionMs : 0;
    // Offer ids are the sender's: forget the renewal times rather than keep one per offer ever seen
    // (the cost of forgetting is one more PEXPIRE per key).
    if (this.expiryRenewedAt.size > MAX_RENEWALS_TRACKED) this.expiryRenewedAt.clear();
    // An index no longer written (a source gone quiet) expires; renewed at most once a second per key.
    const renew = (key: string) => {
      if (now - (this.expiryRenewedAt.get(key) ?? 0) < 1_000) return false;
      this.expiryRenewedAt.set(key, now);
      return true;
    };
    if (this.cluster) {
      const commands: Array<[string, ...Array<string | number>]> = [];
      for (const [key, score, id] of clicks) commands.push(['zadd', key, score, id], ['pexpire', key, this.options.retentionMs]);
      for (const [key, entries] of byKey) {
        commands.push(['zadd', key, ...entries]);
        if (renew(key)) commands.push(['pexpire', key, this.options.retentionMs]);
        if (trimBefore > 0) commands.push(['zremrangebyscore', key, '-inf', trimBefore]);
      }
      await Promise.all(commands.map(([name, ...args]) => this.redis.call(name, ...args)));
    } else {
      const keys: string[] = clicks.map(([key]) => key);
      const args: Array<string | number> = [this.options.retentionMs, trimBefore, clicks.length];
      for (const [, score, id] of clicks) args.push(score, id);
      for (const [key, entries] of byKey) {
        keys.push(key);
        args.push(entries.length / 2, renew(key) ? '1' : '0', ...entries);
      }
      await this.redis.relaySearchIndexAdd(keys.length, ...keys, ...args);
    }
    return conversions.map(() => undefined);
  });

  /**
   * One page of a conversion search, newest first: walks the candidate index
   * with the fewest entries in the time range (see conversion-search.ts),
   * reading at most `budget` entries (then the page ends short, with a cursor).
   */
  async searchConversions(
    search: ConversionSearch,
    page: { limit: number; cursor?: string; budget: number },
  ): Promise<{ found: FoundConversion[]; cursor?: string; scanned: number }> {
    const candidates = candidateIndexes(this.keys, search);
    const min = search.since ?? '-inf';
    const max = search.until ?? '+inf';
    const counts = await Promise.all(candidates.map((key) => this.redis.zcount(key, min, max)));
    const key = candidates[counts.indexOf(Math.min(...counts))]!;
    const walked = await walkIndex(
      this.redis,
      key,
      {
        limit: page.limit,
        budget: page.budget,
        ...(page.cursor ? { cursor: page.cursor } : {}),
        ...(search.since !== undefined ? { minScore: search.since } : {}),
        ...(search.until !== undefined ? { maxScore: search.until } : {}),
      },
      (ids) => this.findConversions(ids),
      (found) => matchesSearch(found, search),
    );
    return { found: walked.items, scanned: walked.scanned, ...(walked.cursor ? { cursor: walked.cursor } : {}) };
  }

  /** Records with their state (null where a record is gone): two batched reads for all of them. */
  private async findConversions(ids: string[]): Promise<Array<FoundConversion | null>> {
    const records = await Promise.all(ids.map((id) => this.getConversion(id)));
    const deliveries = await Promise.all(
      records.map((record) => (record ? this.getDeliveries(record.deliveryIds) : Promise.resolve([]))),
    );
    return records.map((record, index) =>
      record ? { record, state: conversionState(record.routing, deliveries[index]!, record.deliveryIds.length) } : null,
    );
  }

  /** Puts the unsettled ones of these deliveries in the reconciler's index (at their due time). */
  async indexUnsettled(deliveries: DeliveryRecord[]): Promise<void> {
    const unsettled = deliveries.filter(isUnsettled);
    await Promise.all(
      unsettled.map((delivery) => this.unsettledBatched('', { op: 'add', id: delivery.id, score: dueAt(delivery) })),
    );
  }

  /**
   * Unsettled deliveries due before `before` (unix ms), most overdue first:
   * the reconciler's sweep reads only these, so its cost follows what is
   * unsettled and late, not all data.
   */
  async overdueUnsettled(before: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.unsettledDeliveries, '-inf', before, 'LIMIT', 0, limit);
  }

  /**
   * Moves an entry's due time later (never earlier, never re-adding one that
   * settled meanwhile): a delivery seen with live work is not looked at again
   * before `at`.
   */
  async postponeUnsettled(id: string, at: number): Promise<void> {
    await this.redis.zadd(this.keys.unsettledDeliveries, 'XX', 'GT', at, id);
  }

  /** Drops an entry whose delivery settled or whose record is gone. */
  async forgetUnsettled(id: string): Promise<void> {
    await this.unsettledBatched('', { op: 'remove', id });
  }

  /**
   * Entries added or removed in one turn go in one ZADD and one ZREM. The
   * index lives in the control slot, apart from the records (a cluster
   * spreads those), so it is written with commands of its own: added before
   * a record says unsettled, removed after it says settled.
   */
  private readonly unsettledBatched = createTickBatcher<{ op: 'add' | 'remove'; id: string; score?: number }, void>(
    async (_group, changes) => {
      const adds = changes.filter((change) => change.op === 'add').flatMap((change) => [change.score!, change.id]);
      const removes = changes.filter((change) => change.op === 'remove').map((change) => change.id);
      const writes: Array<Promise<unknown>> = [];
      if (adds.length > 0) writes.push(this.redis.zadd(this.keys.unsettledDeliveries, ...adds));
      if (removes.length > 0) writes.push(this.redis.zrem(this.keys.unsettledDeliveries, ...removes));
      await Promise.all(writes);
      return changes.map(() => undefined);
    },
  );

  async getConversion(id: string): Promise<ConversionRecord | null> {
    const text = await this.redis.hget(this.keys.conversion(id), 'c');
    if (!text) return null;
    const stored = JSON.parse(text) as StoredConversion;
    return {
      conversion: stored.conversion,
      routing: stored.routing,
      ...(stored.reason ? { reason: stored.reason } : {}),
      ...(stored.level ? { level: stored.level } : {}),
      deliveryIds: Array.from({ length: stored.deliveries }, (_, index) => `${id}.${index}`),
    };
  }

  async getDelivery(id: string): Promise<DeliveryRecord | null> {
    const { conversionId, index } = splitDeliveryId(id);
    const text = await this.redis.hget(this.keys.conversion(conversionId), `d${index}`);
    return text ? parseDelivery(id, conversionId, text) : null;
  }

  async getDeliveries(ids: string[]): Promise<DeliveryRecord[]> {
    // One read per delivery, in its conversion's slot (an auto-pipelining client, as the API's, sends them together).
    const found = await Promise.all(ids.map((id) => this.getDelivery(id)));
    return found.filter((delivery): delivery is DeliveryRecord => delivery !== null);
  }

  async getAttempts(deliveryId: string): Promise<AttemptRecord[]> {
    const { conversionId, index } = splitDeliveryId(deliveryId);
    const [delivery, lines] = await this.redis.hmget(this.keys.conversion(conversionId), `d${index}`, `a${index}`);
    if (!delivery || !lines) return [];
    const url = redactUrl(parseDelivery(deliveryId, conversionId, delivery).url);
    return lines.split('\n').map((line) => parseAttempt(line, url));
  }

  /** Appends an attempt and moves the delivery to its new state in one write. */
  async recordAttempt(
    delivery: DeliveryRecord,
    attempt: AttemptRecord,
    next: AttemptTransition,
    options: { late?: boolean } = {},
  ): Promise<DeliveryRecord> {
    const { index } = splitDeliveryId(delivery.id);
    if (options.late) {
      // Written after Redis refused it: if the delivery moved on meanwhile (another worker took
      // its job over), the attempt is added to its story without taking its state back.
      const current = await this.getDelivery(delivery.id);
      if (current && (current.updatedAt !== delivery.updatedAt || current.attempts !== delivery.attempts)) {
        const counted: DeliveryRecord = { ...current, attempts: current.attempts + 1 };
        await this.write(
          delivery.conversionId,
          [`d${index}`, serializeDelivery(counted)],
          [`a${index}`, serializeAttempt(attempt)],
        );
        return counted;
      }
    }
    const updated = applyAttempt(delivery, attempt, next);
    await Promise.all([
      this.write(delivery.conversionId, [`d${index}`, serializeDelivery(updated)], [`a${index}`, serializeAttempt(attempt)]),
      this.indexState(updated, delivery.state, next.at),
      // Still unsettled: already indexed, this only moves its due time (a lost move makes it look due sooner, no worse).
      ...(isUnsettled(updated) ? [this.indexUnsettled([updated])] : []),
    ]);
    // Settled: out of the index only once the record says so (under OOM a ZREM is allowed where the HSET is not).
    if (!isUnsettled(updated)) await this.forgetUnsettled(updated.id);
    return updated;
  }

  /** Notes that a delivery waits for its host (no attempt spent) and when it is rechecked at the latest. */
  async markParked(delivery: DeliveryRecord, reason: string, recheckAt: number): Promise<DeliveryRecord> {
    if (delivery.parked === reason && delivery.nextAttemptAt === recheckAt) return delivery;
    const parked = parkedDelivery(delivery, reason, recheckAt);
    await Promise.all([this.saveDelivery(parked), this.indexUnsettled([parked])]);
    return parked;
  }

  /** Puts a failed delivery back to pending with a fresh retry schedule, and the URL the redrive rendered when it gave one. */
  async markRedriven(delivery: DeliveryRecord, at: number, url?: string): Promise<DeliveryRecord> {
    const updated: DeliveryRecord = {
      ...delivery,
      state: 'pending',
      roundAttempts: 0,
      updatedAt: at,
      ...(url ? { url, host: hostOfUrl(url) } : {}),
    };
    delete updated.nextAttemptAt;
    await this.indexUnsettled([updated]);
    await Promise.all([this.saveDelivery(updated), this.indexState(updated, delivery.state, at)]);
    return updated;
  }

  private async saveDelivery(delivery: DeliveryRecord): Promise<void> {
    await this.write(delivery.conversionId, [`d${splitDeliveryId(delivery.id).index}`, serializeDelivery(delivery)]);
  }

  private write(conversionId: string, fields: string[], appends: string[] = []): Promise<void> {
    const key = this.keys.conversion(conversionId);
    return this.writeBatched(this.batchGroup(key), { key, fields, appends });
  }

  private readonly writeBatched = createTickBatcher<RecordWrite, void>(async (_group, writes) => {
    const args: Array<string | number> = [this.options.retentionMs, this.options.maxAttemptsPerDelivery];
    for (const write of writes) args.push(write.fields.length / 2, write.appends.length / 2, ...write.fields, ...write.appends);
    await this.redis.relayLedgerWrite(writes.length, ...writes.map((write) => write.key), ...args);
    return writes.map(() => undefined);
  });

  /**
   * Newest change first (pending ones: latest due first), walking the state
   * index and keeping the records whose own state, account and host match:
   * the index is written apart from the records, so each record's own state
   * is trusted. Pending deliveries have no state index (that write would be
   * the busiest of all); every one is in the reconciler's unsettled index,
   * which is walked instead. A host filter has no index: at most
   * LIST_SCAN_BUDGET entries are read per call, then the page ends with a cursor.
   */
  async listDeliveries(filter: {
    state: DeliveryState;
    account?: string;
    host?: string;
    limit: number;
    cursor?: string;
  }): Promise<DeliveryPage> {
    const indexKey =
      filter.state === 'pending'
        ? this.keys.unsettledDeliveries
        : filter.account
          ? this.keys.deliveriesByAccountState(filter.account, filter.state)
          : this.keys.deliveriesByState(filter.state);
    const page = await walkIndex(
      this.redis,
      indexKey,
      { limit: filter.limit, budget: LIST_SCAN_BUDGET, ...(filter.cursor ? { cursor: filter.cursor } : {}) },
      (ids) => Promise.all(ids.map((id) => this.getDelivery(id))),
      (delivery) =>
        delivery.state === filter.state &&
        (filter.account === undefined || delivery.account === filter.account) &&
        (filter.host === undefined || delivery.host === filter.host),
    );
    return { deliveries: page.items, ...(page.cursor ? { cursor: page.cursor } : {}) };
  }

  /** Ids in an index, oldest first, for bulk operations; bounded by `limit`. */
  async scanIndex(state: DeliveryState, account: string | undefined, sinceMs: number, limit: number): Promise<string[]> {
    const indexKey = account ? this.keys.deliveriesByAccountState(account, state) : this.keys.deliveriesByState(state);
    return this.redis.zrangebyscore(indexKey, sinceMs, '+inf', 'LIMIT', 0, limit);
  }

  /** Takes an unattributed conversion out of its listing before it is routed again (re-attribution). */
  async forgetUnattributed(id: string): Promise<void> {
    const record = await this.getConversion(id);
    const writes: Array<Promise<unknown>> = [this.redis.zrem(this.keys.conversionsByState('unattributed'), id)];
    if (record) {
      const stored: StoredConversion = {
        conversion: record.conversion,
        routing: record.routing,
        deliveries: record.deliveryIds.length,
      };
      writes.push(this.write(id, ['c', JSON.stringify(stored)]));
    }
    await Promise.all(writes);
  }

  /**
   * Moves a delivery between the state indexes. They live in the control
   * slot, apart from the records, so they are written on their own; readers
   * check each record's actual state. `pending` is not indexed: it is not a
   * listing the API offers, and skipping it saves the busiest write of all.
   */
  private async indexState(delivery: DeliveryRecord, previous: DeliveryState | undefined, at: number): Promise<void> {
    const writes: Array<Promise<unknown>> = [];
    if (previous !== undefined && previous !== 'pending' && previous !== delivery.state) {
      writes.push(this.redis.zrem(this.keys.deliveriesByState(previous), delivery.id));
      writes.push(this.redis.zrem(this.keys.deliveriesByAccountState(delivery.account, previous), delivery.id));
    }
    if (delivery.state !== 'pending') {
      writes.push(this.addToIndex(this.keys.deliveriesByState(delivery.state), delivery.id, at));
      writes.push(this.addToIndex(this.keys.deliveriesByAccountState(delivery.account, delivery.state), delivery.id, at));
    }
    await Promise.all(writes);
  }

  private addToIndex(key: string, member: string, score: number): Promise<void> {
    return this.indexBatched(key, { member, score });
  }

  /**
   * Entries added to one index in one turn of the event loop go in one ZADD.
   * Indexes are trimmed by age and count as they are written; trimming on one
   * batch in TRIM_EVERY keeps them bounded (within that many entries) at a
   * fraction of the cost, and the key's expiry (for an index no longer
   * written) is renewed at most once a second per process.
   */
  private readonly indexBatched = createTickBatcher<{ member: string; score: number }, void>(async (key, entries) => {
    const writes: Array<Promise<unknown>> = [this.redis.zadd(key, ...entries.flatMap((entry) => [entry.score, entry.member]))];
    const now = Date.now();
    if (now - (this.expiryRenewedAt.get(key) ?? 0) >= 1_000) {
      this.expiryRenewedAt.set(key, now);
      writes.push(this.redis.pexpire(key, this.options.retentionMs));
    }
    if (Math.random() * TRIM_EVERY < 1) {
      const newest = Math.max(...entries.map((entry) => entry.score));
      writes.push(this.redis.zremrangebyscore(key, '-inf', newest - this.options.retentionMs));
      writes.push(this.redis.zremrangebyrank(key, 0, -this.options.maxIndexEntries - 1));
    }
    await Promise.all(writes);
    return entries.map(() => undefined);
  });
}

const TRIM_EVERY = 32;
const MAX_RENEWALS_TRACKED = 10_000;
/** Index entries one listing call reads at most when a filter has no index of its own. */
const LIST_SCAN_BUDGET = 5_000;

export function isUnsettled(delivery: DeliveryRecord): boolean {
  return delivery.state === 'pending' || delivery.state === 'retrying';
}

/** When an unsettled delivery is next expected to make progress: its next attempt or recheck, else now-ish. */
export function dueAt(delivery: DeliveryRecord): number {
  return delivery.nextAttemptAt ?? delivery.updatedAt;
}

export function isValidCursor(cursor: string): boolean {
  return decodeCursor(cursor) !== null;
}

export function conversionIdOfDelivery(deliveryId: string): string {
  return splitDeliveryId(deliveryId).conversionId;
}

/** A delivery id is `<conversion id>.<index>`. */
function splitDeliveryId(id: string): { conversionId: string; index: string } {
  const dot = id.lastIndexOf('.');
  return dot < 0 ? { conversionId: id, index: '0' } : { conversionId: id.slice(0, dot), index: id.slice(dot + 1) };
}

/** The delivery as stored: its id and conversion id are the record's own. */
function serializeDelivery(delivery: DeliveryRecord): string {
  const { id: _id, conversionId: _conversionId, ...stored } = delivery;
  return JSON.stringify(stored);
}

function parseDelivery(id: string, conversionId: string, text: string): DeliveryRecord {
  return { id, conversionId, ...(JSON.parse(text) as Omit<DeliveryRecord, 'id' | 'conversionId'>) };
}

/** An attempt as stored: its URL is its delivery's, redacted, and is put back when read. */
function serializeAttempt(attempt: AttemptRecord): string {
  const { url: _url, ...stored } = attempt;
  return JSON.stringify(stored);
}

function parseAttempt(line: string, url: string): AttemptRecord {
  const stored = JSON.parse(line) as Omit<AttemptRecord, 'url'>;
  return { ...stored, url };
}
