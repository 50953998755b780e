import type { FastifyInstance } from 'fastify';
import type { RelayConfig } from './config/schema.js';
import type { RelayMetrics } from './health/metrics.js';
import { createRelayContext, type RelayDeps } from './relay-context.js';
import { createHttpApp } from './app.js';
import { startWorkerRuntime } from './worker/runtime.js';
import type { RelayWorkers } from './worker/workers.js';

export type { RelayDeps } from './relay-context.js';

export interface Relay {
  /** The HTTP app (never listening by itself): receiver + admin API, or just health for a worker. */
  app: FastifyInstance;
  metrics: RelayMetrics;
  listen(): Promise<string>;
  /** Stops accepting, lets in-flight deliveries finish (bounded), closes Redis. */
  close(): Promise<void>;
}

/**
 * Builds a relay from a typed config and its collaborators: the shared
 * context (src/relay-context.ts), the HTTP app (src/app.ts) and, for the
 * worker role, the worker runtime (src/worker/runtime.ts). Nothing here is
 * global, so two relays (say a receiver and a worker) can run side by side
 * in one process against one Redis. The process entry (src/main.ts) owns
 * signals and exit codes.
 */
export async function createRelay(config: RelayConfig, deps: RelayDeps): Promise<Relay> {
  const context = await createRelayContext(config, deps);
  const app = await createHttpApp(context);
  const workers: RelayWorkers | undefined = config.role === 'receiver' ? undefined : startWorkerRuntime(context);

  let closing: Promise<void> | undefined;
  return {
    app,
    metrics: context.metrics,
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
            deps.logger.warn(
              { graceMs: config.worker.shutdownGraceMs },
              'in-flight deliveries did not finish in time; aborting them',
            );
            await context.client.close();
            await drained;
          }
        }
        for (const close of context.closers) await close();
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
