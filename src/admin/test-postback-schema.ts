import { z } from 'zod';
import { canonicalMacro, type MacroValues } from '../templates/index.js';
import { errorShape, invalid, json, notFound, readErrors, security, writeErrors } from '../http/route-docs.js';
import { idSchema } from './schemas.js';

const CONTROL = /[\u0000-\u001f\u007f]/;

const macroValue = z.union([
  z
    .string()
    .max(512, 'must be at most 512 characters')
    .refine((s) => !CONTROL.test(s), 'must not contain control characters'),
  z.number().refine(Number.isFinite, 'must be a finite number').transform(String),
]);

/** `POST /v1/accounts/:id/test`. `values` is keyed by macro name (aliases accepted), like a template. */
export const testPostbackInputSchema = z.strictObject({
  offer_id: z
    .string()
    .regex(/^[^\s\u0000-\u001f]{1,128}$/, 'at most 128 characters, no spaces')
    .optional(),
  event: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits, _ . : - only, at most 64')
    .optional(),
  values: z
    .record(z.string(), macroValue)
    .superRefine((values, context) => {
      for (const name of Object.keys(values)) {
        if (canonicalMacro(name) === undefined) {
          context.addIssue({ code: 'custom', path: [name], message: `unknown macro {${name}}` });
        }
      }
    })
    .transform((values) => {
      const out: MacroValues = {};
      for (const [name, value] of Object.entries(values)) out[canonicalMacro(name)!] = value;
      return out;
    })
    .optional(),
  dry_run: z.boolean().optional(),
});

export type TestPostbackInput = z.infer<typeof testPostbackInputSchema>;

const testResponseShape = z
  .object({
    status: z.number().int().optional().describe("the tracker's HTTP status"),
    error: z.string().optional(),
    error_code: z.string().optional(),
    outcome: z.enum(['delivered', 'retry', 'failed']).describe('how a real delivery would have taken this answer'),
    latency_ms: z.number(),
    body: z.string().describe('first bytes of the response body'),
  })
  .meta({ id: 'TrackerResponse' });

const level = z.enum(['offer_event', 'offer', 'global_event', 'global']);

const testAnswerShape = z
  .object({
    account: z.string(),
    level,
    url: z.string().describe('the rendered URL (of the first, for a fan-out level)'),
    response: testResponseShape.optional().describe('absent for a dry run'),
    dry_run: z.boolean(),
    values: z.record(z.string(), z.string()).describe('the macro values used: yours, and plainly fake ones for the rest'),
    results: z
      .array(z.object({ url: z.string(), response: testResponseShape.optional() }))
      .optional()
      .describe('every URL of a fan-out level'),
  })
  .meta({
    id: 'TestPostbackResult',
    examples: [
      {
        account: 'acme',
        level: 'global',
        url: 'https://trk.example.com/postback?cid=test-click-1a2b3c4d&payout=1.00',
        response: { status: 200, outcome: 'delivered', latency_ms: 12, body: 'OK' },
        dry_run: false,
        values: { click_id: 'test-click-1a2b3c4d', payout: '1.00' },
      },
    ],
  });

const testRecordShape = z
  .object({
    at: z.iso.datetime(),
    event: z.string(),
    offer_id: z.string().optional(),
    dry_run: z.boolean(),
    level: level.nullable().describe('null when no template applied'),
    message: z.string().optional().describe('what to configure, when no template applied'),
    url: z.string().optional().describe('secrets redacted'),
    response: testResponseShape.optional(),
    results: z.array(z.object({ url: z.string(), response: testResponseShape.optional() })).optional(),
  })
  .meta({ id: 'TestRecord' });

const accountParams = z.object({ id: idSchema.describe('the account id') });

export const testPostbackRoute = {
  schema: {
    tags: ['accounts'],
    summary: 'Render the template that would apply and, unless dry_run, fire it now',
    description:
      'Answers the `level` that matched, the rendered `url` and, when fired, the tracker’s `response`. When no template applies ' +
      '(no postback for the event, or the offer is disabled) the answer is 422 `no_postback` or `suppressed` with what to configure.',
    security: security.write,
    params: accountParams,
    body: testPostbackInputSchema.meta({
      examples: [{ offer_id: '42', event: 'sale', values: { payout: '2.50' }, dry_run: true }],
    }),
    response: {
      200: json('The rendered template and, when fired, the response', testAnswerShape),
      400: invalid,
      ...writeErrors,
      404: notFound,
      422: json('No template applies: `no_postback` or `suppressed`', errorShape),
    },
  },
  config: { invalidInput: 'invalid_test' },
};

export const listTestsRoute = {
  schema: {
    tags: ['accounts'],
    summary: 'Recent test postbacks of an account, newest first',
    description: 'What each test rendered and what the tracker answered, URLs redacted; kept for the audit retention.',
    security: security.read,
    params: accountParams,
    response: {
      200: json('The recent tests', z.object({ tests: z.array(testRecordShape) })),
      400: invalid,
      ...readErrors,
      404: notFound,
    },
  },
  config: { invalidInput: 'invalid_account' },
};
