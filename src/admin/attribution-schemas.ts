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
    attribution_window_seconds: z.number().int().min(1).max(MAX_WINDOW_DAYS * 86_400).optional(),
  })
  .refine((offer) => offer.attribution_window_days === undefined || offer.attribution_window_seconds === undefined, {
    path: ['attribution_window_seconds'],
    message: 'give attribution_window_days or attribution_window_seconds, not both',
  });

/** Routing states the ledger indexes conversions by (routed ones are listed through their deliveries). */
export const LISTED_CONVERSION_STATES = ['unattributed', 'suppressed', 'no_postback'] as const;
const CONVERSION_STATES = [...LISTED_CONVERSION_STATES, 'pending', 'delivered', 'failed'] as const;

export const conversionListQuerySchema = z.strictObject({
  click_id: z.string().min(1).max(256).optional().describe('every conversion of this click id (any state), served by an index'),
  source: z.string().min(1).max(128).optional().describe('with `click_id`: only this source'),
  account: z.string().min(1).max(128).optional().describe('with `click_id`: only this account'),
  state: z.enum(CONVERSION_STATES).optional().describe('without `click_id`: which kept-but-not-delivered state to list (default `unattributed`); with it, a filter on any state'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(512).optional(),
});

/** `POST /v1/conversions/:id/attribute`: same limits as the receiver's fields. */
export const attributeInputSchema = z.strictObject({
  account: idSchema,
  offer_id: z.string().regex(/^[^\s\u0000-\u001f]{1,128}$/, 'at most 128 characters, no spaces').optional(),
  click_id: z
    .string()
    .min(1, 'must not be empty')
    .max(256, 'must be at most 256 characters')
    .refine((s) => !CONTROL.test(s), 'must not contain control characters')
    .optional(),
});

const keptConversionShape = conversionFieldsShape.extend({
  id: z.string(),
  source: z.string(),
  event: z.string(),
  received_at: z.iso.datetime(),
  previous_id: z.string().optional(),
  state: z.enum(CONVERSION_STATES),
  reason: z.string().optional(),
}).meta({ id: 'KeptConversion' });

export const listConversionsRoute = {
  schema: {
    tags: ['conversions'],
    summary: 'Find the conversions of a click id, or list those kept but not delivered (unattributed, suppressed, no_postback), newest first',
    description:
      'With `click_id`: every conversion of that click (any state; at most `limit`, no further pages), optionally filtered by `source`, `account` and `state`, served by a per-click index. Without it: one kept-but-not-delivered `state` per call (default `unattributed`), paged with `cursor`, each with the `reason` it was not delivered.',
    security: security.read,
    querystring: conversionListQuerySchema,
    response: {
      200: json(
        'One page',
        z.object({ conversions: z.array(keptConversionShape), next_cursor: z.string().optional().describe('pass as `cursor` for the next page') }),
      ),
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
          from_click: z.literal(true).optional().describe("the click id is a tracking-link click: its offer and sub ids were used"),
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
