import { z } from 'zod';
import { describedOnly } from '../http/schema-compilers.js';
import { empty, invalid, json, notFound, readErrors, security, writeErrors } from '../http/route-docs.js';
import { accountInputSchema, accountRequestSchema, idSchema } from './schemas.js';

const accountExample = {
  postback: {
    url: 'https://trk.example.com/postback?cid={click_id}&payout={payout}',
    events: { lead: 'https://trk.example.com/lead?cid={click_id}' },
  },
  offers: { '42': { url: 'https://other.example.com/pb?clickid={click_id}&txid={conversion_id}' }, '43': { disabled: true } },
};

/** An account as stored: its templates as given (presets rendered), plus its id. */
export const accountShape = accountInputSchema
  .extend({ id: z.string() })
  .meta({ id: 'Account', examples: [{ id: 'acme', ...accountExample }] });

/** The answer to a save: the account, and the templates accepted with a warning. */
const savedAccountShape = accountShape
  .extend({
    warnings: z
      .array(z.string())
      .optional()
      .describe('templates accepted with a warning, e.g. `postback.url: no click-id macro …`'),
  })
  .meta({ id: 'SavedAccount' });

const accountParams = z.object({ id: idSchema.describe('the account id') });

export const putAccountRoute = {
  schema: {
    tags: ['accounts'],
    summary: 'Create or replace an account and its postback templates',
    description:
      'Templates resolve first match wins: `offers[offer_id].events[event]`, `offers[offer_id].url`, `postback.events[event]`, ' +
      '`postback.url`. Each `url` (or event entry) is one template or a list (fan-out: one delivery per URL). Unknown macros, ' +
      'non-URLs and hosts that are literal blocked addresses are rejected naming the path; a template without a click-id macro is ' +
      'accepted with a warning. Where a template goes, `{"preset":"voluum","base_url":"https://trk.example.com"}` may be given ' +
      'instead and is stored as the rendered template. Status rules: `postback`, each offer and each event entry (long form ' +
      '`{"url":…,"statuses":[…],"status_map":{…}}`) may list the `statuses` that fire and a `status_map` for `{status}`; the first ' +
      "level that matches the offer and event decides: when its statuses exclude the conversion's status, the conversion is " +
      '`suppressed`, and no later level fires instead.',
    security: security.write,
    params: accountParams,
    // The handler expands presets, then validates with accountInputSchema (the same but for presets).
    body: describedOnly(
      accountRequestSchema.meta({
        examples: [accountExample, { postback: { url: { preset: 'voluum', base_url: 'https://trk.example.com' } } }],
      }),
    ),
    response: {
      200: json('Replaced', savedAccountShape),
      201: json('Created', savedAccountShape),
      400: invalid,
      ...writeErrors,
    },
  },
  config: { invalidInput: 'invalid_account' },
};

export const getAccountRoute = {
  schema: {
    tags: ['accounts'],
    summary: 'Get an account',
    description: 'Its templates as stored: presets appear rendered, as the plain templates they became.',
    security: security.read,
    params: accountParams,
    response: { 200: json('The account', accountShape), 400: invalid, ...readErrors, 404: notFound },
  },
  config: { invalidInput: 'invalid_account' },
};

export const listAccountsRoute = {
  schema: {
    tags: ['accounts'],
    summary: 'List accounts',
    description: 'Every account with its templates, in id order.',
    security: security.read,
    response: { 200: json('All accounts', z.object({ accounts: z.array(accountShape) })), ...readErrors },
  },
};

export const deleteAccountRoute = {
  schema: {
    tags: ['accounts'],
    summary: 'Delete an account',
    description: 'Conversions for it are kept as `unattributed` from then on.',
    security: security.write,
    params: accountParams,
    response: { 204: empty('Deleted'), 400: invalid, ...writeErrors, 404: notFound },
  },
  config: { invalidInput: 'invalid_account' },
};
