import { z } from 'zod';
import { accountInputSchema, bulkRetrySchema, deliveryListQuerySchema, idSchema, sourceInputSchema } from '../admin/schemas.js';
import { attributeInputSchema, conversionListQuerySchema, offerInputSchema } from '../admin/attribution-schemas.js';
import { testPostbackInputSchema } from '../admin/test-postback-schema.js';
import { changesQuerySchema } from '../admin/changes-routes.js';
import { conversionInputSchema } from '../receiver/conversion-input.js';
import { DEFAULT_PARAM_ALIASES } from '../receiver/param-mapping.js';
import type { OperationSpec, ResponseSpec } from './openapi.js';
import {
  accountListShape,
  accountShape,
  bulkRequeuedShape,
  conversionShape,
  deliveryPageShape,
  errorShape,
  healthShape,
  postbackAnswerShape,
  readyShape,
  requeuedShape,
  sourceListShape,
  sourceShape,
  validationErrorShape,
} from './response-shapes.js';

const unauthorized: ResponseSpec = { description: 'Missing or wrong token', schema: errorShape };
const notFound: ResponseSpec = { description: 'Unknown id', schema: errorShape };
const invalid: ResponseSpec = { description: 'Invalid input; `details` names each bad field', schema: validationErrorShape };
const id = { id: { schema: idSchema } };
const host = { host: { schema: z.string(), description: '`host` or `host:port`, as the delivery URLs carry it' } };

// The receiver validates the canonical fields after mapping the sender's names
// onto them; the key travels alongside, so the documented query is both.
const postbackQuery = conversionInputSchema.extend({
  key: z.string().optional().describe('the source key (or send it as X-Relay-Key or Authorization: Bearer)'),
});
const postbackAliases: Record<string, string> = Object.fromEntries(
  Object.entries(DEFAULT_PARAM_ALIASES)
    .filter(([field, names]) => names.some((name) => name !== field))
    .map(([field, names]) => [field, `Also read from: ${names.filter((name) => name !== field).join(', ')}. A source may map its own names.`]),
);

const postbackResponses: Record<number, ResponseSpec> = {
  200: { description: 'Enqueued, a duplicate of one seen inside the dedupe window, or kept as unattributed', schema: postbackAnswerShape },
  400: { description: 'A field fails validation; `details` names each', schema: validationErrorShape },
  401: { description: 'Unknown source or wrong key', schema: errorShape },
  403: { description: "Caller address not in the source's allow-list", schema: errorShape },
  503: { description: 'Queue unavailable: nothing was written, retry later', schema: errorShape },
};

/** The receiver, admin API and health routes, as the OpenAPI document lists them. */
export const relayOperations: OperationSpec[] = [
  {
    method: 'get',
    path: '/postback/:source',
    tag: 'receiver',
    summary: 'Report a conversion',
    description: 'Answers 200 only once the conversion is durably enqueued. Parameter names are matched case-insensitively.',
    access: 'source',
    params: { source: { schema: idSchema, description: 'the source id' } },
    query: postbackQuery,
    queryDescriptions: postbackAliases,
    responses: postbackResponses,
  },
  {
    method: 'post',
    path: '/postback/:source',
    tag: 'receiver',
    summary: 'Report a conversion (form or JSON body)',
    description: 'The same fields as the GET form, in the body; body fields win over query fields of the same name.',
    access: 'source',
    params: { source: { schema: idSchema, description: 'the source id' } },
    body: { schema: postbackQuery, contentTypes: ['application/json', 'application/x-www-form-urlencoded'], required: false },
    responses: postbackResponses,
  },

  {
    method: 'put',
    path: '/v1/sources/:id',
    tag: 'sources',
    summary: 'Create or replace a source',
    description: '`key` is required for a new source; leaving it out keeps the stored key.',
    access: 'admin',
    params: id,
    body: { schema: sourceInputSchema },
    responses: {
      200: { description: 'Replaced', schema: sourceShape },
      201: { description: 'Created', schema: sourceShape },
      400: invalid,
      401: unauthorized,
    },
  },
  { method: 'get', path: '/v1/sources/:id', tag: 'sources', summary: 'Get a source', access: 'admin', params: id, responses: { 200: { description: 'The source', schema: sourceShape }, 401: unauthorized, 404: notFound } },
  { method: 'get', path: '/v1/sources', tag: 'sources', summary: 'List sources', access: 'admin', responses: { 200: { description: 'All sources', schema: sourceListShape }, 401: unauthorized } },
  { method: 'delete', path: '/v1/sources/:id', tag: 'sources', summary: 'Delete a source', access: 'admin', params: id, responses: { 204: { description: 'Deleted' }, 401: unauthorized, 404: notFound } },

  {
    method: 'put',
    path: '/v1/accounts/:id',
    tag: 'accounts',
    summary: 'Create or replace an account and its postback templates',
    description:
      'Each `url` (or event entry) is one template or a list (fan-out). Unknown macros, non-URLs and hosts that are literal blocked addresses ' +
      'are rejected naming the path; a template without a click-id macro is accepted with a warning. ' +
      'Where a template goes, `{"preset":"…","base_url":"…"}` may be given instead and is stored as the rendered template. ' +
      'Status rules: `postback`, each offer and each event entry (long form `{"url":…,"statuses":[…],"status_map":{…}}`) may list the ' +
      '`statuses` that fire and a `status_map` for `{status}`; an event entry without its own takes those of the level it sits in. ' +
      'The first level that matches the offer and event decides: when its statuses exclude the conversion\'s status, the conversion ' +
      'is recorded as `suppressed` with the reason, and no later level fires instead.',
    access: 'admin',
    params: id,
    body: { schema: accountInputSchema },
    responses: {
      200: { description: 'Replaced', schema: accountShape },
      201: { description: 'Created', schema: accountShape },
      400: invalid,
      401: unauthorized,
    },
  },
  { method: 'get', path: '/v1/accounts/:id', tag: 'accounts', summary: 'Get an account', access: 'admin', params: id, responses: { 200: { description: 'The account', schema: accountShape.omit({ warnings: true }) }, 401: unauthorized, 404: notFound } },
  { method: 'get', path: '/v1/accounts', tag: 'accounts', summary: 'List accounts', access: 'admin', responses: { 200: { description: 'All accounts', schema: accountListShape }, 401: unauthorized } },
  { method: 'delete', path: '/v1/accounts/:id', tag: 'accounts', summary: 'Delete an account', access: 'admin', params: id, responses: { 204: { description: 'Deleted' }, 401: unauthorized, 404: notFound } },
  {
    method: 'post',
    path: '/v1/accounts/:id/test',
    tag: 'accounts',
    summary: 'Render the template that would apply and, unless dry_run, fire it now',
    description: 'Answers the `level` that matched, the rendered `url` and, when fired, the `response` (status, latency_ms, body).',
    access: 'admin',
    params: id,
    body: { schema: testPostbackInputSchema, required: false },
    responses: { 200: { description: 'The rendered template and, when fired, the response' }, 400: invalid, 401: unauthorized, 404: notFound },
  },
  { method: 'get', path: '/v1/accounts/:id/tests', tag: 'accounts', summary: 'Recent test postbacks of an account', access: 'admin', params: id, responses: { 200: { description: 'The recent tests, newest first' }, 401: unauthorized } },

  {
    method: 'get',
    path: '/v1/conversions/:id',
    tag: 'conversions',
    summary: 'A conversion, its state, and its deliveries with every attempt',
    description:
      'A status change (same source, click, event and conversion/order id, another status) is a conversion of its own, ' +
      'linked to the report before it by `previous_id`, with the whole chain in `status_history`.',
    access: 'admin',
    params: { id: { schema: z.string(), description: 'the id the receiver answered with' } },
    responses: { 200: { description: 'The conversion', schema: conversionShape }, 401: unauthorized, 404: notFound },
  },
  {
    method: 'get',
    path: '/v1/conversions',
    tag: 'conversions',
    summary: 'List conversions that were kept but not delivered (unattributed, suppressed, no_postback)',
    access: 'admin',
    query: conversionListQuerySchema,
    responses: { 200: { description: 'One page: `conversions` and `next_cursor`' }, 400: invalid, 401: unauthorized },
  },
  {
    method: 'post',
    path: '/v1/conversions/:id/attribute',
    tag: 'conversions',
    summary: 'Attribute an unattributed conversion to an account and hand it to the worker again',
    access: 'admin',
    params: { id: { schema: z.string(), description: 'the conversion id' } },
    body: { schema: attributeInputSchema },
    responses: {
      202: { description: 'Requeued' },
      400: invalid,
      401: unauthorized,
      404: notFound,
      409: { description: 'Not unattributed, or still queued', schema: errorShape },
    },
  },
  {
    method: 'get',
    path: '/v1/deliveries',
    tag: 'deliveries',
    summary: 'List deliveries by state, newest first',
    access: 'admin',
    query: deliveryListQuerySchema,
    responses: { 200: { description: 'One page', schema: deliveryPageShape }, 400: invalid, 401: unauthorized },
  },
  {
    method: 'post',
    path: '/v1/deliveries/:id/retry',
    tag: 'deliveries',
    summary: 'Redrive one failed delivery now, with a fresh retry schedule',
    access: 'admin',
    params: { id: { schema: z.string(), description: 'the delivery id' } },
    responses: {
      202: { description: 'Requeued', schema: requeuedShape },
      401: unauthorized,
      404: notFound,
      409: { description: 'The delivery is not failed, or is being attempted right now', schema: errorShape },
    },
  },
  {
    method: 'post',
    path: '/v1/deliveries/retry',
    tag: 'deliveries',
    summary: 'Bulk redrive of failed deliveries matching a filter',
    description: 'Bounded by `limit`; `more` tells whether another call is needed. `since` is unix milliseconds or an ISO date-time.',
    access: 'admin',
    body: { schema: bulkRetrySchema, required: false },
    responses: { 202: { description: 'Requeued', schema: bulkRequeuedShape }, 400: invalid, 401: unauthorized },
  },

  { method: 'get', path: '/v1/hosts', tag: 'hosts', summary: 'Tracker hosts: in-flight and parked deliveries, circuit state, pause, last error', access: 'admin', responses: { 200: { description: '`hosts`, one entry per tracker host' }, 401: unauthorized } },
  { method: 'get', path: '/v1/hosts/:host', tag: 'hosts', summary: 'One tracker host', access: 'admin', params: host, responses: { 200: { description: 'The host' }, 400: invalid, 401: unauthorized, 404: notFound } },
  { method: 'post', path: '/v1/hosts/:host/pause', tag: 'hosts', summary: 'Pause deliveries to a host (they wait, parked, and stay redrivable)', access: 'admin', params: host, responses: { 200: { description: 'The host, paused' }, 400: invalid, 401: unauthorized, 404: notFound } },
  { method: 'post', path: '/v1/hosts/:host/resume', tag: 'hosts', summary: 'Resume deliveries to a paused host', access: 'admin', params: host, responses: { 200: { description: 'The host, resumed' }, 400: invalid, 401: unauthorized, 404: notFound } },
  { method: 'get', path: '/v1/changes', tag: 'changes', summary: 'Admin change history, newest first: at, token kind, method, path, the object before and after (secrets redacted)', access: 'admin', query: changesQuerySchema, responses: { 200: { description: '`changes` and, when there are more, `next_cursor`' }, 400: invalid, 401: unauthorized } },

  {
    method: 'put',
    path: '/v1/offers/:id',
    tag: 'tracking',
    summary: 'Create or replace the landing page of a tracking link',
    description: 'The URL may use `{transaction_id}` and `{sub1}`…`{sub5}`.',
    access: 'admin',
    params: { id: { schema: idSchema, description: 'the offer id' } },
    body: { schema: offerInputSchema },
    responses: { 200: { description: 'Replaced' }, 201: { description: 'Created' }, 400: invalid, 401: unauthorized },
  },
  { method: 'get', path: '/v1/offers/:id', tag: 'tracking', summary: 'Get an offer', access: 'admin', params: { id: { schema: idSchema } }, responses: { 200: { description: 'The offer' }, 401: unauthorized, 404: notFound } },
  { method: 'get', path: '/v1/offers', tag: 'tracking', summary: 'List offers', access: 'admin', responses: { 200: { description: 'All offers' }, 401: unauthorized } },
  { method: 'delete', path: '/v1/offers/:id', tag: 'tracking', summary: 'Delete an offer', access: 'admin', params: { id: { schema: idSchema } }, responses: { 204: { description: 'Deleted' }, 401: unauthorized, 404: notFound } },
  {
    method: 'get',
    path: '/click/:offer_id',
    tag: 'tracking',
    summary: 'Tracking link: register a click and redirect to the offer',
    description:
      'Issues a `transaction_id`, keeps the click (account, offer, `sub1`…`sub5` from the query) for the attribution window, ' +
      "and answers 302 to the offer's URL with the macros substituted.",
    access: 'public',
    params: { offer_id: { schema: idSchema } },
    responses: { 302: { description: "Redirect to the offer's landing page" }, 400: invalid, 404: { description: 'Unknown offer', schema: errorShape } },
  },

  { method: 'get', path: '/healthz', tag: 'health', summary: 'The process is up', access: 'public', responses: { 200: { description: 'Up', schema: healthShape } } },
  {
    method: 'get',
    path: '/readyz',
    tag: 'health',
    summary: 'Redis is reachable',
    access: 'public',
    responses: { 200: { description: 'Ready', schema: readyShape }, 503: { description: 'Redis unreachable', schema: readyShape } },
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'health',
    summary: 'Prometheus metrics',
    access: 'public',
    responses: { 200: { description: 'Prometheus text exposition format', contentType: 'text/plain; version=0.0.4' } },
  },
];

export const relayApiInfo = {
  title: 'postback-relay',
  // The API's version (its paths are /v1/…), not the package's.
  version: 'v1',
  description:
    'Queue-backed relay for server-to-server conversion postbacks: the receiver sources report to, and the admin API ' +
    '(Authorization: Bearer $ADMIN_TOKEN) for sources, accounts, conversions and deliveries.',
};
