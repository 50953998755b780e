import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import formBody from '@fastify/formbody';
import type { Logger } from 'pino';
import type { RelayConfig } from './config/schema.js';
import type { SourceConfig } from './domain/source.js';
import type { AccountConfig } from './domain/account.js';
import { connectRedis, waitUntilReady, type RedisClient, type RedisRole } from './redis/connection.js';
import { createKeys } from './store/keys.js';
import { StatusLinks } from './store/status-links.js';
import { RecordStore } from './store/record-store.js';
import { Ledger } from './store/ledger.js';
import { createQueues, type RelayQueues } from './queue/queues.js';
import { createIntake, ownItems } from './queue/intake.js';
import { loadQueueInternals } from './queue/bullmq-internals.js';
import { createMetrics, type RelayMetrics } from './health/metrics.js';
import { registerHealthRoutes } from './health/health-routes.js';
import { installErrorHandler } from './http/error-handler.js';
import { registerPostbackRoute } from './receiver/postback-route.js';
import { requireAdminToken } from './admin/admin-auth.js';
import { registerSourceRoutes } from './admin/sources-routes.js';
import { registerAccountRoutes } from './admin/accounts-routes.js';
import { registerConversionRoutes } from './admin/conversions-routes.js';
import { registerHostRoutes } from './admin/hosts-routes.js';
import { createRedriver } from './admin/redrive.js';
import { createAddressPolicy, createDeliveryClient, type DeliveryClient } from './delivery/index.js';
import { createDeliveryAttempter } from './worker/delivery-attempt.js';
import { createConversionProcessor } from './worker/conversion-processor.js';
import { createRetryProcessor } from './worker/retry-processor.js';
import { createDeliveryRunner } from './worker/delivery-runner.js';
import { createSlots } from './worker/slots.js';
import { HostGate } from './delivery/host-gate.js';
import { startWorkers, type RelayWorkers } from './worker/workers.js';
import { catalogRoutes } from './docs/route-catalog.js';
import { registerDocsRoutes } from './docs/docs-routes.js';
import { relayApiInfo, relayOperations } from './docs/relay-operations.js';
import { registerBoard } from './ui/board.js';
import type { OfferConfig } from './domain/offer.js';
import { ClickStore } from './tracking/click-store.js';
import { createRecordCache } from './store/record-cache.js';
import { registerClickRoute } from './tracking/click-route.js';
import { registerOfferRoutes } from './admin/offers-routes.js';
import { registerAttributionRoutes } from './admin/attribution-routes.js';
import { registerTestPostbackRoutes, type TestRecord } from './admin/test-postback-route.js';
import { TestResultStore } from './store/test-results.js';

export interface RelayDeps {
  logger: Logger;
  auditLog: Logger;
  redisUrl: string;
  /** Checks BullMQ's internals before the receiver relies on them; tests pass a failing one to exercise the fallback. */
  loadQueueInternals?: typeof loadQueueInternals;
}

export interface Relay {
  /** The HTTP app (never listening by itself): receiver + admin API, or just health for a worker. */
  app: FastifyInstance;
  metrics: RelayMetrics;
  listen(): Promise<string>;
  /** Stops accepting, lets in-flight deliveries finish (bounded), closes Redis. */
  close(): Promise<void>;
}

/**
 * Builds a relay from a typed config and its collaborators. Nothing here is
 * global, so two relays (say a receiver and a worker) can run side by side
 * in one process against one Redis.
 */
export async function createRelay(config: RelayConfig, deps: RelayDeps): Promise<Relay> {
  const { logger } = deps;
  const keys = createKeys(config.redis.keyPrefix);
  const metrics = createMetrics();
  const ledgerOptions = {
    retentionMs: config.audit.retentionMs,
    maxAttemptsPerDelivery: config.audit.maxAttemptsPerDelivery,
    maxIndexEntries: config.audit.maxIndexEntries,
  };
  const serves = (role: 'receiver' | 'worker') => config.role === 'all' || config.role === role;
  const closers: Array<() => Promise<unknown>> = [];

  /** A client of its own per use; its errors are logged under `name` (ioredis reconnects by itself). */
  const openRedis = (role: RedisRole, name: string, options: { autoPipelining?: boolean } = {}): RedisClient => {
    const redis = connectRedis(deps.redisUrl, role, { commandTimeoutMs: config.redis.commandTimeoutMs, ...options });
    redis.on('error', (error) => logger.debug({ err: error }, `redis (${name}) error`));
    return redis;
  };

  // The request path fails fast when Redis is away (503 at once, nothing buffered in memory).
  const requestRedis = openRedis('request', 'request');
  await waitUntilReady(requestRedis, 15_000);
  // BullMQ defines its ~60 Lua scripts on the client it is given, and ioredis copies every
  // defined script onto each MULTI and auto-pipeline it builds: our own transactions on a
  // shared client paid for that on every write (12 % of the relay's CPU in a profile).
  // So the queues get clients of their own.
  const requestQueueRedis = openRedis('request', 'request queues', { autoPipelining: false });
  const requestQueues = createQueues(requestQueueRedis, keys.queuePrefix);
  metrics.setQueueDepthSource(queueDepthOf(requestQueues));
  const gateForApi = new HostGate(requestRedis, keys, hostGateOptions(config));
  metrics.setHostStatusSource(async () => {
    try {
      return await Promise.all((await gateForApi.listHosts()).map((host) => gateForApi.status(host)));
    } catch {
      return []; // Redis away: the scrape still answers
    }
  });

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    // Room for a long query string, so an oversized value gets a JSON 400 naming the field
    // instead of Node's bare 431.
    http: { maxHeaderSize: 64 * 1024 },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // A log line per postback would cost more than handling it; attempts have their own audit log.
    logController: new LogController({ disableRequestLogging: true }),
  });
  installErrorHandler(app, { isRedisReady: () => requestRedis.status === 'ready' });
  // Before any route, so the API document sees every one.
  const routeCatalog = catalogRoutes(app);
  registerHealthRoutes(app, { redis: requestRedis, metrics });

  const sources = new RecordStore<SourceConfig>(requestRedis, keys.source, keys.sourceIds);
  const accountsForApi = new RecordStore<AccountConfig>(requestRedis, keys.account, keys.accountIds);
  // Hot-path reads of operator records go through short in-process caches; edits made
  // through this process drop the entry at once, edits elsewhere show within the TTL.
  const sourceCache = createRecordCache((id) => sources.get(id), { ttlMs: config.receiver.sourceCacheMs, maxEntries: 10_000 });
  sources.onChange((id) => sourceCache.invalidate(id));

  const ledgerForApi = new Ledger(requestRedis, keys, ledgerOptions);
  // One client for worker deliveries and admin test postbacks alike: a test meets the same address policy.
  // One policy for the client and for saving templates: what is refused when sent is refused when saved.
  const addressPolicy = createAddressPolicy({ allowCidrs: config.delivery.allowCidrs });
  const client: DeliveryClient = createDeliveryClient({
    timeoutMs: config.delivery.timeoutMs,
    maxRedirects: config.delivery.maxRedirects,
    bodySnippetBytes: config.delivery.bodySnippetBytes,
    addressPolicy,
    userAgent: config.delivery.userAgent,
    connections: config.delivery.connectionsPerOrigin,
  });

  if (serves('receiver')) {
    await app.register(formBody);
    const clicks = new ClickStore(requestRedis, keys.click);
    const offers = new RecordStore<OfferConfig>(requestRedis, keys.offer, keys.offerIds);
    const offerCache = createRecordCache((id) => offers.get(id), { ttlMs: config.tracking.offerCacheMs, maxEntries: 10_000 });
    const intakeRedis = openRedis('request', 'intake');
    closers.push(() => intakeRedis.quit().catch(() => {}));
    await waitUntilReady(intakeRedis, 15_000);
    const probe = await (deps.loadQueueInternals ?? loadQueueInternals)(requestQueues.conversions);
    metrics.queueInternalsFallback.set(probe.ok ? 0 : 1);
    if (!probe.ok) logger.warn({ reason: probe.reason }, "BullMQ's internals are not what this relay expects: the receiver uses BullMQ's public API (slower, correct)");
    const intake = createIntake(
      requestQueues.conversions,
      intakeRedis,
      { windowMs: config.receiver.dedupeWindowMs, maxBatch: config.receiver.maxBatch, dedupeKey: keys.dedupe },
      probe.ok ? probe.internals : null,
    );
    registerPostbackRoute(app, {
      sources: sourceCache,
      intake,
      metrics,
      clicks,
    });
    registerClickRoute(app, { offers: offerCache, clicks, metrics, defaultWindowDays: config.tracking.attributionWindowDays });
    await app.register(async (admin) => {
      requireAdminToken(admin, config.adminToken ?? '');
      registerSourceRoutes(admin, { sources });
      registerAccountRoutes(admin, {
        accounts: accountsForApi,
        addressPolicy,
      });
      registerConversionRoutes(admin, {
        ledger: ledgerForApi,
        conversions: requestQueues.conversions,
        redriver: createRedriver({ ledger: ledgerForApi, retries: requestQueues.retries }),
      });
      registerHostRoutes(admin, {
        gate: gateForApi,
        retries: requestQueues.retries,
        hostConcurrency: config.delivery.hostConcurrency,
      });
      registerOfferRoutes(admin, { offers, onChange: (id) => offerCache.invalidate(id) });
      registerAttributionRoutes(admin, { ledger: ledgerForApi, conversions: requestQueues.conversions, accounts: accountsForApi, clicks });
      registerTestPostbackRoutes(admin, {
        accounts: accountsForApi,
        client,
        auditLog: deps.auditLog,
        results: new TestResultStore<TestRecord>(requestRedis, keys.accountTests, {
          maxPerAccount: config.audit.testsPerAccount,
          retentionMs: config.audit.retentionMs,
        }),
      });
    });
    registerDocsRoutes(app, { info: relayApiInfo, operations: relayOperations, registeredRoutes: routeCatalog.routes });
    await registerBoard(app, {
      queues: [requestQueues.conversions, requestQueues.retries],
      adminToken: config.adminToken ?? '',
      basePath: '/ui',
    });
  }

  let workers: RelayWorkers | undefined;
  let backgroundRedis: RedisClient | undefined;
  let workerQueueRedis: RedisClient | undefined;
  if (serves('worker')) {
    // No auto-pipelining: the worker's writes are already gathered per turn (tick batcher), and
    // ioredis's pipeline bookkeeping on top cost more than the writes it saved (profiles of the
    // relay bench, two pairs: 1,802/1,853 ms in ioredis with it, 1,750/1,610 ms without).
    const workerRedis = openRedis('background', 'worker', { autoPipelining: false });
    backgroundRedis = workerRedis;
    workerQueueRedis = openRedis('background', 'worker queues', { autoPipelining: false });
    const workerQueues = createQueues(workerQueueRedis, keys.queuePrefix);
    closers.push(() => workerQueues.close());
    const ledger = new Ledger(workerRedis, keys, ledgerOptions);
    const accountsForWorker = new RecordStore<AccountConfig>(workerRedis, keys.account, keys.accountIds);
    const accountCache = createRecordCache((id) => accountsForWorker.get(id), {
      ttlMs: config.worker.accountCacheMs,
      maxEntries: 10_000,
    });
    accountsForApi.onChange((id) => accountCache.invalidate(id));
    const attempter = createDeliveryAttempter({
      client,
      ledger,
      auditLog: deps.auditLog,
      metrics,
      retryPolicy: {
        delaysMs: config.delivery.retryDelaysMs,
        jitterRatio: config.delivery.retryJitterRatio,
        retryAfterCapMs: config.delivery.retryAfterCapMs,
      },
    });
    const runner = createDeliveryRunner({
      gate: new HostGate(workerRedis, keys, hostGateOptions(config)),
      attempter,
      ledger,
      retries: workerQueues.retries,
      logger,
      parkRecheckMs: config.delivery.parkRecheckMs,
      busyWaitMs: config.delivery.hostBusyWaitMs,
    });
    workers = startWorkers({
      connection: workerQueueRedis,
      prefix: keys.queuePrefix,
      config: config.worker,
      logger,
      processConversion: createConversionProcessor({
        accounts: accountCache,
        ledger,
        runner,
        retries: workerQueues.retries,
        metrics,
        // As long as the audit keeps the records: networks re-fire on a status change days after the
        // first report, well past the dedupe window, and a link to an expired record shows nothing.
        statusLinks: new StatusLinks(workerRedis, keys.conversionLatest, config.audit.retentionMs),
        slots: createSlots(config.worker.concurrency),
        ownItems: (items) => ownItems(workerRedis, keys.dedupe, items),
      }),
      processRetry: createRetryProcessor({ ledger, runner }),
    });
  }

  let closing: Promise<void> | undefined;
  return {
    app,
    metrics,
    async listen() {
      return app.listen({ port: config.http.port, host: config.http.host });
    },
    close() {
      closing ??= (async () => {
        await app.close();
        if (workers) {
          const drained = workers.close();
          if (!(await settlesWithin(drained, config.worker.shutdownGraceMs))) {
            // Cutting the hung requests lets their jobs finish; they run again after restart.
            logger.warn({ graceMs: config.worker.shutdownGraceMs }, 'in-flight deliveries did not finish in time; aborting them');
            await client.close();
            await drained;
          }
        }
        for (const close of closers) await close();
        await requestQueues.close();
        await client.close();
        await Promise.all(
          [requestRedis, requestQueueRedis, backgroundRedis, workerQueueRedis].map((client) => client?.quit().catch(() => {})),
        );
      })();
      return closing;
    },
  };
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function hostGateOptions(config: RelayConfig) {
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
