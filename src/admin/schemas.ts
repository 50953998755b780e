import { z } from 'zod';
import { CONVERSION_FIELDS } from '../domain/conversion.js';
import { parseCidr } from '../net/cidr.js';
import { STATUS_MAP_FALLBACK, statusKey } from '../templates/status-rules.js';
import { PRESET_NAMES } from '../templates/presets.js';
import { NETWORK_IDS } from '../networks/presets.js';

/** A network preset id; an unknown one is named in the error with the known ones. */
export const networkIdSchema = z.string().superRefine((id, context) => {
  if (!NETWORK_IDS.includes(id)) {
    context.addIssue({ code: 'custom', message: `unknown network "${id}"; known: ${NETWORK_IDS.join(', ')}` });
  }
});

/** The delivery states `GET /v1/deliveries` lists, as the contract names them. */
export const LISTED_DELIVERY_STATES = ['failed', 'retrying', 'delivered', 'pending'] as const;

/** Ids end up in Redis keys and URLs: keep them short and plain. */
export const idSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits, _ . : - only, at most 128');

export const sourceInputSchema = z.strictObject({
  key: z.string().min(8, 'at least 8 characters').max(256).optional(),
  ip_allow: z
    .array(z.string().refine((text) => parseCidr(text) !== null, 'not an IP address or CIDR'))
    .max(256)
    .default([]),
  params: z.partialRecord(z.enum(CONVERSION_FIELDS), z.array(z.string().min(1).max(64)).max(16)).default({}),
  default_account: idSchema.optional(),
  accounts: z
    .array(z.union([z.literal('*'), idSchema]))
    .max(1_000)
    .optional()
    .describe('the accounts this source may reach besides default_account; ["*"]: any. Unset: any, with a warning'),
  require_click: z.boolean().optional(),
  network: networkIdSchema.optional(),
});
export type SourceInput = z.infer<typeof sourceInputSchema>;

const eventName = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits, _ . : - only, at most 64');

const CONTROL = /[\u0000-\u001f\u007f]/;
const STATUS_MAX = 64;
const STATUS_LIST_MAX = 32;

/** Problems with a status as an operator writes it (in `statuses` or as a `status_map` key); undefined when fine. */
function statusNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > STATUS_MAX) return `must be at most ${STATUS_MAX} characters`;
  if (CONTROL.test(name)) return 'must not contain control characters';
  // The receiver trims what it gets, so a padded status could never match.
  if (name.trim() !== name) return 'must not start or end with a space';
  return undefined;
}

const statusName = z.string().superRefine((name, context) => {
  const problem = statusNameProblem(name);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

const statusesSchema = z
  .array(
    statusName.refine((name) => name !== STATUS_MAP_FALLBACK, {
      message: '"*" only means "any other status" in status_map; leave statuses out to fire on every status',
    }),
  )
  .min(1, 'list at least one status, or leave statuses out to fire on every status')
  .max(STATUS_LIST_MAX, `at most ${STATUS_LIST_MAX} statuses`)
  .describe(
    'Statuses (as received, any case) this level fires for; others are recorded as suppressed. ' +
      'Absent: every status fires. A conversion without a status always fires.',
  );

const statusMapSchema = z
  .record(
    z.string(),
    z
      .string()
      .max(STATUS_MAX, `must be at most ${STATUS_MAX} characters`)
      .refine((word) => !CONTROL.test(word), 'must not contain control characters')
      // Substituted as a value, never parsed: a macro here would be sent as literal braces.
      .refine((word) => !/[{}]/.test(word), 'must be plain text: macros are not expanded in status_map'),
  )
  .superRefine((map, context) => {
    const keys = Object.keys(map);
    if (keys.length > STATUS_LIST_MAX) context.addIssue({ code: 'custom', message: `at most ${STATUS_LIST_MAX} entries` });
    const seen = new Map<string, string>();
    for (const key of keys) {
      const problem = statusNameProblem(key);
      if (problem) {
        context.addIssue({ code: 'custom', path: [key], message: `status ${problem}` });
        continue;
      }
      const folded = statusKey(key);
      const earlier = seen.get(folded);
      // Statuses match without regard to case, so these two would compete for the same status.
      if (earlier !== undefined)
        context.addIssue({ code: 'custom', path: [key], message: `same status as "${earlier}" (case is ignored)` });
      else seen.set(folded, key);
    }
  })
  .describe(
    "How `{status}` is written for this level's tracker: the relay's status (as received, any case) -> the tracker's word; " +
      '`*` for any status not listed. Without an entry (and without `*`) the status is sent as received.',
  );

/** Status rules of a level; a per-event entry given as templates alone takes those of the level it sits in. */
const statusRules = { statuses: statusesSchema.optional(), status_map: statusMapSchema.optional() };

/**
 * An account's schema around the schema of one URL template: plain text as
 * stored and validated, or (for the API document only) text or a preset.
 */
function accountSchemaWith<T extends z.ZodType>(template: T) {
  const urlTemplates = z.union([template, z.array(template).max(20)]);
  const eventTemplates = z.union([urlTemplates, z.strictObject({ url: urlTemplates, ...statusRules })], {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'must be a URL template, a list of them, or {"url": …, "statuses": […], "status_map": {…}} with url set'
        : undefined,
  });
  const postbackLevelSchema = z.strictObject({
    url: urlTemplates.optional(),
    events: z.record(eventName, eventTemplates).optional(),
    ...statusRules,
  });
  return z.strictObject({
    postback: postbackLevelSchema.optional(),
    offers: z
      .record(
        z.string().regex(/^[^\s\u0000-\u001f]{1,128}$/, 'at most 128 characters, no spaces'),
        postbackLevelSchema.extend({ disabled: z.boolean().optional() }),
      )
      .optional(),
  });
}

export const accountInputSchema = accountSchemaWith(z.string());

/** `PUT /v1/accounts/:id` as a caller may write it: wherever a template goes, a preset may (expanded before validation). */
export const accountRequestSchema = accountSchemaWith(
  z
    .union([
      z.string().describe('a URL template with macros, e.g. `https://trk.example.com/postback?cid={click_id}&payout={payout}`'),
      z
        .strictObject({
          preset: z.enum(PRESET_NAMES).describe("a tracker's postback format"),
          base_url: z.string().describe("the tracker's address (for keitaro, with its postback key)"),
        })
        .describe('stored as the rendered template'),
    ])
    .meta({ id: 'UrlTemplate' }),
);
export type AccountInput = z.infer<typeof accountInputSchema>;

export const deliveryListQuerySchema = z.strictObject({
  state: z.enum(LISTED_DELIVERY_STATES).default('failed'),
  account: idSchema.optional(),
  host: z
    .string()
    .regex(/^[^\s/?#@]{1,260}$/, 'expected host or host:port')
    .transform((host) => host.toLowerCase())
    .optional()
    .describe('`host[:port]` as the delivery URLs carry it'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(512).optional(),
});

const sinceSchema = z.union([
  z.number().int().nonnegative(),
  z.iso.datetime({ offset: true }).transform((text) => Date.parse(text)),
]);

export const bulkRetrySchema = z.strictObject({
  state: z.literal('failed').default('failed'),
  account: idSchema.optional(),
  host: z.string().min(1).max(255).optional(),
  since: sinceSchema.optional(),
  limit: z.number().int().min(1).max(10_000).default(1_000),
  keep_url: z.boolean().optional().describe('resend the stored URLs instead of rendering them again from the current templates'),
});

/** `POST /v1/deliveries/:id/retry`: an optional body. */
export const retryDeliverySchema = z
  .strictObject({
    keep_url: z.boolean().optional().describe('resend the stored URL instead of rendering it again from the current templates'),
  })
  .optional();

/** zod issues as the contract's `details` (kept here for the handlers that validate by hand). */
export { toDetails } from '../http/schema-compilers.js';
