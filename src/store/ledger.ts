import type { ChainableCommander, Redis } from 'ioredis';
import type { Conversion, ConversionState, DeliveryState } from '../domain/conversion.js';
import { DELIVERY_STATES } from '../domain/conversion.js';
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
    private readonly redis: Redis,
    private readonly keys: RelayKeys,
    private readonly options: LedgerOptions,
  ) {}

  /** Records a conversion that will not be delivered (unattributed, suppressed, no postback). */
  async saveUndelivered(conversion: Conversion, routing: Exclude<RoutingState, 'routed'>, reason?: string): Promise<void> {
    const key = this.keys.conversion(conversion.id);
    const tx = this.redis.multi();
    tx.hset(key, { data: JSON.stringify(conversion), routing, ...(reason ? { reason } : {}), deliveries: '[]' });
    tx.pexpire(key, this.options.retentionMs);
    this.addToIndex(tx, this.keys.conversionsByState(routing), conversion.id, conversion.received_at);
    await tx.exec();
  }

  /**
   * Records the conversion with its deliveries (state pending) in one
   * transaction. The worker calls it only when no record exists yet, so a
   * re-run after a crash keeps the progress the first run made.
   */
  async saveRouted(conversion: Conversion, level: TemplateLevel, deliveries: DeliveryRecord[]): Promise<void> {
    const key = this.keys.conversion(conversion.id);
    const tx = this.redis.multi();
    tx.hset(key, {
      data: JSON.stringify(conversion),
      routing: 'routed',
      level,
      deliveries: JSON.stringify(deliveries.map((d) => d.id)),
    });
    tx.pexpire(key, this.options.retentionMs);
    for (const delivery of deliveries) {
      const deliveryKey = this.keys.delivery(delivery.id);
      tx.hset(deliveryKey, serializeDelivery(delivery));
      tx.pexpire(deliveryKey, this.options.retentionMs);
      this.indexState(tx, delivery, delivery.createdAt);
    }
    await tx.exec();
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
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.delivery(id));
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([error, hash]) => {
      const record = hash as Record<string, string> | null;
      return !error && record?.state ? [parseDelivery(record)] : [];
    });
  }

  async getAttempts(deliveryId: string): Promise<AttemptRecord[]> {
    const items = await this.redis.lrange(this.keys.attempts(deliveryId), 0, -1);
    return items.map((item) => JSON.parse(item) as AttemptRecord);
  }

  /** Appends an attempt and moves the delivery to its new state in one transaction. */
  async recordAttempt(
    delivery: DeliveryRecord,
    attempt: AttemptRecord,
    next: { state: DeliveryState; nextAttemptAt?: number; at: number },
  ): Promise<DeliveryRecord> {
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

    const attemptsKey = this.keys.attempts(delivery.id);
    const deliveryKey = this.keys.delivery(delivery.id);
    const tx = this.redis.multi();
    tx.rpush(attemptsKey, JSON.stringify(attempt));
    tx.ltrim(attemptsKey, -this.options.maxAttemptsPerDelivery, -1);
    tx.pexpire(attemptsKey, this.options.retentionMs);
    tx.hset(deliveryKey, serializeDelivery(updated));
    if (updated.nextAttemptAt === undefined) tx.hdel(deliveryKey, 'nextAttemptAt');
    tx.hdel(deliveryKey, 'parked');
    tx.pexpire(deliveryKey, this.options.retentionMs);
    tx.pexpire(this.keys.conversion(delivery.conversionId), this.options.retentionMs);
    this.indexState(tx, updated, next.at);
    await tx.exec();
    return updated;
  }

  /** Notes that a delivery waits for its host (no attempt spent) and when it is rechecked at the latest. */
  async markParked(delivery: DeliveryRecord, reason: string, recheckAt: number): Promise<DeliveryRecord> {
    if (delivery.parked === reason && delivery.nextAttemptAt === recheckAt) return delivery;
    await this.redis.hset(this.keys.delivery(delivery.id), { parked: reason, nextAttemptAt: String(recheckAt) });
    return { ...delivery, parked: reason, nextAttemptAt: recheckAt };
  }

  /** Puts a failed delivery back to pending with a fresh retry schedule. */
  async markRedriven(delivery: DeliveryRecord, at: number): Promise<DeliveryRecord> {
    const updated: DeliveryRecord = { ...delivery, state: 'pending', roundAttempts: 0, updatedAt: at };
    delete updated.nextAttemptAt;
    const deliveryKey = this.keys.delivery(delivery.id);
    const tx = this.redis.multi();
    tx.hset(deliveryKey, serializeDelivery(updated));
    tx.hdel(deliveryKey, 'nextAttemptAt');
    tx.pexpire(deliveryKey, this.options.retentionMs);
    this.indexState(tx, updated, at);
    await tx.exec();
    return updated;
  }

  /**
   * Newest change first. The cursor is the last item's score and id; paging
   * resumes from the item's rank, or from its score if it has since moved.
   */
  async listDeliveries(filter: { state: DeliveryState; account?: string; limit: number; cursor?: string }): Promise<DeliveryPage> {
    const indexKey = filter.account
      ? this.keys.deliveriesByAccountState(filter.account, filter.state)
      : this.keys.deliveriesByState(filter.state);
    const start = filter.cursor ? await this.rankAfter(indexKey, filter.cursor) : 0;
    const ids = await this.redis.zrevrange(indexKey, start, start + filter.limit - 1, 'WITHSCORES');
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i + 1 < ids.length; i += 2) pairs.push([ids[i]!, ids[i + 1]!]);
    const deliveries = await this.getDeliveries(pairs.map(([id]) => id));
    const last = pairs[pairs.length - 1];
    return {
      deliveries,
      ...(pairs.length === filter.limit && last ? { cursor: encodeCursor(last[1], last[0]) } : {}),
    };
  }

  /** Ids in an index, oldest first, for bulk operations; bounded by `limit`. */
  async scanIndex(state: DeliveryState, account: string | undefined, sinceMs: number, limit: number): Promise<string[]> {
    const indexKey = account ? this.keys.deliveriesByAccountState(account, state) : this.keys.deliveriesByState(state);
    return this.redis.zrangebyscore(indexKey, sinceMs, '+inf', 'LIMIT', 0, limit);
  }

  async listConversionIds(routing: RoutingState, limit: number): Promise<string[]> {
    return this.redis.zrevrange(this.keys.conversionsByState(routing), 0, limit - 1);
  }

  /** Conversions recorded with a routing state, newest first, paged like deliveries. */
  async listConversions(filter: { routing: RoutingState; limit: number; cursor?: string }): Promise<{ records: ConversionRecord[]; cursor?: string }> {
    const indexKey = this.keys.conversionsByState(filter.routing);
    const start = filter.cursor ? await this.rankAfter(indexKey, filter.cursor) : 0;
    const flat = await this.redis.zrevrange(indexKey, start, start + filter.limit - 1, 'WITHSCORES');
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
    const records = await Promise.all(pairs.map(([id]) => this.getConversion(id)));
    const last = pairs[pairs.length - 1];
    return {
      // An entry whose record expired, or that was routed since, is skipped rather than shown stale.
      records: records.filter((r): r is ConversionRecord => r !== null && r.routing === filter.routing),
      ...(pairs.length === filter.limit && last ? { cursor: encodeCursor(last[1], last[0]) } : {}),
    };
  }

  /** Takes an unattributed conversion out of its listing before it is routed again (re-attribution). */
  async forgetUnattributed(id: string): Promise<void> {
    await this.redis.multi().zrem(this.keys.conversionsByState('unattributed'), id).hdel(this.keys.conversion(id), 'reason').exec();
  }

  private async rankAfter(indexKey: string, cursor: string): Promise<number> {
    const decoded = decodeCursor(cursor);
    if (!decoded) return 0;
    const rank = await this.redis.zrevrank(indexKey, decoded.id);
    if (rank !== null) return rank + 1;
    return this.redis.zcount(indexKey, `(${decoded.score}`, '+inf');
  }

  private indexState(tx: ChainableCommander, delivery: DeliveryRecord, at: number): void {
    for (const state of DELIVERY_STATES) {
      if (state === delivery.state) continue;
      tx.zrem(this.keys.deliveriesByState(state), delivery.id);
      tx.zrem(this.keys.deliveriesByAccountState(delivery.account, state), delivery.id);
    }
    this.addToIndex(tx, this.keys.deliveriesByState(delivery.state), delivery.id, at);
    this.addToIndex(tx, this.keys.deliveriesByAccountState(delivery.account, delivery.state), delivery.id, at);
  }

  /** Indexes are trimmed as they are written, by age and by count, so they stay bounded. */
  private addToIndex(tx: ChainableCommander, key: string, member: string, score: number): void {
    tx.zadd(key, score, member);
    tx.zremrangebyscore(key, '-inf', score - this.options.retentionMs);
    tx.zremrangebyrank(key, 0, -this.options.maxIndexEntries - 1);
    tx.pexpire(key, this.options.retentionMs);
  }
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
