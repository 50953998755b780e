import { z } from 'zod';
import { ChangeStore } from '../store/changes.js';
import { invalid, json, readErrors, security } from '../http/route-docs.js';

export const changesQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .refine((text) => ChangeStore.isCursor(text), 'not a cursor returned by this API')
    .optional()
    .describe('`next_cursor` of the page before'),
});

const changeShape = z
  .object({
    id: z.string(),
    at: z.iso.datetime(),
    token: z.enum(['admin', 'viewer']).describe('which token kind made the change'),
    method: z.string(),
    path: z.string(),
    status: z.number().int().describe('the HTTP status the change answered'),
    before: z.unknown().describe('the object before the change (null when it did not exist); keys and secrets redacted'),
    after: z.unknown().describe('the object after (null when deleted), or the answer for routes without one object'),
  })
  .meta({ id: 'Change' });

export const listChangesRoute = {
  schema: {
    tags: ['changes'],
    summary: 'Admin change history, newest first',
    description:
      'Every successful admin change: `at`, `token` (which token kind made it), `method`, `path`, `status`, and the object ' +
      '`before` and `after` (keys and secrets redacted). Kept for the retention period.',
    security: security.read,
    querystring: changesQuerySchema,
    response: {
      200: json(
        'One page',
        z
          .object({
            changes: z.array(changeShape),
            next_cursor: z.string().optional().describe('pass as `cursor` for the next page'),
          })
          .meta({
            examples: [
              {
                changes: [
                  {
                    id: '1764756000000-0',
                    at: '2026-12-03T10:00:00.000Z',
                    token: 'admin',
                    method: 'PUT',
                    path: '/v1/sources/everflow',
                    status: 200,
                    before: { key_sha256: '***', ip_allow: [] },
                    after: { key_sha256: '***', ip_allow: ['203.0.113.0/24'] },
                  },
                ],
              },
            ],
          }),
      ),
      400: invalid,
      ...readErrors,
    },
  },
};
