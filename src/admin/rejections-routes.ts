import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { RejectionStore } from '../store/rejections.js';
import { listRejectionsRoute, type rejectionsQuerySchema } from './rejections-schemas.js';

/** `GET /v1/rejections`: refused postbacks, newest first. */
export function registerRejectionRoutes(app: FastifyInstance, deps: { rejections: Pick<RejectionStore, 'list'> }): void {
  app.get<{ Querystring: z.output<typeof rejectionsQuerySchema> }>('/v1/rejections', listRejectionsRoute, async (request) => {
    const { source, reason, since, limit, cursor } = request.query;
    const page = await deps.rejections.list({
      limit,
      ...(source !== undefined ? { source } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    });
    return { rejections: page.rejections, ...(page.cursor ? { next_cursor: page.cursor } : {}) };
  });
}
