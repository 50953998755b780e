import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../redis/connection.js';
import type { Conversion, ConversionState, DeliveryState } from '../domain/conversion.js';
import type { TemplateLevel } from '../domain/account.js';
import type { RelayKeys } from './keys.js';

/** What the worker decided for a conversion before any delivery settled. */
export type RoutingState = 'unattributed' | 'suppressed' | 'no_postback' | 'routed';

export interface ConversionRecord {
  conversion: Conversion;
  routing: RoutingState;
  reason?: string;
  level?: TemplateLevel;
  deliveryIds: string[];
}

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

export interface DeliveryPage {
  deliveries: DeliveryRecord[];
  cursor?: string;
}

export interface LedgerOptions {
  retentionMs: number;
  maxAttemptsPerDelivery: number;
  maxIndexEntries: number;
}

/**
 * The durable record of what happened to each conversion and delivery:
 * the source of truth for the admin API and for redrives. Each change is one
 * MULTI, so a reader never sees a delivery in two states at once.
 */
export class Ledger {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RelayKeys,
    private readonly options: LedgerOptions,
  ) {}

  /** Records a conversion that will not be delivered (unattributed, suppressed, no postback). */
  async saveUndelivered(conversion: Conversion, routing: Exclude<RoutingState, 'routed'>, reason?: string): Promise<void> {
    const key = this.keys.conversion(conversion.id);
    const record = this.redis.multi();
    record.hset(key, { data: JSON.stringify(conversion), routing, ...(reason ? { reason } : {}), deliveries: '[]' });
    record.pexpire(key, this.options.retentionMs);
    const index = this.redis.multi();
    this.addToIndex(index, this.keys.conversionsByState(routing), conversion.id, conversion.received_at);
    await Promise.all([record.exec(), index.exec()]);
  }

  /**
   * Records the conversion with its deliveries in one transaction: as they
   * stand after their first attempts (or pending, when parked). The worker
   * calls it only when no record exists yet, so a re-run after a crash keeps
   * the progress the first run made; a crash before it only repeats pings.
   */
  async saveRouted(
    conversion: Conversion,
    level: TemplateLevel,
    deliveries: DeliveryRecord[],
    /** First attempts already made, by delivery id: written in the same transaction as their deliveries. */
    attempts: ReadonlyMap<string, AttemptRecord> = new Map(),
  ): Promise<void> {
    const key = this.keys.conversion(conversion.id);
    const record = this.redis.multi();
    record.hset(key, {
      data: JSON.stringify(conversion),
      routing: 'routed',
      level,
      deliveries: JSON.stringify(deliveries.map((d) => d.id)),
    });
    record.pexpire(key, this.options.retentionMs);
    const index = this.redis.multi();
    for (const delivery of deliveries) {
      const deliveryKey = this.keys.delivery(delivery.id);
      record.hset(deliveryKey, serializeDelivery(delivery));
      record.pexpire(deliveryKey, this.options.retentionMs);
      const attempt = attempts.get(delivery.id);
      if (attempt) {
        const attemptsKey = this.keys.attempts(delivery.id);
        record.rpush(attemptsKey, JSON.stringify(attempt));
        record.pexpire(attemptsKey, this.options.retentionMs);
      }
      this.indexState(index, delivery, undefined, delivery.updatedAt);
    }
    await Promise.all([record.exec(), index.exec()]);
  }

  async getConversion(id: string): Promise<ConversionRecord | null> {
    const hash = await this.redis.hgetall(this.keys.conversion(id));
    if (!hash.data || !hash.routing) return null;
    return {
      conversion: JSON.parse(hash.data) as Conversion,
      routing: hash.routing as RoutingState,
      ...(hash.reason ? { reason: hash.reason } : {}),
      ...(hash.level ? { level: hash.level as TemplateLevel } : {}),
      deliveryIds: hash.deliveries ? (JSON.parse(hash.deliveries) as string[]) : [],
    };
  }

  async getDelivery(id: string): Promise<DeliveryRecord | null> {
    const hash = await this.redis.hgetall(this.keys.delivery(id));
    return hash.state ? parseDelivery(hash) : null;
  }

  async getDeliveries(ids: string[]): Promise<DeliveryRecord[]> {
    if (ids.length === 0) return [];
    // One read per delivery: they live in their conversions' slots. Auto-pipelining batches them.
    const hashes = await Promise.all(ids.map((id) => this.redis.hgetall(this.keys.delivery(id))));
    return hashes.flatMap((hash) => (hash.state ? [parseDelivery(hash)] : []));
  }

  async getAttempts(deliveryId: string): Promise<AttemptRecord[]> {
    const items = await this.redis.lrange(this.keys.attempts(deliveryId), 0, -1);
    return items.map((item) => JSON.parse(item) as AttemptRecord);
  }

  /** Appends an attempt and moves the delivery to its new state in one transaction. */
  async recordAttempt(
    delivery: DeliveryRecord,
    attempt: AttemptRecord,
    next: AttemptTransition,
  ): Promise<DeliveryRecord> {
    const updated = applyAttempt(delivery, attempt, next);
    const attemptsKey = this.keys.attempts(delivery.id);
    const deliveryKey = this.keys.delivery(delivery.id);
    const record = this.redis.multi();
    record.rpush(attemptsKey, JSON.stringify(attempt));
    record.ltrim(attemptsKey, -this.options.maxAttemptsPerDelivery, -1);
    record.pexpire(attemptsKey, this.options.retentionMs);
    record.hset(deliveryKey, serializeDelivery(updated));
    if (updated.nextAttemptAt === undefined) record.hdel(deliveryKey, 'nextAttemptAt');
    record.hdel(deliveryKey, 'parked');
    record.pexpire(deliveryKey, this.options.retentionMs);
    record.pexpire(this.keys.conversion(delivery.conversionId), this.options.retentionMs);
    const index = this.redis.multi();
    this.indexState(index, updated, delivery.state, next.at);
    await Promise.all([record.exec(), index.exec()]);
    return updated;
  }

  /** Notes that a delivery waits for its host (no attempt spent) and when it is rechecked at the latest. */
  async markParked(delivery: DeliveryRecord, reason: string, recheckAt: number): Promise<DeliveryRecord> {
    if (delivery.parked === reason && delivery.nextAttemptAt === recheckAt) return delivery;
    await this.redis.hset(this.keys.delivery(delivery.id), { parked: reason, nextAttemptAt: String(recheckAt) });
    return parkedDelivery(delivery, reason, recheckAt);
  }

  /** Puts a failed delivery back to pending with a fresh retry schedule. */
  async markRedriven(delivery: DeliveryRecord, at: number): Promise<DeliveryRecord> {
    const updated: DeliveryRecord = { ...delivery, state: 'pending', roundAttempts: 0, updatedAt: at };
    delete updated.nextAttemptAt;
    const deliveryKey = this.keys.delivery(delivery.id);
    const record = this.redis.multi();
    record.hset(deliveryKey, serializeDelivery(updated));
    record.hdel(deliveryKey, 'nextAttemptAt');
    record.pexpire(deliveryKey, this.options.retentionMs);
    const index = this.redis.multi();
    this.indexState(index, updated, delivery.state, at);
    await Promise.all([record.exec(), index.exec()]);
    return updated;
  }

  /**
   * Newest change first, paged by `pageOfIndex`.
   */
  async listDeliveries(filter: { state: DeliveryState; account?: string; limit: number; cursor?: string }): Promise<DeliveryPage> {
    const indexKey = filter.account
      ? this.keys.deliveriesByAccountState(filter.account, filter.state)
      : this.keys.deliveriesByState(filter.state);
    const page = await this.pageOfIndex(indexKey, filter.limit, filter.cursor);
    const deliveries = await this.getDeliveries(page.ids);
    return {
      // The index is written apart from the records: trust each record's own state.
      deliveries: deliveries.filter((delivery) => delivery.state === filter.state),
      ...(page.cursor ? { cursor: page.cursor } : {}),
    };
  }

  /** Ids in an index, oldest first, for bulk operations; bounded by `limit`. */
  async scanIndex(state: DeliveryState, account: string | undefined, sinceMs: number, limit: number): Promise<string[]> {
    const indexKey = account ? this.keys.deliveriesByAccountState(account, state) : this.keys.deliveriesByState(state);
    return this.redis.zrangebyscore(indexKey, sinceMs, '+inf', 'LIMIT', 0, limit);
  }

  /** Conversions recorded with a routing state, newest first, paged like deliveries. */
  async listConversions(filter: { routing: RoutingState; limit: number; cursor?: string }): Promise<{ records: ConversionRecord[]; cursor?: string }> {
    const page = await this.pageOfIndex(this.keys.conversionsByState(filter.routing), filter.limit, filter.cursor);
    const records = await Promise.all(page.ids.map((id) => this.getConversion(id)));
    return {
      // An entry whose record expired, or that was routed since, is skipped rather than shown stale.
      records: records.filter((r): r is ConversionRecord => r !== null && r.routing === filter.routing),
      ...(page.cursor ? { cursor: page.cursor } : {}),
    };
  }

  /** Takes an unattributed conversion out of its listing before it is routed again (re-attribution). */
  async forgetUnattributed(id: string): Promise<void> {
    await Promise.all([
      this.redis.zrem(this.keys.conversionsByState('unattributed'), id),
      this.redis.hdel(this.keys.conversion(id), 'reason'),
    ]);
  }

  /**
   * One page of an index, newest first. The cursor is the last item's score
   * and id; paging resumes from the item's rank, or from its score if it has
   * since moved. A full page carries the cursor of the next.
   */
  private async pageOfIndex(indexKey: string, limit: number, cursor: string | undefined): Promise<{ ids: string[]; cursor?: string }> {
    const start = cursor ? await this.rankAfter(indexKey, cursor) : 0;
    const flat = await this.redis.zrevrange(indexKey, start, start + limit - 1, 'WITHSCORES');
    const ids: string[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) ids.push(flat[i]!);
    const lastId = ids[ids.length - 1];
    return {
      ids,
      ...(ids.length === limit && lastId !== undefined ? { cursor: encodeCursor(flat[flat.length - 1]!, lastId) } : {}),
    };
  }

  private async rankAfter(indexKey: string, cursor: string): Promise<number> {
    const decoded = decodeCursor(cursor);
    if (!decoded) return 0;
    const rank = await this.redis.zrevrank(indexKey, decoded.id);
    if (rank !== null) return rank + 1;
    return this.redis.zcount(indexKey, `(${decoded.score}`, '+inf');
  }

  /**
   * Moves a delivery between the state indexes. They live in the control
   * slot, apart from the records, so they are written in a transaction of
   * their own; readers check each record's actual state. `pending` is not
   * indexed: it is not a listing the API offers, and skipping it saves the
   * busiest write of all.
   */
  private indexState(tx: ChainableCommander, delivery: DeliveryRecord, previous: DeliveryState | undefined, at: number): void {
    if (previous !== undefined && previous !== 'pending' && previous !== delivery.state) {
      tx.zrem(this.keys.deliveriesByState(previous), delivery.id);
      tx.zrem(this.keys.deliveriesByAccountState(delivery.account, previous), delivery.id);
    }
    if (delivery.state === 'pending') return;
    this.addToIndex(tx, this.keys.deliveriesByState(delivery.state), delivery.id, at);
    this.addToIndex(tx, this.keys.deliveriesByAccountState(delivery.account, delivery.state), delivery.id, at);
  }

  /**
   * Indexes are trimmed by age and count as they are written. Trimming on one
   * write in TRIM_EVERY keeps them bounded (within that many entries) at a
   * fraction of the cost of trimming on each.
   */
  private addToIndex(tx: ChainableCommander, key: string, member: string, score: number): void {
    tx.zadd(key, score, member);
    tx.pexpire(key, this.options.retentionMs);
    if (Math.random() * TRIM_EVERY >= 1) return;
    tx.zremrangebyscore(key, '-inf', score - this.options.retentionMs);
    tx.zremrangebyrank(key, 0, -this.options.maxIndexEntries - 1);
  }
}

const TRIM_EVERY = 32;

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
  const failure = attempt.error ?? (attempt.outcome !== 'delivered' && attempt.status ? `HTTP ${attempt.status}` : undefined);
  if (failure) updated.lastError = failure;
  return updated;
}

export function parkedDelivery(delivery: DeliveryRecord, reason: string, recheckAt: number): DeliveryRecord {
  return { ...delivery, parked: reason, nextAttemptAt: recheckAt };
}

/** Conversion state as the contract defines it, derived from routing and delivery states. */
export function conversionState(routing: RoutingState, deliveries: DeliveryRecord[], expectedDeliveries: number): ConversionState {
  if (routing !== 'routed') return routing;
  if (deliveries.length < expectedDeliveries) return 'pending';
  if (deliveries.some((d) => d.state === 'pending' || d.state === 'retrying')) return 'pending';
  return deliveries.some((d) => d.state === 'failed') ? 'failed' : 'delivered';
}

function encodeCursor(score: string, id: string): string {
  return Buffer.from(`${score}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { score: number; id: string } | null {
  const text = Buffer.from(cursor, 'base64url').toString();
  const separator = text.indexOf('|');
  const score = Number(text.slice(0, separator));
  if (separator < 1 || !Number.isFinite(score)) return null;
  return { score, id: text.slice(separator + 1) };
}

export function isValidCursor(cursor: string): boolean {
  return decodeCursor(cursor) !== null;
}

function serializeDelivery(delivery: DeliveryRecord): Record<string, string> {
  const out: Record<string, string> = {
    id: delivery.id,
    conversionId: delivery.conversionId,
    account: delivery.account,
    url: delivery.url,
    host: delivery.host,
    state: delivery.state,
    attempts: String(delivery.attempts),
    roundAttempts: String(delivery.roundAttempts),
    createdAt: String(delivery.createdAt),
    updatedAt: String(delivery.updatedAt),
  };
  if (delivery.nextAttemptAt !== undefined) out.nextAttemptAt = String(delivery.nextAttemptAt);
  if (delivery.lastError !== undefined) out.lastError = delivery.lastError;
  if (delivery.parked !== undefined) out.parked = delivery.parked;
  return out;
}

function parseDelivery(hash: Record<string, string>): DeliveryRecord {
  return {
    id: hash.id ?? '',
    conversionId: hash.conversionId ?? '',
    account: hash.account ?? '',
    url: hash.url ?? '',
    host: hash.host ?? '',
    state: hash.state as DeliveryState,
    attempts: Number(hash.attempts ?? 0),
    roundAttempts: Number(hash.roundAttempts ?? 0),
    createdAt: Number(hash.createdAt ?? 0),
    updatedAt: Number(hash.updatedAt ?? 0),
    ...(hash.nextAttemptAt ? { nextAttemptAt: Number(hash.nextAttemptAt) } : {}),
    ...(hash.lastError ? { lastError: hash.lastError } : {}),
    ...(hash.parked ? { parked: hash.parked } : {}),
  };
}
