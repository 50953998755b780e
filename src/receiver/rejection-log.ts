import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { SourceConfig } from '../domain/source.js';
import type { RelayMetrics } from '../health/metrics.js';
import type { RecordStore } from '../store/record-store.js';
import type { NewRejection, RejectionStore } from '../store/rejections.js';
import { redactRequestTarget } from '../audit/redact-url.js';

export interface RejectionLogDeps {
  store: Pick<RejectionStore, 'record'>;
  sources: Pick<RecordStore<SourceConfig>, 'get'>;
  metrics: RelayMetrics;
  /** For what could not be kept; the refusal itself is logged by the request log (src/http/request-log.ts). */
  logger: Pick<FastifyBaseLogger, 'warn'>;
  /** Most records on their way to Redis at once; more are counted but not kept (default 256). */
  maxInFlight?: number;
  /** At most one warning about records not kept per this many ms (default 10 s). */
  warnEveryMs?: number;
  now?: () => number;
}

const MAX_SOURCE = 128;
const MAX_QUERY = 2_048;

/** What an error answer says, as the error handler wrote it. */
interface ErrorAnswer {
  error?: unknown;
  message?: unknown;
  details?: unknown;
}

/**
 * Keeps every refused postback where an operator can see it: "why did the
 * network's postback not arrive?" must not need server access. Recording
 * is best effort and never changes the answer: a refusal stays a refusal,
 * also when Redis cannot take the record (then only the log has it).
 */
export function createRejectionLog(deps: RejectionLogDeps) {
  const maxInFlight = deps.maxInFlight ?? 256;
  const warnEveryMs = deps.warnEveryMs ?? 10_000;
  const now = deps.now ?? Date.now;
  let inFlight = 0;
  // Refusals come in floods (a scan, a sender with a wrong key, Redis away):
  // one warning per period with a count, not one line per refused request.
  let notKept = 0;
  let lastWarnAt = Number.NEGATIVE_INFINITY;
  function couldNotKeep(error?: unknown): void {
    notKept++;
    const at = now();
    if (at - lastWarnAt < warnEveryMs) return;
    lastWarnAt = at;
    deps.logger.warn(
      { ...(error !== undefined ? { err: error } : {}), notKept },
      'refused postbacks not kept in the rejection log',
    );
    notKept = 0;
  }

  async function keep(rejection: Omit<NewRejection, 'known_source'>, store: boolean): Promise<void> {
    // The route has just looked the name up, so this is the source cache's answer (misses are cached too).
    const known = rejection.source !== '' && Boolean(await deps.sources.get(rejection.source).catch(() => null));
    // An attacker picks the names of unknown sources: they must not become label values.
    deps.metrics.postbacksRejected.inc({ source: known ? rejection.source : 'unknown', reason: rejection.error });
    if (store) await deps.store.record({ ...rejection, known_source: known });
  }

  /**
   * Best effort and bounded: when Redis is slow, records waiting for it must
   * not pile up in memory under a flood of refusals. Past the bound a
   * refusal is still counted in the metric but not kept.
   */
  function record(rejection: Omit<NewRejection, 'known_source'>): void {
    const store = inFlight < maxInFlight;
    if (store) inFlight++;
    else couldNotKeep();
    keep(rejection, store)
      .catch((error: unknown) => couldNotKeep(error))
      .finally(() => {
        if (store) inFlight--;
      });
  }

  /** An onSend hook for the postback routes: an answer of 400 or more is a rejection. */
  function onSend(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    done: (error: null, payload: unknown) => void,
  ): void {
    // Whatever goes wrong here, the refusal is sent as it was: keeping it must never make it a 500.
    try {
      if (reply.statusCode >= 400) record(describe(request, reply.statusCode, payload));
    } catch (error) {
      couldNotKeep(error);
    }
    done(null, payload);
  }

  /**
   * A request cut off by Node before Fastify saw it (its headers or body
   * came too slowly): only the caller's address is known.
   */
  function recordTimeout(ip: string): void {
    record({
      at: new Date().toISOString(),
      source: '',
      ip,
      method: '',
      status: 408,
      error: 'request_timeout',
      fields: [],
      query: '',
    });
  }

  return { onSend, recordTimeout };
}

export type RejectionLog = ReturnType<typeof createRejectionLog>;

/** A refused request as it is kept: bounded in size whatever the sender sent. */
export function describe(
  request: Pick<FastifyRequest, 'params' | 'url' | 'ip' | 'method'>,
  status: number,
  payload: unknown,
): Omit<NewRejection, 'known_source'> {
  const answer = parseAnswer(payload);
  const params = request.params as { source?: unknown } | undefined;
  const source = typeof params?.source === 'string' ? params.source : '';
  const target = redactRequestTarget(request.url);
  const queryAt = target.indexOf('?');
  const details: unknown[] = Array.isArray(answer.details) ? (answer.details as unknown[]) : [];
  return {
    at: new Date().toISOString(),
    source: source.slice(0, MAX_SOURCE),
    ip: request.ip,
    method: request.method,
    status,
    error: typeof answer.error === 'string' ? answer.error.slice(0, 64) : `http_${status}`,
    ...(typeof answer.message === 'string' ? { message: answer.message.slice(0, 512) } : {}),
    fields: details
      .flatMap((detail) => {
        const path = typeof detail === 'object' && detail !== null ? (detail as { path?: unknown }).path : undefined;
        return typeof path === 'string' ? [path.slice(0, 64)] : [];
      })
      .slice(0, 32),
    query: queryAt < 0 ? '' : target.slice(queryAt + 1, queryAt + 1 + MAX_QUERY),
  };
}

function parseAnswer(payload: unknown): ErrorAnswer {
  if (typeof payload !== 'string' || !payload.startsWith('{')) return {};
  try {
    const parsed: unknown = JSON.parse(payload);
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}
