import { z } from 'zod';
import { idSchema } from './schemas.js';
import { conflict, invalid, json, notFound, readErrors, security, writeErrors } from '../http/route-docs.js';
import { conversionFieldsShape } from './conversions-schemas.js';

const MAX_WINDOW_DAYS = 3650;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** `PUT /v1/offers/:id`; the URL's macros are checked by checkLandingTemplate, naming `url`. */
export const offerInputSchema = z
  .strictObject({
    url: z.string({ error: 'required: the landing URL template' }),
    attribution_window_days: z.number().int().min(1).max(MAX_WINDOW_DAYS).optional(),
    // For windows under a day (and for tests that watch a click expire).
    attribution_window_seconds: z
      .number()
      .int()
      .min(1)
      .max(MAX_WINDOW_DAYS * 86_400)
      .optional(),
  })
  .refine((offer) => offer.attribution_window_days === undefined || offer.attribution_window_seconds === undefined, {
    path: ['attribution_window_seconds'],
    message: 'give attribution_window_days or attribution_window_seconds, not both',
  });

/** Routing states the ledger indexes conversions by (routed ones are listed through their deliveries). */
export const LISTED_CONVERSION_STATES = ['unattributed', 'suppressed', 'no_postback'] as const;
const CONVERSION_STATES = [...LISTED_CONVERSION_STATES, 'pending', 'delivered', 'failed'] as const;

/** A time as ISO 8601 (a date-time with its offset, or a date: UTC midnight) or unix milliseconds. */
export const timeQuery = z
  .string()
  .refine(
    (text) =>
      /^\d{1,15}$/.test(text) || z.iso.datetime({ offset: true }).safeParse(text).success || z.iso.date().safeParse(text).success,
    {
      message: 'expected an ISO 8601 date-time (2026-12-01T10:00:00Z), a date (2026-12-01) or unix milliseconds',
    },
  )
  .transform((text) => (/^\d+$/.test(text) ? Number(text) : Date.parse(text)));

const filterText = (what: string) => z.string().min(1).max(256).optional().describe(what);

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;

export const conversionListQuerySchema = z
  .strictObject({
    click_id: filterText('only this click id'),
    source: filterText('only this source'),
    account: filterText('only this account'),
    offer_id: filterText('only this offer'),
    state: z.enum(CONVERSION_STATES).optional().describe('only conversions in this state now'),
    since: timeQuery.optional().describe('received at or after: ISO 8601 or unix milliseconds'),
    until: timeQuery.optional().describe('received at or before: ISO 8601 or unix milliseconds'),
    limit: z.coerce.number().int().min(1).max(500).default(50).describe('most conversions per page (not for an export)'),
    cursor: z.string().max(512).optional().describe('`next_cursor` of the previous page'),
    format: z
      .enum(['json', ...EXPORT_FORMATS])
      .optional()
      .describe(
        '`csv` or `ndjson`: an export of every match, streamed (also chosen by `Accept: text/csv` or `application/x-ndjson`)',
      ),
  })
  .refine((query) => query.since === undefined || query.until === undefined || query.since <= query.until, {
    path: ['until'],
    message: 'must not be before since',
  });

/** `POST /v1/conversions/:id/attribute`: same limits as the receiver's fields. */
export const attributeInputSchema = z.strictObject({
  account: idSchema,
  offer_id: z
    .string()
    .regex(/^[^\s\u0000-\u001f]{1,128}$/, 'at most 128 characters, no spaces')
    .optional(),
  click_id: z
    .string()
    .min(1, 'must not be empty')
    .max(256, 'must be at most 256 characters')
    .refine((s) => !CONTROL.test(s), 'must not contain control characters')
    .optional(),
});

const keptConversionShape = conversionFieldsShape
  .extend({
    id: z.string(),
    source: z.string(),
    event: z.string(),
    received_at: z.iso.datetime(),
    previous_id: z.string().optional(),
    state: z.enum(CONVERSION_STATES),
    reason: z.string().optional().describe('why an unattributed, suppressed or no_postback conversion was not delivered'),
    level: z.enum(['offer_event', 'offer', 'global_event', 'global']).optional().describe('the template level that matched'),
    warnings: z
      .array(z.object({ field: z.string(), value: z.string(), message: z.string() }))
      .optional()
      .describe('optional values dropped on the way in'),
  })
  .meta({ id: 'KeptConversion' });

export const listConversionsRoute = {
  schema: {
    tags: ['conversions'],
    summary:
      'Search conversions by click id, source, account, offer, state and time, newest first; or export them as CSV or NDJSON',
    description:
      'Any combination of filters; none lists every recorded conversion. Served by indexes (by time, click id, source, account, offer, and the kept-but-not-delivered states), ' +
      'all ordered by `received_at`: the one with the fewest entries in the time range is walked and every filter checked on each record. ' +
      'A filter with no index of its own (`state` delivered, failed or pending, or a combination) may leave a page short: at most 5,000 entries are read per call, ' +
      'and `next_cursor` tells whether to go on. A conversion shows once a worker has recorded it (`GET /v1/conversions/:id` also finds it while queued). ' +
      '`format=csv` or `format=ndjson` (or the matching `Accept`) streams every match instead of a page.',
    security: security.read,
    querystring: conversionListQuerySchema,
    response: {
      200: {
        description:
          'One page (JSON); with `format`, the export: CSV with a header row of canonical field names, or one JSON conversion per line',
        content: {
          'application/json': {
            schema: z.object({
              conversions: z.array(keptConversionShape),
              next_cursor: z.string().optional().describe('pass as `cursor` for the next page'),
            }),
          },
          'text/csv': {
            schema: z.string().describe('header row `id,received_at,state,click_id,…`, then one row per conversion'),
          },
          'application/x-ndjson': { schema: z.string().describe('one conversion (as in the JSON page) per line') },
        },
      },
      400: invalid,
      ...readErrors,
    },
  },
};

export const attributeConversionRoute = {
  schema: {
    tags: ['conversions'],
    summary: 'Attribute an unattributed conversion to an account and hand it to the worker again',
    description: "The operator's account, offer and click id win over the click's, as a conversion's own fields do.",
    security: security.write,
    params: z.object({ id: z.string().describe('the conversion id') }),
    body: attributeInputSchema.meta({ examples: [{ account: 'acme', offer_id: '42' }] }),
    response: {
      202: json(
        'Requeued',
        z.object({
          id: z.string(),
          status: z.literal('requeued'),
          account: z.string(),
          offer_id: z.string().optional(),
          click_id: z.string().optional(),
          from_click: z
            .literal(true)
            .optional()
            .describe('the click id is a tracking-link click: its offer and sub ids were used'),
        }),
      ),
      400: invalid,
      ...writeErrors,
      404: notFound,
      409: conflict('`not_unattributed`, `not_processed` (still queued) or `attribution_pending`'),
    },
  },
  config: { invalidInput: 'invalid_attribution' },
};
