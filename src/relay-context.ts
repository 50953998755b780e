import type { AuditLog } from './audit/audit-log.js';
import type { RouteOptions } from 'fastify';
import type { Logger } from 'pino';
import type { RelayConfig } from './config/schema.js';
import type { SourceConfig } from './domain/source.js';
import type { AccountConfig } from './domain/account.js';
import { connectRedis, waitUntilReady, type RedisClient, type RedisRole } from './redis/connection.js';
import { evictionMessage, findEvictionPolicy } from './redis/eviction-policy.js';
import { createKeys, type RelayKeys } from './store/keys.js';
import { RecordStore } from './store/record-store.js';
import { Ledger, type LedgerOptions } from './store/ledger.js';
import { createRecordCache, type RecordCache } from './store/record-cache.js';
import { createQueues, type RelayQueues } from './queue/queues.js';
import type { loadQueueInternals } from './queue/bullmq-internals.js';
import { createMetrics, type RelayMetrics } from './health/metrics.js';
import { createAddressPolicy, createDeliveryClient, type AddressPolicy, type DeliveryClient } from './delivery/index.js';
import { HostGate, type HostGateOptions } from './delivery/host-gate.js';

export interface RelayDeps {
  logger: Logger;
  auditLog: AuditLog;
  redisUrl: string;
  /** Checks BullMQ's internals before the receiver relies on them; tests pass a failing one to exercise the fallback. */
  loadQueueInternals?: typeof loadQueueInternals;
  /** Sees every route as it is registered (the API-docs test checks each one is in the document). */
  onRoute?: (route: RouteOptions) => void;
}

/**
 * What the HTTP app and the worker runtime of one relay share: its config,
 * Redis clients, stores, metrics registry and delivery client. Built once per
 * relay (never a module singleton), so two relays run side by side in a test.
 */
export interface RelayContext {
  config: RelayConfig;
  deps: RelayDeps;
  logger: Logger;
  keys: RelayKeys;
  metrics: RelayMetrics;
  ledgerOptions: LedgerOptions;
  /** The request path's client: fails fast when Redis is away (503 at once, nothing buffered). */
  requestRedis: RedisClient;
  /** Queues on a client of their own (see `createRelayContext`). */
  requestQueues: RelayQueues;
  sources: RecordStore<SourceConfig>;
  sourceCache: RecordCache<SourceConfig>;
  accounts: RecordStore<AccountConfig>;
  /** The admin API's view of the ledger (on the request client). */
  ledger: Ledger;
  /** The admin API's view of the host gate. */
  gate: HostGate;
  /** One policy for sending and for saving templates: what is refused when sent is refused when saved. */
  addressPolicy: AddressPolicy;
  /** One client for worker deliveries and admin test postbacks alike: a test meets the same address policy. */
  client: DeliveryClient;
  /** A client of its own per use; its errors are logged under `name` (ioredis reconnects by itself). */
  openRedis(role: RedisRole, name: string, options?: { autoPipelining?: boolean }): RedisClient;
  /** Closed, in order, after the app and the workers. */
  onClose(close: () => Promise<unknown>): void;
  closers: Array<() => Promise<unknown>>;
}

export async function createRelayContext(config: RelayConfig, deps: RelayDeps): Promise<RelayContext> {
  const { logger } = deps;
  const keys = createKeys(config.redis.keyPrefix);
  const metrics = createMetrics();
  const closers: Array<() => Promise<unknown>> = [];
  const openRedis = (role: RedisRole, name: string, options: { autoPipelining?: boolean } = {}): RedisClient => {
    const redis = connectRedis(deps.redisUrl, role, { commandTimeoutMs: config.redis.commandTimeoutMs, ...options });
    redis.on('error', (error) => logger.debug({ err: error }, `redis (${name}) error`));
    return redis;
  };
  const ledgerOptions: LedgerOptions = {
    retentionMs: config.audit.retentionMs,
    maxAttemptsPerDelivery: config.audit.maxAttemptsPerDelivery,
    maxIndexEntries: config.audit.maxIndexEntries,
  };

  const requestRedis = openRedis('request', 'request');
  await waitUntilReady(requestRedis, 15_000);
  // Said once at startup; /readyz keeps answering 503 until it is fixed.
  const evicting = await findEvictionPolicy(requestRedis).catch(() => null);
  if (evicting) logger.error({ maxmemoryPolicy: evicting }, evictionMessage(evicting));
  // BullMQ defines its ~60 Lua scripts on the client it is given, and ioredis copies every
  // defined script onto each MULTI and auto-pipeline it builds: our own transactions on a
  // shared client paid for that on every write (12 % of the relay's CPU in a profile).
  // So the queues get clients of their own.
  const requestQueueRedis = openRedis('request', 'request queues', { autoPipelining: false });
  const requestQueues = createQueues(requestQueueRedis, keys.queuePrefix, jobRetryOf(config));
  metrics.setQueueDepthSource(queueDepthOf(requestQueues));
  const gate = new HostGate(requestRedis, keys, hostGateOptions(config));
  metrics.setHostStatusSource(async () => {
    try {
      return await Promise.all((await gate.listHosts()).map((host) => gate.status(host)));
    } catch {
      return []; // Redis away: the scrape still answers
    }
  });

  const sources = new RecordStore<SourceConfig>(requestRedis, keys.source, keys.sourceIds);
  // Hot-path reads of operator records go through short in-process caches; edits made
  // through this process drop the entry at once, edits elsewhere show within the TTL.
  const sourceCache = createRecordCache((id) => sources.get(id), { ttlMs: config.receiver.sourceCacheMs, maxEntries: 10_000 });
  sources.onChange((id) => sourceCache.invalidate(id));
  const addressPolicy = createAddressPolicy({ allowCidrs: config.delivery.allowCidrs });
  const client = createDeliveryClient({
    timeoutMs: config.delivery.timeoutMs,
    maxRedirects: config.delivery.maxRedirects,
    bodySnippetBytes: config.delivery.bodySnippetBytes,
    addressPolicy,
    userAgent: config.delivery.userAgent,
    connections: config.delivery.connectionsPerOrigin,
  });
  closers.push(
    () => requestQueues.close(),
    () => client.close(),
    () => requestRedis.quit().catch(() => {}),
    () => requestQueueRedis.quit().catch(() => {}),
  );

  return {
    config,
    deps,
    logger,
    keys,
    metrics,
    ledgerOptions,
    requestRedis,
    requestQueues,
    sources,
    sourceCache,
    accounts: new RecordStore<AccountConfig>(requestRedis, keys.account, keys.accountIds),
    ledger: new Ledger(requestRedis, keys, ledgerOptions),
    gate,
    addressPolicy,
    client,
    openRedis,
    onClose: (close) => closers.unshift(close),
    closers,
  };
}

export function hostGateOptions(config: RelayConfig): HostGateOptions {
  return {
    concurrency: config.delivery.hostConcurrency,
    failureThreshold: config.delivery.circuitFailureThreshold,
    cooldownMs: config.delivery.circuitCooldownMs,
    // A crashed worker's slot comes back once its attempt could no longer be running.
    leaseMs: config.delivery.timeoutMs + 5_000,
  };
}

function queueDepthOf(queues: RelayQueues) {
  return async () => {
    const rows: Array<{ queue: string; state: string; count: number }> = [];
    for (const queue of [queues.conversions, queues.retries]) {
      try {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
        for (const [state, count] of Object.entries(counts)) rows.push({ queue: queue.name, state, count });
      } catch {
        // Redis away: the scrape still answers, without queue depth.
      }
    }
    return rows;
  };
}

/** BullMQ's own retries of a job that threw, from the worker config (see queues.ts). */
export function jobRetryOf(config: RelayConfig) {
  return { attempts: config.worker.jobAttempts, backoffMs: config.worker.jobBackoffMs };
}
