import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../redis/connection.js';
import type { RelayMetrics } from './metrics.js';
import { healthzRoute, metricsRoute, readyzRoute } from './health-schemas.js';

/** `/healthz`, `/readyz` and `/metrics`: public, so probes and scrapers need no token. */
export function registerHealthRoutes(app: FastifyInstance, deps: { redis: RedisClient; metrics: RelayMetrics }): void {
  app.get('/healthz', healthzRoute, async () => ({ status: 'ok' }));

  app.get('/readyz', readyzRoute, async (_request, reply) => {
    try {
      await deps.redis.ping();
      return { status: 'ready', redis: 'ok' };
    } catch {
      return reply.status(503).send({ status: 'unavailable', redis: 'unreachable' });
    }
  });

  app.get('/metrics', metricsRoute, async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });
}
