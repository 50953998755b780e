import { z } from 'zod';
import { empty, invalid, json, notFound, readErrors, security, writeErrors } from '../http/route-docs.js';
import { idSchema, sourceInputSchema } from './schemas.js';

/** A source as the API shows it: the key is stored as a digest and never shown back. */
export const sourceShape = z
  .object({
    id: z.string(),
    key_set: z.literal(true).describe('the key is stored as a digest and never shown'),
    ip_allow: z.array(z.string()),
    params: z.record(z.string(), z.array(z.string())).describe('extra inbound parameter names per canonical field'),
    default_account: z.string().optional(),
    accounts: z
      .array(z.string())
      .optional()
      .describe('the accounts this source may reach besides default_account (["*"]: any); unset: any'),
    require_click: z.boolean(),
    network: z
      .string()
      .optional()
      .describe('the inbound network preset (GET /v1/networks) whose names and statuses this source is read by'),
  })
  .meta({
    id: 'Source',
    examples: [
      {
        id: 'everflow',
        key_set: true,
        ip_allow: ['203.0.113.0/24'],
        params: { click_id: ['sub1'] },
        default_account: 'acme',
        require_click: false,
      },
    ],
  });

const sourceWithWarnings = sourceShape.extend({
  warnings: z
    .array(z.object({ path: z.string(), message: z.string() }))
    .optional()
    .describe('accepted, but worth a look: e.g. no `accounts`, so the source can reach any account'),
});

const sourceParams = z.object({ id: idSchema.describe('the source id, as in /postback/{source}') });

export const putSourceRoute = {
  schema: {
    tags: ['sources'],
    summary: 'Create or replace a source',
    description:
      '`key` is required for a new source; leaving it out keeps the stored key. `ip_allow` lists the CIDRs the source may call from ' +
      '(empty: any); `accounts` lists the accounts it may reach besides `default_account` (`["*"]`: any; unset: any, with a warning, ' +
      'and a conversion aimed at another is kept as `unattributed` with reason `account_not_allowed`); `params` maps canonical fields to the names this source sends, tried before the defaults; `network` names an ' +
      "inbound preset (GET /v1/networks): that network's names and statuses, explicit `params` entries winning. An unknown network is 400.",
    security: security.write,
    params: sourceParams,
    body: sourceInputSchema.meta({
      examples: [
        {
          key: 'a-long-random-source-key',
          ip_allow: ['203.0.113.0/24'],
          params: { click_id: ['sub1'] },
          default_account: 'acme',
        },
      ],
    }),
    response: {
      200: json('Replaced', sourceWithWarnings),
      201: json('Created', sourceWithWarnings),
      400: invalid,
      ...writeErrors,
    },
  },
  config: { invalidInput: 'invalid_source' },
};

export const getSourceRoute = {
  schema: {
    tags: ['sources'],
    summary: 'Get a source',
    description: 'Its allow-list, parameter names, default account and network; the key is never shown (only that one is set).',
    security: security.read,
    params: sourceParams,
    response: { 200: json('The source', sourceShape), 400: invalid, ...readErrors, 404: notFound },
  },
  config: { invalidInput: 'invalid_source' },
};

export const listSourcesRoute = {
  schema: {
    tags: ['sources'],
    summary: 'List sources',
    description: 'Every source, in id order, as `GET /v1/sources/{id}` shows each.',
    security: security.read,
    response: { 200: json('All sources', z.object({ sources: z.array(sourceShape) })), ...readErrors },
  },
};

export const deleteSourceRoute = {
  schema: {
    tags: ['sources'],
    summary: 'Delete a source',
    description: 'Postbacks to it answer 401 from then on.',
    security: security.write,
    params: sourceParams,
    response: { 204: empty('Deleted'), 400: invalid, ...writeErrors, 404: notFound },
  },
  config: { invalidInput: 'invalid_source' },
};
