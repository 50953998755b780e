import type { RelayContext } from '../relay-context.js';
import { hostGateOptions, jobRetryOf } from '../relay-context.js';
import { createQueues, wakeDeliveries } from '../queue/queues.js';
import { createOwnItems } from '../queue/intake.js';
import { Ledger } from '../store/ledger.js';
import { RecordStore } from '../store/record-store.js';
import { createRecordCache } from '../store/record-cache.js';
import { StatusLinks } from '../store/status-links.js';
import { HostGate } from '../delivery/host-gate.js';
import { HostLeaseBlocks } from '../delivery/host-lease-blocks.js';
import { HostRateLimiter } from '../delivery/host-rate-limit.js';
import type { AccountConfig } from '../domain/account.js';
import { createDeliveryAttempter } from './delivery-attempt.js';
import { createDeliveryRunner } from './delivery-runner.js';
import { createConversionProcessor } from './conversion-processor.js';
import { createRetryProcessor } from './retry-processor.js';
import { createSlots } from './slots.js';
import { startWorkers, type RelayWorkers } from './workers.js';
import { createReconciler } from './reconciler.js';
import { createWriteBacklog } from './write-backlog.js';

/**
 * The worker role: BullMQ workers for both queues, and what they deliver
 * with. Its Redis clients are its own (background role: they wait out a
 * Redis restart instead of failing fast like the request path).
 */
export function startWorkerRuntime(context: RelayContext): RelayWorkers {
  const { config, keys, metrics, logger } = context;
  // No auto-pipelining: the worker's writes are already gathered per turn (tick batcher), and
  // ioredis's pipeline bookkeeping on top cost more than the writes it saved (profiles of the
  // relay bench, two pairs: 1,802/1,853 ms in ioredis with it, 1,750/1,610 ms without).
  const workerRedis = context.openRedis('background', 'worker', { autoPipelining: false });
  const workerQueueRedis = context.openRedis('background', 'worker queues', { autoPipelining: false });
  const workerQueues = createQueues(workerQueueRedis, keys.queuePrefix, jobRetryOf(config));
  context.onClose(async () => {
    await workerQueues.close();
    await Promise.all([workerRedis, workerQueueRedis].map((client) => client.quit().catch(() => {})));
  });

  const ledger = new Ledger(workerRedis, keys, context.ledgerOptions);
  const accounts = new RecordStore<AccountConfig>(workerRedis, keys.account, keys.accountIds);
  const accountCache = createRecordCache((id) => accounts.get(id), { ttlMs: config.worker.accountCacheMs, maxEntries: 10_000 });
  context.accounts.onChange((id) => accountCache.invalidate(id));
  const backlog = createWriteBacklog({ logger, retryEveryMs: 1_000 });
  backlog.start();
  const attempter = createDeliveryAttempter({
    client: context.client,
    ledger,
    backlog,
    auditLog: context.deps.auditLog,
    metrics,
    retryPolicy: {
      delaysMs: config.delivery.retryDelaysMs,
      jitterRatio: config.delivery.retryJitterRatio,
      retryAfterCapMs: config.delivery.retryAfterCapMs,
    },
  });
  const gateOptions = hostGateOptions(config);
  const sharedGate = new HostGate(workerRedis, keys, gateOptions);
  const blocks = config.delivery.hostLeaseBlocks
    ? new HostLeaseBlocks(workerRedis, keys, sharedGate, {
        concurrency: gateOptions.concurrency,
        leaseMs: gateOptions.leaseMs,
        checkMs: config.delivery.hostLeaseCheckMs,
        wake: (ids) => wakeDeliveries(workerQueues.retries, ids),
        onError: (error) => logger.warn({ err: error }, 'host lease blocks: check failed; retried at the next one'),
      })
    : undefined;
  // A pause or reset made through this process's admin API reaches its blocks at once.
  if (blocks) context.gate.onChange((host) => blocks.hostChanged(host));
  const runner = createDeliveryRunner({
    gate: blocks ?? sharedGate,
    rateLimiter: new HostRateLimiter(workerRedis, keys, config.delivery.hostRateLimits),
    attempter,
    ledger,
    retries: workerQueues.retries,
    logger,
    parkRecheckMs: config.delivery.parkRecheckMs,
    busyWaitMs: config.delivery.hostBusyWaitMs,
  });
  const workers = startWorkers({
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
      backlog,
      // As long as the audit keeps the records: networks re-fire on a status change days after the
      // first report, well past the dedupe window, and a link to an expired record shows nothing.
      statusLinks: new StatusLinks(workerRedis, keys.conversionLatest, config.audit.retentionMs),
      slots: createSlots(config.worker.concurrency),
      ownItems: createOwnItems(workerRedis, keys.dedupe),
    }),
    processRetry: createRetryProcessor({ ledger, runner, backlog }),
  });
  const reconciler = createReconciler({
    redis: workerRedis,
    keys,
    ledger,
    retries: workerQueues.retries,
    conversions: workerQueues.conversions,
    metrics,
    logger,
    intervalMs: config.reconciler.intervalMs,
    graceMs: config.reconciler.graceMs,
    maxPerSweep: config.reconciler.maxPerSweep,
  });
  reconciler.start();
  return {
    async close() {
      await reconciler.stop();
      await workers.close();
      await blocks?.close();
      await backlog.stop();
    },
  };
}
