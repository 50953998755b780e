import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ChangeStore } from '../store/changes.js';
import { parseInput } from './parse-input.js';

export const changesQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .refine((text) => ChangeStore.isCursor(text), 'not a cursor returned by this API')
    .optional(),
});

/** `GET /v1/changes`: the admin change history, newest first. */
export function registerChangeRoutes(app: FastifyInstance, deps: { changes: ChangeStore }): void {
  app.get('/v1/changes', async (request) => {
    const query = parseInput(changesQuerySchema, request.query, 'invalid_query');
    const page = await deps.changes.list(query.limit, query.cursor);
    return { changes: page.changes, ...(page.cursor ? { next_cursor: page.cursor } : {}) };
  });
}
