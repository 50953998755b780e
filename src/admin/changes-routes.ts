import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { ChangeStore } from '../store/changes.js';
import { changesQuerySchema, listChangesRoute } from './changes-schemas.js';

export { changesQuerySchema };

/** `GET /v1/changes`: the admin change history, newest first. */
export function registerChangeRoutes(app: FastifyInstance, deps: { changes: ChangeStore }): void {
  app.get<{ Querystring: z.output<typeof changesQuerySchema> }>('/v1/changes', listChangesRoute, async (request) => {
    const query = request.query;
    const page = await deps.changes.list(query.limit, query.cursor);
    return { changes: page.changes, ...(page.cursor ? { next_cursor: page.cursor } : {}) };
  });
}
