import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ACCOUNT_NOT_ALLOWED, sourceMayReach, type SourceConfig } from '../domain/source.js';
import { DEFAULT_EVENT, type Conversion } from '../domain/conversion.js';
import type { RecordStore } from '../store/record-store.js';
import type { Intake } from '../queue/intake.js';
import type { RelayMetrics } from '../health/metrics.js';
import { ForbiddenError, MethodNotAllowedError, UnauthorizedError, UnavailableError, ValidationError } from '../errors.js';
import { readConversion, dedupeKey } from './index.js';
import { hasIdentity } from '../domain/conversion-identity.js';
import { inboundPlanOf } from './inbound-plan.js';
import { bearerToken, createKeyMatcher, createAllowListCache } from './source-auth.js';
import type { ClickStore } from '../tracking/click-store.js';
import { attributeFromClick, needsClickLookup, UNKNOWN_CLICK_REASON } from '../tracking/attribution.js';
import {
  getPostbackRoute,
  OTHER_POSTBACK_METHODS,
  otherMethodsPostbackRoute,
  POSTBACK_ALLOW,
  postPostbackRoute,
} from './postback-schema.js';
import { fieldsWithInvalidEscapes } from './query-escapes.js';
import type { RejectionLog } from './rejection-log.js';

export interface PostbackRouteDeps {
  sources: Pick<RecordStore<SourceConfig>, 'get'>;
  intake: Pick<Intake, 'submit'>;
  metrics: RelayMetrics;
  /** Tracking-link clicks, to attribute a conversion that carries only its transaction id. */
  clicks?: Pick<ClickStore, 'get'>;
  /** Keeps each refused postback for `GET /v1/rejections`. */
  rejectionLog?: Pick<RejectionLog, 'onSend'>;
}

type PostbackGeneric = { Params: { source: string }; Querystring: Record<string, unknown> };
type PostbackRequest = FastifyRequest<PostbackGeneric>;

/**
 * `GET|POST /postback/:source`: authenticate, normalise, and answer 200 only
 * once the conversion is in Redis. Nothing slow happens here: template
 * resolution and delivery are the worker's.
 */
export function registerPostbackRoute(app: FastifyInstance, deps: PostbackRouteDeps): void {
  const isAllowed = createAllowListCache();
  const keyMatches = createKeyMatcher();
  const handler = async (request: PostbackRequest) => {
    const raw = rawParams(request);
    const sourceId = request.params.source;
    const source = await withRedis(() => deps.sources.get(sourceId));
    const key = presentedKey(request, raw);
    if (!source || !key || !keyMatches(key, source.key_sha256)) {
      deps.metrics.conversionsReceived.inc({ outcome: 'unauthorized' });
      throw new UnauthorizedError();
    }
    if (!isAllowed(source.ip_allow, request.ip)) {
      deps.metrics.conversionsReceived.inc({ outcome: 'forbidden' });
      throw new ForbiddenError(`caller address ${request.ip} is not in the allow-list of source ${sourceId}`);
    }
    // Fastify decodes a bad escape to U+FFFD or leaves it as sent; either way the
    // value is not what the network meant, so it must not reach a tracker.
    const badEscapes = fieldsWithInvalidEscapes(request.url);
    if (badEscapes.length > 0) {
      deps.metrics.conversionsReceived.inc({ outcome: 'invalid' });
      throw new ValidationError(
        'invalid_conversion',
        badEscapes.map((field) => ({ path: field, message: 'holds a percent-escape that is not valid UTF-8' })),
      );
    }
    const parsed = readConversion(raw, inboundPlanOf(source));
    if (!parsed.ok) {
      deps.metrics.conversionsReceived.inc({ outcome: 'invalid' });
      throw new ValidationError(
        'invalid_conversion',
        parsed.errors.map((error) => ({ path: error.field, message: error.message })),
      );
    }
    const { warnings } = parsed;
    for (const warning of warnings) deps.metrics.postbackWarnings.inc({ field: warning.field });
    const requireClick = source.require_click === true;
    const click =
      deps.clicks && needsClickLookup(parsed.fields, requireClick)
        ? await withRedis(() => deps.clicks!.get(parsed.fields.click_id!))
        : null;
    // Contract precedence: the conversion's own fields, else the click's, else the source's default account.
    const fields = attributeFromClick(parsed.fields, click);
    const account = fields.account ?? source.default_account;
    const conversion: Omit<Conversion, 'id'> = {
      ...fields,
      ...(account ? { account } : {}),
      source: sourceId,
      event: fields.event ?? DEFAULT_EVENT,
      received_at: Date.now(),
      ...(warnings.length > 0 ? { warnings } : {}),
    };
    // A source must not reach an account it was not given, whatever else is wrong with the report.
    const unattributed =
      account && !sourceMayReach(source, account)
        ? ACCOUNT_NOT_ALLOWED
        : !fields.click_id
          ? parsed.noClickId
          : requireClick && !click
            ? UNKNOWN_CLICK_REASON
            : !account
              ? 'no account: the postback names none and the source has no default account'
              : undefined;
    const result = await withRedis(() =>
      deps.intake.submit(
        { conversion, ...(unattributed ? { unattributed } : {}) },
        hasIdentity(fields) ? dedupeKey(sourceId, fields) : undefined,
      ),
    );
    if (result.duplicate) {
      deps.metrics.conversionsReceived.inc({ outcome: 'duplicate' });
      return { status: 'duplicate', id: result.id, ...withWarnings(warnings) };
    }
    if (unattributed) {
      deps.metrics.conversionsReceived.inc({ outcome: 'unattributed' });
      return { status: 'unattributed', id: result.id, reason: unattributed, ...withWarnings(warnings) };
    }
    deps.metrics.conversionsReceived.inc({ outcome: 'accepted' });
    return { status: 'accepted', id: result.id, ...withWarnings(warnings) };
  };

  const unavailable = (error: unknown): never => {
    deps.metrics.conversionsReceived.inc({ outcome: 'unavailable' });
    throw new UnavailableError('queue unavailable, retry later', { cause: error });
  };
  async function withRedis<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      return unavailable(error);
    }
  }

  const hooks = deps.rejectionLog ? { onSend: deps.rejectionLog.onSend } : {};
  // No implicit HEAD: a HEAD must not run the GET's handler and create a conversion.
  app.get<PostbackGeneric>('/postback/:source', { ...getPostbackRoute, ...hooks, exposeHeadRoute: false }, handler);
  app.post<PostbackGeneric>('/postback/:source', { ...postPostbackRoute, ...hooks }, handler);
  app.route({
    method: [...OTHER_POSTBACK_METHODS],
    url: '/postback/:source',
    ...otherMethodsPostbackRoute,
    ...hooks,
    handler: () => {
      throw new MethodNotAllowedError(POSTBACK_ALLOW);
    },
  });
}

/** The answer tells the sender what was dropped, so a broken macro shows at the first test conversion. */
function withWarnings(warnings: Conversion['warnings']): { warnings?: NonNullable<Conversion['warnings']> } {
  return warnings && warnings.length > 0 ? { warnings } : {};
}

/** Query string and body together; the body wins, since a POST means it. */
function rawParams(request: PostbackRequest): Record<string, unknown> {
  const body = request.body;
  const query = request.query ?? {};
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return { ...query, ...body };
  return query;
}

function presentedKey(request: FastifyRequest, raw: Record<string, unknown>): string | undefined {
  const bearer = bearerToken(request.headers.authorization);
  if (bearer !== undefined) return bearer;
  const header = request.headers['x-relay-key'];
  if (typeof header === 'string' && header) return header;
  const fromParams = raw.key;
  if (typeof fromParams === 'string') return fromParams;
  if (Array.isArray(fromParams) && typeof fromParams[0] === 'string') return fromParams[0];
  return undefined;
}
