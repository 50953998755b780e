import { z } from 'zod';
import { RejectionStore } from '../store/rejections.js';
import { invalid, json, readErrors, security } from '../http/route-docs.js';
import { timeQuery } from './attribution-schemas.js';

export const rejectionsQuerySchema = z.object({
  source: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('the source name as sent; `unknown` lists every name that is not a configured source'),
  reason: z
    .string()
    .regex(/^[a-z0-9_]{1,64}$/, 'an error code such as unauthorized, forbidden, invalid_conversion')
    .optional()
    .describe(
      "the answer's error code: unauthorized, forbidden, invalid_conversion, method_not_allowed, bad_request, request_timeout, unavailable",
    ),
  since: timeQuery.optional().describe('nothing older: ISO 8601 or unix milliseconds'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .refine((text) => RejectionStore.isCursor(text), 'not a cursor returned by this API')
    .optional()
    .describe('`next_cursor` of the page before'),
});

const rejectionShape = z
  .object({
    id: z.string(),
    at: z.iso.datetime(),
    source: z.string().describe('the source name as sent (empty when the request was cut off before it was read)'),
    known_source: z.boolean().describe('whether that name is a configured source'),
    ip: z.string().describe('the caller address'),
    method: z.string(),
    status: z.number().int().describe('the answer: 400, 401, 403, 405, 408, 413, 415, 503…'),
    error: z.string().describe("the answer's error code"),
    message: z.string().optional(),
    fields: z.array(z.string()).describe('the fields at fault (400)'),
    query: z.string().describe('the query string as sent, with the key and other secrets as ***'),
  })
  .meta({ id: 'Rejection' });

export const listRejectionsRoute = {
  schema: {
    tags: ['receiver'],
    summary: 'Refused postbacks, newest first',
    description:
      'Every postback the receiver refused (401 wrong key or unknown source, 403 caller address, 400 unusable field, 405 method, ' +
      '408 too slow, 413 too large, 503 queue unavailable), with its time, source, caller address, status, error, the fields at fault and ' +
      "the query with the key redacted: why a network's postback did not arrive. The newest `REJECTIONS_KEEP` per source are kept " +
      'for the retention period; unknown source names share one bucket. A page may be short with a `next_cursor` when a filter is rare, ' +
      'and holds a few more than `limit` only when refusals of different sources share an id (the same millisecond): a page never splits them.',
    security: security.read,
    querystring: rejectionsQuerySchema,
    response: {
      200: json(
        'One page',
        z
          .object({
            rejections: z.array(rejectionShape),
            next_cursor: z.string().optional().describe('pass as `cursor` for the next page'),
          })
          .meta({
            examples: [
              {
                rejections: [
                  {
                    id: '1764756000000-0',
                    at: '2026-12-03T10:00:00.000Z',
                    source: 'everflow',
                    known_source: true,
                    ip: '203.0.113.7',
                    method: 'GET',
                    status: 401,
                    error: 'unauthorized',
                    message: 'unauthorized',
                    fields: [],
                    query: 'key=***&click_id=abc123&payout=1.50',
                  },
                ],
                next_cursor: '1764756000000-0',
              },
            ],
          }),
      ),
      400: invalid,
      ...readErrors,
    },
  },
};
