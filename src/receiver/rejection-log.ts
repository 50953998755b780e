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
  logger: FastifyBaseLogger;
}

const MAX_SOURCE = 128;
const MAX_QUERY = 2_048;

/** What an error answer says, as the error handler wrote it. */
interface ErrorAnswer {
  error?: unknown;
  message?: unknown;
  details?: Array<{ path?: unknown }>;
}

/**
 * Keeps every refused postback where an operator can see it: "why did the
 * network's postback not arrive?" must not need server access. Recording
 * is best effort and never changes the answer: a refusal stays a refusal,
 * also when Redis cannot take the record (then only the log has it).
 */
export function createRejectionLog(deps: RejectionLogDeps) {
  async function record(rejection: Omit<NewRejection, 'known_source'>): Promise<void> {
    const known = rejection.source !== '' && Boolean(await deps.sources.get(rejection.source).catch(() => null));
    // An attacker picks the names of unknown sources: they must not become label values.
    deps.metrics.postbacksRejected.inc({ source: known ? rejection.source : 'unknown', reason: rejection.error });
    await deps.store.record({ ...rejection, known_source: known });
  }

  /** An onSend hook for the postback routes: an answer of 400 or more is a rejection. */
  function onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void): void {
    if (reply.statusCode >= 400) {
      const answer = parseAnswer(payload);
      const params = request.params as { source?: unknown } | undefined;
      const source = typeof params?.source === 'string' ? params.source : '';
      const target = redactRequestTarget(request.url);
      const queryAt = target.indexOf('?');
      record({
        at: new Date().toISOString(),
        source: source.slice(0, MAX_SOURCE),
        ip: request.ip,
        method: request.method,
        status: reply.statusCode,
        error: typeof answer.error === 'string' ? answer.error.slice(0, 64) : `http_${reply.statusCode}`,
        ...(typeof answer.message === 'string' ? { message: answer.message.slice(0, 512) } : {}),
        fields: (answer.details ?? []).flatMap((detail) => (typeof detail.path === 'string' ? [detail.path.slice(0, 64)] : [])).slice(0, 32),
        query: queryAt < 0 ? '' : target.slice(queryAt + 1, queryAt + 1 + MAX_QUERY),
      }).catch((error: unknown) => deps.logger.warn({ err: error }, 'could not keep a refused postback'));
    }
    done(null, payload);
  }

  /**
   * A request cut off by Node before Fastify saw it (its headers or body
   * came too slowly): only the caller's address is known.
   */
  function recordTimeout(ip: string): void {
    record({ at: new Date().toISOString(), source: '', ip, method: '', status: 408, error: 'request_timeout', fields: [], query: '' }).catch(
      (error: unknown) => deps.logger.warn({ err: error }, 'could not keep a refused postback'),
    );
  }

  return { onSend, recordTimeout };
}

export type RejectionLog = ReturnType<typeof createRejectionLog>;

function parseAnswer(payload: unknown): ErrorAnswer {
  if (typeof payload !== 'string' || !payload.startsWith('{')) return {};
  try {
    const parsed: unknown = JSON.parse(payload);
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}
