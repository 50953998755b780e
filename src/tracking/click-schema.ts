import { z } from 'zod';
import { describedOnly } from '../http/schema-compilers.js';
import { errorShape, json, security, validationErrorShape } from '../http/route-docs.js';

const sub = () =>
  z.string().max(512).optional().describe('kept with the click and substituted into the landing URL and later postbacks');

// Validated by the handler, which counts each outcome in the click metric (and ignores utm_* and the like).
const query = describedOnly(
  z
    .object({
      account: z
        .string()
        .regex(/^[A-Za-z0-9_.:-]{1,128}$/)
        .optional()
        .describe('the account a conversion of this click is attributed to'),
      sub1: sub(),
      sub2: sub(),
      sub3: sub(),
      sub4: sub(),
      sub5: sub(),
    })
    .meta({ examples: [{ account: 'acme', sub1: 'campaign-7' }] }),
);

export const clickRoute = {
  // A HEAD (link checkers, previews) must not mint a click that nobody will convert.
  exposeHeadRoute: false,
  schema: {
    tags: ['tracking'],
    summary: 'Tracking link: register a click and redirect to the offer',
    description:
      'Issues a `transaction_id` (unguessable, URL-safe), keeps the click (account, offer, `sub1`…`sub5`) for the attribution ' +
      "window, and answers 302 to the offer's URL with the macros substituted. Other query parameters (utm_*, …) are ignored.",
    security: security.none,
    params: describedOnly(z.object({ offer_id: z.string().describe('the offer id') })),
    querystring: query,
    response: {
      302: z
        .null()
        .describe("Redirect to the offer's landing page")
        .meta({ headers: { location: { type: 'string', description: 'the landing URL with the transaction id and sub ids' } } }),
      400: json('A parameter is malformed; `details` names each', validationErrorShape),
      404: json('Unknown offer', errorShape),
      503: json('The click store is unavailable: retry', errorShape),
    },
  },
};
