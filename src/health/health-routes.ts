import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../redis/connection.js';
import { evictionMessage, findEvictionPolicy } from '../redis/eviction-policy.js';
import type { RelayMetrics } from './metrics.js';
import { healthzRoute, metricsRoute, readyzRoute } from './health-schemas.js';

/** `/healthz`, `/readyz` and `/metrics`: public, so probes and scrapers need no token. */
export function registerHealthRoutes(app: FastifyInstance, deps: { redis: RedisClient; metrics: RelayMetrics }): void {
  app.get('/healthz', healthzRoute, async () => ({ status: 'ok' }));

  app.get('/readyz', readyzRoute, async (_request, reply) => {
    let evicting: string | null;
    try {
      // INFO answers only when Redis does, so it is the reachability check as well.
      evicting = await findEvictionPolicy(deps.redis);
    } catch {
      return reply.status(503).send({ status: 'unavailable', redis: 'unreachable' });
    }
    if (evicting) {
      return reply
        .status(503)
        .send({ status: 'unavailable', redis: 'evicting', policy: evicting, message: evictionMessage(evicting) });
    }
    return { status: 'ready', redis: 'ok' };
  });

  app.get('/metrics', metricsRoute, async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });
}
