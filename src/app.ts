import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import formBody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import type { OfferConfig } from './domain/offer.js';
import type { RelayContext } from './relay-context.js';
import { waitUntilReady } from './redis/connection.js';
import { RecordStore } from './store/record-store.js';
import { createRecordCache } from './store/record-cache.js';
import { TestResultStore } from './store/test-results.js';
import { createIntake } from './queue/intake.js';
import { loadQueueInternals } from './queue/bullmq-internals.js';
import { installErrorHandler } from './http/error-handler.js';
import { logRequests } from './http/request-log.js';
import { registerHealthRoutes } from './health/health-routes.js';
import { registerPostbackRoute } from './receiver/postback-route.js';
import { ClickStore } from './tracking/click-store.js';
import { registerClickRoute } from './tracking/click-route.js';
import { requireAdminAccess } from './admin/admin-auth.js';
import { recordChanges } from './admin/change-recorder.js';
import { registerChangeRoutes } from './admin/changes-routes.js';
import { ChangeStore } from './store/changes.js';
import type { GuardedRoutes } from './auth/token-auth.js';
import { registerSourceRoutes } from './admin/sources-routes.js';
import { registerNetworkRoutes } from './admin/networks-routes.js';
import { registerAccountRoutes } from './admin/accounts-routes.js';
import { registerConversionRoutes } from './admin/conversions-routes.js';
import { registerHostRoutes } from './admin/hosts-routes.js';
import { createRedriver } from './admin/redrive.js';
import { registerOfferRoutes } from './admin/offers-routes.js';
import { registerAttributionRoutes } from './admin/attribution-routes.js';
import { registerTestPostbackRoutes, type TestRecord } from './admin/test-postback-route.js';
import { registerDocsRoutes } from './docs/docs-routes.js';
import { registerOpenApi } from './docs/openapi-document.js';
import { installSchemaCompilers } from './http/schema-compilers.js';
import { createClientErrorHandler } from './http/client-error.js';
import { RejectionStore } from './store/rejections.js';
import { createRejectionLog } from './receiver/rejection-log.js';
import { registerRejectionRoutes } from './admin/rejections-routes.js';
import { registerTemplateRoutes } from './admin/templates-routes.js';
import { registerStatsRoutes } from './admin/stats-routes.js';
import { registerConsole } from './console/console-routes.js';
import { sessionCredential } from './console/session-auth.js';
import { SessionStore, signInLimiter } from './console/session-store.js';

/**
 * The relay's HTTP app: health for every role; for the receiver role also
 * the postback receiver, tracking links, the admin API and the docs. It
 * never listens by itself (the process entry does), so tests inject requests.
 */
export async function createHttpApp(context: RelayContext): Promise<FastifyInstance> {
  const { config, logger, keys, metrics, requestRedis, requestQueues } = context;
  const rejections = new RejectionStore(requestRedis, keys, {
    keepPerSource: config.audit.rejectionsPerSource,
    retentionMs: config.audit.retentionMs,
  });
  const rejectionLog = createRejectionLog({
    store: rejections,
    sources: context.sourceCache,
    metrics,
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- as for loggerInstance below
    logger: logger as FastifyBaseLogger,
  });
  const app = Fastify({
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- pino's Logger must become Fastify's base logger type, or every plugin's instance type differs
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    // Room for a long query string, so an oversized value gets a JSON 400 naming the field
    // instead of Node's bare 431. Node enforces its request timeouts only when they are given
    // at server creation, and checks them every connectionsCheckingInterval: a client that
    // dribbles its headers or body is cut off at most that much late.
    http: {
      maxHeaderSize: 64 * 1024,
      connectionsCheckingInterval: 500,
      requestTimeout: config.http.requestTimeoutMs,
      headersTimeout: Math.min(60_000, config.http.requestTimeoutMs),
    },
    requestTimeout: config.http.requestTimeoutMs,
    // An idle socket between requests holds a file descriptor; a sender reconnects cheaply.
    keepAliveTimeout: 5_000,
    connectionTimeout: config.http.requestTimeoutMs + 5_000,
    // A JSON body with `__proto__` or `constructor.prototype` keeps its other fields: the key
    // is dropped, not the conversion (a sender's odd payload must not lose it).
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    // A client cut off by Node's timeouts never reaches a route: it is kept as a rejection here.
    clientErrorHandler: createClientErrorHandler((ip) => {
      if (config.role !== 'worker') rejectionLog.recordTimeout(ip);
    }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // A log line per postback would cost more than handling it; attempts have their own audit log.
    logController: new LogController({ disableRequestLogging: true }),
  });
  installErrorHandler(app, { isRedisReady: () => requestRedis.status === 'ready' });
  if (context.deps.onRoute) app.addHook('onRoute', context.deps.onRoute);
  installSchemaCompilers(app);
  // Before any route, so the request log hooks onto the routes it logs.
  logRequests(app, logger);
  // Before any route, so the API document sees every one.
  await registerOpenApi(app, { publicUrl: config.publicUrl });
  registerHealthRoutes(app, { redis: requestRedis, metrics });
  if (config.role === 'worker') return app;

  await app.register(formBody);
  const sessions = new SessionStore(requestRedis, keys.consoleSession, config.console.sessionTtlMs);
  // One pair of tokens for the admin API's bearer header and the console's sign-in.
  const tokens = { admin: config.adminToken ?? '', ...(config.viewerToken ? { viewer: config.viewerToken } : {}) };
  const clicks = new ClickStore(requestRedis, keys.click);
  const offers = new RecordStore<OfferConfig>(requestRedis, keys.offer, keys.offerIds);
  const offerCache = createRecordCache((id) => offers.get(id), { ttlMs: config.tracking.offerCacheMs, maxEntries: 10_000 });

  // The intake's connection holds only the scripts its transaction runs (see src/queue/bullmq-internals.ts).
  const intakeRedis = context.openRedis('request', 'intake');
  context.onClose(() => intakeRedis.quit().catch(() => {}));
  await waitUntilReady(intakeRedis, 15_000);
  const probe = await (context.deps.loadQueueInternals ?? loadQueueInternals)(requestQueues.conversions);
  metrics.queueInternalsFallback.set(probe.ok ? 0 : 1);
  if (!probe.ok)
    logger.warn(
      { reason: probe.reason },
      "BullMQ's internals are not what this relay expects: the receiver uses BullMQ's public API (slower, correct)",
    );
  const intake = createIntake(
    requestQueues.conversions,
    intakeRedis,
    { windowMs: config.receiver.dedupeWindowMs, maxBatch: config.receiver.maxBatch, dedupeKey: keys.dedupe },
    probe.ok ? probe.internals : null,
  );
  registerPostbackRoute(app, { sources: context.sourceCache, intake, metrics, clicks, rejectionLog });
  registerClickRoute(app, { offers: offerCache, clicks, metrics, defaultWindowDays: config.tracking.attributionWindowDays });

  const changes = new ChangeStore(requestRedis, keys.changes, {
    retentionMs: config.audit.retentionMs,
    maxEntries: config.audit.maxChanges,
  });
  let adminGuard: GuardedRoutes | undefined;
  app.decorate('adminRoutes', () => adminGuard?.routes() ?? []);
  // The admin API and the console read the session cookie; postbacks and clicks never do, and a
  // cookie parser hooked on every request was ~1 % of the relay's CPU under postback load.
  await app.register(async (operator) => {
    await operator.register(cookie);
    await operator.register(async (admin) => {
      adminGuard = requireAdminAccess(admin, {
        tokens,
        extraSources: [sessionCredential(sessions)],
      });
      // Before the routes, so its hooks wrap every one of them.
      recordChanges(admin, {
        changes,
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- as above
        logger: logger as FastifyBaseLogger,
        subjects: {
          '/v1/sources/:id': ({ id = '' }) => context.sources.get(id),
          '/v1/accounts/:id': ({ id = '' }) => context.accounts.get(id),
          '/v1/offers/:id': ({ id = '' }) => offers.get(id),
          '/v1/hosts/:host/pause': ({ host = '' }) => context.gate.status(host.toLowerCase()),
          '/v1/hosts/:host/resume': ({ host = '' }) => context.gate.status(host.toLowerCase()),
          '/v1/hosts/:host/reset': ({ host = '' }) => context.gate.status(host.toLowerCase()),
          // A redrive only queues the attempt: the delivery as it was, and what was done.
          '/v1/deliveries/:id/retry': { before: ({ id = '' }) => context.ledger.getDelivery(id), after: 'answer' },
        },
      });
      registerChangeRoutes(admin, { changes });
      registerRejectionRoutes(admin, { rejections });
      registerTemplateRoutes(admin);
      registerStatsRoutes(admin, {
        redis: requestRedis,
        keys,
        rejections,
        queues: { conversions: requestQueues.conversions, retries: requestQueues.retries },
      });
      registerSourceRoutes(admin, { sources: context.sources });
      registerNetworkRoutes(admin, { sources: context.sources, ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}) });
      registerAccountRoutes(admin, { accounts: context.accounts, addressPolicy: context.addressPolicy });
      registerConversionRoutes(admin, {
        ledger: context.ledger,
        conversions: requestQueues.conversions,
        redriver: createRedriver({ ledger: context.ledger, retries: requestQueues.retries, accounts: context.accounts }),
      });
      registerHostRoutes(admin, {
        gate: context.gate,
        retries: requestQueues.retries,
        hostConcurrency: config.delivery.hostConcurrency,
      });
      registerOfferRoutes(admin, { offers, onChange: (id) => offerCache.invalidate(id) });
      registerAttributionRoutes(admin, {
        ledger: context.ledger,
        conversions: requestQueues.conversions,
        accounts: context.accounts,
        clicks,
      });
      registerTestPostbackRoutes(admin, {
        accounts: context.accounts,
        client: context.client,
        auditLog: context.deps.auditLog,
        results: new TestResultStore<TestRecord>(requestRedis, keys.accountTests, {
          maxPerAccount: config.audit.testsPerAccount,
          retentionMs: config.audit.retentionMs,
        }),
      });
    });
    await registerConsole(operator, {
      tokens,
      sessions,
      sessionTtlMs: config.console.sessionTtlMs,
      signInAllowed: signInLimiter(requestRedis, keys.consoleSignIns, {
        max: config.console.signInMax,
        windowMs: config.console.signInWindowMs,
      }),
    });
  });
  registerDocsRoutes(app);
  return app;
}
