import { z } from 'zod';
import { invalid, json, notFound, readErrors, security } from '../http/route-docs.js';
import { idSchema, networkIdSchema } from './schemas.js';

const networkShape = z.object({
  id: z.string(),
  name: z.string(),
  macro_syntax: z.string().describe('how the network writes a macro, e.g. `{name}`, `#name#`'),
  case_sensitive: z.boolean().describe('whether the network only replaces macros written in exactly this case'),
  click_id_link_param: z.string().optional().describe("the tracking-link parameter that must carry the tracker's click id"),
  click_id_macro: z.string().optional().describe("the network's macro that brings that click id back"),
  postback_parameters: z.record(z.string(), z.string()).describe('canonical parameter -> the network macro in the URL to paste'),
  params: z.record(z.string(), z.array(z.string())).describe("the network's own names read per field, before the defaults"),
  ignored_params: z
    .array(z.string())
    .describe('default names never read for this network (its own click id, its publisher number)'),
  status_map: z.record(z.string(), z.string()).optional().describe("the network's status words -> canonical ones"),
  notes: z.array(z.string()),
  sources: z
    .array(z.object({ url: z.string(), covers: z.string(), grade: z.enum(['official', 'secondary', 'inferred']) }))
    .describe("the pages each fact rests on: official (the network's own documentation), secondary or inferred"),
});

export const listNetworksRoute = {
  schema: {
    tags: ['sources'],
    summary: 'Inbound network presets',
    description:
      "Each supported network with its macro syntax, where the tracker's click id comes back, the names it is read by and " +
      'those it never is, its status words, and the documentation each preset rests on. Set one on a source as `network`.',
    security: security.read,
    response: { 200: json('The presets', z.object({ networks: z.array(networkShape) })), ...readErrors },
  },
};

export const postbackUrlQuerySchema = z.strictObject({
  network: networkIdSchema.optional().describe("preview another preset than the source's own"),
  key: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .describe("the source's key, checked and filled into the URL (the relay keeps only its digest)"),
});

const postbackUrlShape = z
  .object({
    source: z.string(),
    network: z.string(),
    url: z.string().describe("the URL to paste into the network's postback field"),
    parameters: z.record(z.string(), z.string()).describe('canonical parameter -> the network macro it carries'),
    click_id_link_param: z.string().optional().describe("the tracking-link parameter that must carry the tracker's click id"),
    key_included: z.boolean().describe('false: the URL holds YOUR_SOURCE_KEY where the key goes'),
    notes: z.array(z.string()),
  })
  .meta({
    examples: [
      {
        source: 'everflow',
        network: 'everflow',
        url: 'https://relay.example.com/postback/everflow?key=YOUR_SOURCE_KEY&click_id={sub1}&payout={payout_amount}&amount={sale_amount}&offer_id={offer_id}&event={event_id}&sub5={transaction_id}',
        parameters: { click_id: '{sub1}', payout: '{payout_amount}' },
        click_id_link_param: 'sub1',
        key_included: false,
        notes: ["Put the tracker's click id on the Everflow tracking link as sub1=…"],
      },
    ],
  });

export const postbackUrlRoute = {
  schema: {
    tags: ['sources'],
    summary: "The URL to paste into a network's postback field",
    description:
      "PUBLIC_URL (else this request's origin; X-Forwarded-* only behind a trusted proxy), the source path and key, and the network's own " +
      "macros for click id, payout, amount, offer, event, order and conversion ids, with notes (which sub id must carry the tracker's click id). " +
      "Without `network`, the source's own preset (else generic).",
    security: security.read,
    params: z.object({ id: idSchema.describe('the source id') }),
    querystring: postbackUrlQuerySchema,
    response: { 200: json('The URL and notes', postbackUrlShape), 400: invalid, ...readErrors, 404: notFound },
  },
  config: { invalidInput: 'invalid_query' },
};
