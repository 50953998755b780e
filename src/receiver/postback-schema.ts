import { z } from 'zod';
import { describedOnly } from '../http/schema-compilers.js';
import { errorShape, json, security, validationErrorShape } from '../http/route-docs.js';
import { conversionInputSchema } from './conversion-input.js';
import { DEFAULT_PARAM_ALIASES } from './param-mapping.js';

const aliasNote = (field: string): string | undefined => {
  const others = (DEFAULT_PARAM_ALIASES as Record<string, readonly string[]>)[field]?.filter((name) => name !== field) ?? [];
  return others.length > 0
    ? `Also read from: ${others.join(', ')} (first present wins). A source may map its own names.`
    : undefined;
};

// The canonical fields as the receiver validates them after mapping the sender's names, and the key beside them.
const postbackFields = z.object({
  key: z.string().optional().describe('the source key (or send it as X-Relay-Key or Authorization: Bearer)'),
  ...Object.fromEntries(
    Object.entries(conversionInputSchema.shape).map(([field, schema]) => {
      const note = aliasNote(field);
      return [field, note ? schema.describe(note) : schema];
    }),
  ),
});

const postbackExample = {
  key: 'a-long-random-source-key',
  click_id: 'abc123',
  payout: '1.50',
  currency: 'USD',
  event: 'sale',
  offer_id: '42',
};

const answer = z
  .object({
    status: z.enum(['accepted', 'duplicate', 'unattributed']),
    id: z.string().describe('the conversion id (for a duplicate, the id of the first report)'),
    reason: z.string().optional().describe('why an unattributed conversion was not routed'),
    warnings: z
      .array(z.object({ field: z.string(), value: z.string(), message: z.string() }))
      .optional()
      .describe('optional fields left out because they were malformed; the conversion is kept without them'),
  })
  .meta({
    id: 'PostbackAnswer',
    examples: [
      { status: 'accepted', id: '01J9Z6Q8K4M2' },
      { status: 'duplicate', id: '01J9Z6Q8K4M2' },
      {
        status: 'unattributed',
        id: '01J9Z6Q8K4M3',
        reason: 'click_id is an unreplaced macro "{sub1}" (parameter "click_id"): the network had no value for it',
      },
    ],
  });

const responses = {
  200: json('Enqueued (`accepted`), a duplicate of one seen inside the dedupe window, or kept as `unattributed`', answer),
  400: json(
    'The request is unusable (a value over its length limit, an unparseable body); `details` names each field',
    validationErrorShape,
  ),
  401: json('Unknown source or wrong key', errorShape.meta({ examples: [{ error: 'unauthorized', message: 'unauthorized' }] })),
  403: json("Caller address not in the source's allow-list", errorShape),
  503: json('Queue unavailable: nothing was written, retry later', errorShape.meta({ examples: [{ error: 'unavailable' }] })),
};

// Validated by the handler, not by Fastify: the source is authenticated first, and each source may send its own names.
const params = describedOnly(z.object({ source: z.string().describe('the source id') }));
const query = describedOnly(postbackFields.meta({ examples: [postbackExample] }));
// In a JSON body a field may also be a number: it is kept as its decimal text (`1.5`, never `1.5e0`).
const bodyFields = z.object(
  Object.fromEntries(
    Object.entries(postbackFields.shape).map(([field, schema]) => {
      if (field === 'key') return [field, schema];
      const either = z.union([schema, z.number()]).optional();
      return [field, schema.description ? either.describe(schema.description) : either];
    }),
  ),
);
const body = describedOnly(bodyFields.meta({ examples: [{ ...postbackExample, payout: 1.5 }] }));

const common = {
  tags: ['receiver'],
  security: security.sourceKey,
  params,
  response: responses,
};

export const getPostbackRoute = {
  schema: {
    ...common,
    summary: 'Report a conversion',
    description:
      'Answers 200 only once the conversion is durably enqueued (at-least-once delivery follows). Parameter names are matched ' +
      'case-insensitively; a value that is still an unreplaced macro (`{sub1}`, `#s2#`, …) counts as absent.',
    querystring: query,
  },
};

export const postPostbackRoute = {
  schema: {
    ...common,
    response: {
      ...responses,
      400: json(
        'A field is unusable (`details` names each) or the body cannot be parsed (`bad_request`)',
        z.union([
          validationErrorShape,
          errorShape.meta({
            examples: [{ error: 'bad_request', message: "Body is not valid JSON but content-type is set to 'application/json'" }],
          }),
        ]),
      ),
      413: json(
        'The body is over the body limit',
        errorShape.meta({ examples: [{ error: 'bad_request', message: 'Request body is too large' }] }),
      ),
      415: json('A content type other than JSON or a form', errorShape),
    },
    summary: 'Report a conversion (form or JSON body)',
    description: 'The same fields as the GET form, in the body; body fields win over query fields of the same name.',
    querystring: query,
    consumes: ['application/json', 'application/x-www-form-urlencoded'],
    body,
  },
};

/**
 * Methods a link checker, an uptime monitor or a network's "test URL" button
 * may send. None of them reports a conversion, so none creates one.
 */
export const OTHER_POSTBACK_METHODS = ['HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const POSTBACK_ALLOW = 'GET, POST';

export const otherMethodsPostbackRoute = {
  schema: {
    tags: ['receiver'],
    security: [],
    summary: 'Other methods: refused',
    description: `Answers 405 with \`Allow: ${POSTBACK_ALLOW}\` and creates no conversion.`,
    params,
    response: {
      405: json(
        'Only GET and POST report a conversion',
        errorShape.meta({ examples: [{ error: 'method_not_allowed', message: 'use GET or POST' }] }),
      ),
    },
  },
};
