import { z } from 'zod';
import { CONVERSION_FIELDS, DELIVERY_STATES } from '../domain/conversion.js';
import { accountInputSchema } from '../admin/schemas.js';

/**
 * What the API answers, for the document only: handlers build their answers
 * directly. The docs test parses real answers with these, so a shape that
 * drifts from the handlers fails there.
 */

export const errorShape = z.object({ error: z.string(), message: z.string().optional() });

export const validationErrorShape = z.object({
  error: z.string().meta({ examples: ['invalid_account'] }),
  details: z.array(z.object({ path: z.string(), message: z.string() })),
});

export const postbackAnswerShape = z.union([
  z.object({ status: z.literal('accepted'), id: z.string() }),
  z.object({ status: z.literal('duplicate'), id: z.string().describe('the id of the first report') }),
  z.object({ status: z.literal('unattributed'), id: z.string(), reason: z.string() }),
]);

export const sourceShape = z.object({
  id: z.string(),
  key_set: z.literal(true).describe('the key is stored as a digest and never shown'),
  ip_allow: z.array(z.string()),
  params: z.record(z.string(), z.array(z.string())),
  default_account: z.string().optional(),
  require_click: z.boolean(),
});

export const sourceListShape = z.object({ sources: z.array(sourceShape) });

export const accountShape = accountInputSchema.extend({
  id: z.string(),
  warnings: z.array(z.string()).optional().describe('templates accepted with a warning, e.g. no click-id macro'),
});

export const accountListShape = z.object({ accounts: z.array(accountShape.omit({ warnings: true })) });

const deliveryState = z.enum(DELIVERY_STATES as [string, ...string[]]);

export const deliveryShape = z.object({
  id: z.string(),
  conversion_id: z.string(),
  account: z.string(),
  url: z.string().describe('the rendered URL, secrets redacted'),
  host: z.string(),
  state: deliveryState,
  attempt_count: z.number().int(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  next_attempt_at: z.iso.datetime().optional(),
  last_error: z.string().optional(),
});

export const attemptShape = z.object({
  attempt: z.number().int(),
  at: z.iso.datetime(),
  url: z.string(),
  outcome: z.enum(['delivered', 'retry', 'failed']),
  status: z.number().int().optional(),
  error: z.string().optional(),
  error_code: z.string().optional(),
  latency_ms: z.number(),
  body: z.string().describe('first bytes of the response body'),
  next_attempt_at: z.iso.datetime().optional(),
});

export const conversionShape = z.object({
  ...Object.fromEntries(CONVERSION_FIELDS.map((field) => [field, z.string().optional()])),
  id: z.string(),
  source: z.string(),
  event: z.string(),
  received_at: z.iso.datetime(),
  state: z.enum(['pending', 'unattributed', 'suppressed', 'no_postback', 'delivered', 'failed']),
  reason: z.string().optional(),
  level: z.enum(['offer_event', 'offer', 'global_event', 'global']).optional(),
  previous_id: z
    .string()
    .optional()
    .describe('the earlier report of the same source, click, event and conversion/order id that this one follows (a status change)'),
  status_history: z
    .array(
      z.object({
        id: z.string(),
        status: z.string().optional(),
        received_at: z.iso.datetime(),
        state: z.enum(['pending', 'unattributed', 'suppressed', 'no_postback', 'delivered', 'failed']),
      }),
    )
    .optional()
    .describe('present when previous_id is: the reports of this conversion, oldest first, ending with this one'),
  deliveries: z.array(deliveryShape.extend({ attempts: z.array(attemptShape) })),
});

export const deliveryPageShape = z.object({
  deliveries: z.array(deliveryShape),
  next_cursor: z.string().optional().describe('pass as `cursor` for the next page'),
});

export const requeuedShape = z.object({ id: z.string(), status: z.literal('requeued') });

export const bulkRequeuedShape = z.object({
  requeued: z.number().int().describe('failed deliveries queued for an attempt now'),
  matched: z.number().int().describe('failed deliveries matching the filter; those being attempted right now are not requeued'),
  more: z.boolean().describe('more failed deliveries match than `limit`: call again'),
});

export const healthShape = z.object({ status: z.literal('ok') });
export const readyShape = z.object({ status: z.enum(['ready', 'unavailable']), redis: z.enum(['ok', 'unreachable']) });
