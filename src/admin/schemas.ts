import { z } from 'zod';
import { CONVERSION_FIELDS } from '../domain/conversion.js';
import { DELIVERY_STATES } from '../domain/conversion.js';
import { parseCidr } from '../net/cidr.js';

/** Ids end up in Redis keys and URLs: keep them short and plain. */
export const idSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits, _ . : - only, at most 128');

export const sourceInputSchema = z.strictObject({
  key: z.string().min(8, 'at least 8 characters').max(256).optional(),
  ip_allow: z
    .array(z.string().refine((text) => parseCidr(text) !== null, 'not an IP address or CIDR'))
    .max(256)
    .default([]),
  params: z
    .partialRecord(z.enum(CONVERSION_FIELDS), z.array(z.string().min(1).max(64)).max(16))
    .default({}),
  default_account: idSchema.optional(),
  require_click: z.boolean().optional(),
});
export type SourceInput = z.infer<typeof sourceInputSchema>;

const urlTemplates = z.union([z.string(), z.array(z.string()).max(20)]);
const eventName = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits, _ . : - only, at most 64');

const postbackLevelSchema = z.strictObject({
  url: urlTemplates.optional(),
  events: z.record(eventName, urlTemplates).optional(),
});

export const accountInputSchema = z.strictObject({
  postback: postbackLevelSchema.optional(),
  offers: z
    .record(
      z.string().regex(/^[^\s\u0000-\u001f]{1,128}$/, 'at most 128 characters, no spaces'),
      postbackLevelSchema.extend({ disabled: z.boolean().optional() }),
    )
    .optional(),
});
export type AccountInput = z.infer<typeof accountInputSchema>;

export const deliveryListQuerySchema = z.strictObject({
  state: z.enum(DELIVERY_STATES as [string, ...string[]]).default('failed'),
  account: idSchema.optional(),
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
});

/** zod issues as the contract's `details`: a dotted path and a message. */
export function toDetails(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
  }));
}
