import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Logger } from 'pino';
import { redactRequestTarget } from '../audit/redact-url.js';

type ResponseHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Request logging by kind of route, instead of Fastify's line per request
 * (off: a line per postback would cost more than handling it):
 *  - every admin API request (`/v1/…`) at info: method, path, status, ms and
 *    the kind of token that was presented (`admin`, `viewer`; absent when
 *    none was accepted);
 *  - postbacks at debug, and refused ones (status 4xx/5xx) at info with the
 *    error code of the answer, both with secret query values (the source
 *    `key`) redacted from the path.
 * Hooks go on the matching routes only, so other routes pay nothing. Call
 * before any route is registered.
 */
export function logRequests(app: FastifyInstance, logger: Logger): void {
  const logPostback = postbackLogger(logger);
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/v1/')) addResponseHook(route, logAdminRequest);
    else if (route.url.startsWith('/postback/')) {
      addHook(route, 'onSend', keepErrorCode);
      addResponseHook(route, logPostback);
    }
  });
}

const errorCodes = new WeakMap<FastifyRequest, string>();

const logAdminRequest: ResponseHook = async (request, reply) => {
  request.log.info(
    {
      method: request.method,
      path: redactRequestTarget(request.url),
      status: reply.statusCode,
      ms: roundMs(reply.elapsedTime),
      token: request.tokenKind,
    },
    'admin request',
  );
};

const postbackLogger =
  (logger: Logger): ResponseHook =>
  async (request, reply) => {
    const status = reply.statusCode;
    if (status < 400) {
      if (!logger.isLevelEnabled('debug')) return;
      request.log.debug(
        { method: request.method, path: redactRequestTarget(request.url), status, ms: roundMs(reply.elapsedTime) },
        'postback',
      );
      return;
    }
    request.log.info(
      {
        method: request.method,
        path: redactRequestTarget(request.url),
        status,
        error: errorCodes.get(request),
        ms: roundMs(reply.elapsedTime),
      },
      'postback refused',
    );
  };

/** The `error` code of a refused postback's JSON answer, for its log line. */
async function keepErrorCode(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (reply.statusCode >= 400 && typeof payload === 'string') {
    try {
      const code = (JSON.parse(payload) as { error?: unknown }).error;
      if (typeof code === 'string') errorCodes.set(request, code);
    } catch {
      // Not JSON: the status says enough.
    }
  }
  return payload;
}

function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function addResponseHook(route: RouteOptions, hook: ResponseHook): void {
  addHook(route, 'onResponse', hook);
}

function addHook(route: RouteOptions, name: 'onResponse' | 'onSend', hook: unknown): void {
  const existing = route[name] as unknown;
  const hooks: unknown[] = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
  (route as unknown as Record<string, unknown>)[name] = [...hooks, hook];
}
