import { z } from 'zod';
import { CONVERSION_FIELDS, DELIVERY_STATES } from '../domain/conversion.js';
import { conflict, invalid, json, notFound, readErrors, security, writeErrors } from '../http/route-docs.js';
import { bulkRetrySchema, deliveryListQuerySchema, retryDeliverySchema } from './schemas.js';

const CONVERSION_STATES = ['pending', 'unattributed', 'suppressed', 'no_postback', 'delivered', 'failed'] as const;
const timestamp = z.iso.datetime();

/** The canonical fields of a conversion as received (after normalisation), every one optional. */
export const conversionFieldsShape = z.object(
  Object.fromEntries(CONVERSION_FIELDS.map((field) => [field, z.string().optional()])) as Record<
    (typeof CONVERSION_FIELDS)[number],
    z.ZodOptional<z.ZodString>
  >,
);

export const deliveryShape = z
  .object({
    id: z.string(),
    conversion_id: z.string().describe("the relay's id of the conversion"),
    account: z.string(),
    url: z.string().describe('the rendered URL, secrets redacted'),
    host: z.string().describe('`host[:port]` as the URL carries it'),
    state: z.enum(DELIVERY_STATES as [string, ...string[]]),
    attempt_count: z.number().int(),
    created_at: timestamp,
    updated_at: timestamp,
    next_attempt_at: timestamp.optional(),
    last_error: z.string().optional(),
    waiting_for_host: z
      .string()
      .optional()
      .describe('why the delivery waits without an attempt: host at its cap, circuit open, paused'),
  })
  .meta({ id: 'Delivery' });

export const attemptShape = z
  .object({
    attempt: z.number().int(),
    at: timestamp,
    url: z.string().describe('the URL sent, secrets redacted'),
    outcome: z.enum(['delivered', 'retry', 'failed']),
    status: z.number().int().optional().describe("the tracker's HTTP status"),
    error: z.string().optional().describe('why no status came back (timeout, refused address, DNS, …)'),
    error_code: z.string().optional(),
    latency_ms: z.number(),
    body: z.string().describe('first bytes of the response body'),
    next_attempt_at: timestamp.optional(),
  })
  .meta({ id: 'Attempt' });

const conversionState = z.enum(CONVERSION_STATES);

export const conversionShape = conversionFieldsShape
  .extend({
    id: z.string(),
    source: z.string(),
    event: z.string(),
    received_at: timestamp,
    state: conversionState,
    reason: z.string().optional().describe('why an unattributed, suppressed or no_postback conversion was not delivered'),
    level: z.enum(['offer_event', 'offer', 'global_event', 'global']).optional().describe('the template level that matched'),
    warnings: z
      .array(z.object({ field: z.string(), value: z.string(), message: z.string() }))
      .optional()
      .describe('optional values dropped on the way in (malformed, or unreplaced macros); the conversion was kept without them'),
    previous_id: z
      .string()
      .optional()
      .describe(
        'the earlier report of the same source, click, event and conversion/order id that this one follows (a status change)',
      ),
    status_history: z
      .array(z.object({ id: z.string(), status: z.string().optional(), received_at: timestamp, state: conversionState }))
      .optional()
      .describe('present when previous_id is: the reports of this conversion, oldest first, ending with this one'),
    deliveries: z.array(deliveryShape.extend({ attempts: z.array(attemptShape) }).meta({ id: 'DeliveryWithAttempts' })),
  })
  .meta({
    id: 'Conversion',
    examples: [
      {
        id: '01J9Z6Q8K4M2',
        source: 'everflow',
        click_id: 'abc123',
        event: 'sale',
        payout: '1.50',
        account: 'acme',
        received_at: '2026-12-01T10:00:00.000Z',
        state: 'delivered',
        level: 'global',
        deliveries: [
          {
            id: '01J9Z6Q8K4M2.0',
            conversion_id: '01J9Z6Q8K4M2',
            account: 'acme',
            url: 'https://trk.example.com/postback?cid=abc123&payout=1.50',
            host: 'trk.example.com',
            state: 'delivered',
            attempt_count: 1,
            created_at: '2026-12-01T10:00:00.010Z',
            updated_at: '2026-12-01T10:00:00.090Z',
            attempts: [
              {
                attempt: 1,
                at: '2026-12-01T10:00:00.012Z',
                url: 'https://trk.example.com/postback?cid=abc123&payout=1.50',
                outcome: 'delivered',
                status: 200,
                latency_ms: 78,
                body: 'OK',
              },
            ],
          },
        ],
      },
    ],
  });

export const getConversionRoute = {
  schema: {
    tags: ['conversions'],
    summary: 'A conversion, its state, and its deliveries with every attempt',
    description:
      'A conversion still in the queue shows as `pending` (or `unattributed`) with no deliveries. A status change (same source, ' +
      'click, event and conversion/order id, another status) is a conversion of its own, linked by `previous_id`.',
    security: security.read,
    params: z.object({ id: z.string().describe('the id the receiver answered with') }),
    response: { 200: json('The conversion', conversionShape), ...readErrors, 404: notFound },
  },
};

export const listDeliveriesRoute = {
  schema: {
    tags: ['deliveries'],
    summary: 'List deliveries by state, newest first',
    description:
      'Newest change first; `pending` ones (not attempted yet, parked behind their host, or redriven) latest due first. ' +
      '`account` is served by an index; `host` filters as the listing is walked: a page may hold fewer than `limit` ' +
      '(at most 5,000 entries are read per call) and `next_cursor` tells whether to go on.',
    security: security.read,
    querystring: deliveryListQuerySchema,
    response: {
      200: json(
        'One page',
        z.object({
          deliveries: z.array(deliveryShape),
          next_cursor: z.string().optional().describe('pass as `cursor` for the next page'),
        }),
      ),
      400: invalid,
      ...readErrors,
    },
  },
};

export const retryDeliveryRoute = {
  schema: {
    tags: ['deliveries'],
    summary: 'Redrive one failed delivery now, with a fresh retry schedule',
    description:
      'Only a `failed` delivery is redriven; its attempts so far stay in its record. The URL is rendered again from the account\'s current templates (the template now at the same level and list position), so fixing a template and redriving repairs the failure; `{"keep_url":true}` resends the stored URL.',
    security: security.write,
    params: z.object({ id: z.string().describe('the delivery id') }),
    body: retryDeliverySchema,
    response: {
      202: json(
        'Requeued',
        z
          .object({
            id: z.string(),
            status: z.literal('requeued'),
            url: z.string().describe('the URL the attempt will use (secrets redacted)'),
            previous_url: z.string().optional().describe('the stored URL, when the current templates render another'),
          })
          .meta({
            examples: [
              {
                id: '01J9Z6Q8K4M2.0',
                status: 'requeued',
                url: 'https://trk.example.com/new?cid=abc123',
                previous_url: 'https://trk.example.com/old?cid=abc123',
              },
            ],
          }),
      ),
      ...writeErrors,
      404: notFound,
      409: conflict(
        '`not_failed`: the delivery is not failed; `in_progress`: it is being attempted right now; `template_gone`: the current configuration yields no URL for it (nothing changed)',
      ),
    },
  },
};

export const bulkRetryRoute = {
  schema: {
    tags: ['deliveries'],
    summary: 'Bulk redrive of failed deliveries matching a filter',
    description:
      'Bounded by `limit`; `more` tells whether another call is needed. `since` is unix milliseconds or an ISO date-time.',
    security: security.write,
    body: bulkRetrySchema.meta({ examples: [{ account: 'acme', host: 'trk.example.com', since: '2026-12-01T00:00:00Z' }] }),
    response: {
      202: json(
        'Requeued',
        z.object({
          requeued: z.number().int().describe('failed deliveries queued for an attempt now'),
          template_gone: z
            .number()
            .int()
            .describe('matching deliveries the current configuration yields no URL for; they stay failed'),
          matched: z
            .number()
            .int()
            .describe('failed deliveries matching the filter; those being attempted right now are not requeued'),
          more: z.boolean().describe('more failed deliveries match than `limit`: call again'),
        }),
      ),
      400: invalid,
      ...writeErrors,
    },
  },
  config: { invalidInput: 'invalid_filter' },
};
