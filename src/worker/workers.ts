import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { CONVERSIONS_QUEUE, RETRIES_QUEUE, type ConversionJob, type RetryJob } from '../queue/queues.js';
import type { RelayConfig } from '../config/schema.js';

export interface RelayWorkers {
  /** Stops taking jobs and resolves once the jobs in flight have finished. */
  close(): Promise<void>;
}

/** Starts the BullMQ workers for both queues with the relay's lock and stall settings. */
export function startWorkers(deps: {
  connection: ConnectionOptions;
  prefix: string;
  config: RelayConfig['worker'];
  processConversion: (job: import('bullmq').Job<ConversionJob>) => Promise<void>;
  processRetry: (job: import('bullmq').Job<RetryJob>, token?: string) => Promise<void>;
  logger: Logger;
}): RelayWorkers {
  const common = {
    connection: deps.connection,
    prefix: deps.prefix,
    lockDuration: deps.config.lockDurationMs,
    stalledInterval: deps.config.stalledIntervalMs,
    // A job whose worker was killed is taken over, not failed: at-least-once.
    maxStalledCount: 100,
  };
  const workers = [
    new Worker<ConversionJob>(CONVERSIONS_QUEUE, deps.processConversion, {
      ...common,
      concurrency: deps.config.concurrency,
    }),
    new Worker<RetryJob>(RETRIES_QUEUE, deps.processRetry, { ...common, concurrency: deps.config.retryConcurrency }),
  ];
  for (const worker of workers) {
    worker.on('error', (error) => deps.logger.error({ err: error, queue: worker.name }, 'worker error'));
    worker.on('failed', (job, error) => {
      const final = job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1);
      deps.logger.warn(
        { err: error, queue: worker.name, jobId: job?.id },
        final ? 'job failed for good; the reconciler will put it back' : 'job failed; BullMQ will retry it',
      );
    });
  }
  return {
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
    },
  };
}
