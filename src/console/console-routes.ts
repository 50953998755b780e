import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tokenMatcher, type Tokens } from '../auth/token-auth.js';
import { CsrfError, TooManyRequestsError, UnauthorizedError, ValidationError } from '../errors.js';
import { carriesCsrfToken, SESSION_COOKIE } from './session-auth.js';
import type { SessionStore } from './session-store.js';
import { loadConsoleFiles } from './static-files.js';

export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export interface ConsoleDeps {
  tokens: Tokens;
  sessions: SessionStore;
  sessionTtlMs: number;
  /** Counts a sign-in attempt from `ip`; refused past the limit. */
  signInAllowed: (ip: string) => Promise<{ allowed: true } | { allowed: false; retryAfterS: number }>;
}

/**
 * The operator console: one HTML page and its ES modules (no build step),
 * and the session it signs in to. Everything it shows comes from the admin
 * API, which accepts the session cookie (see session-auth.ts).
 */
export async function registerConsole(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const files = loadConsoleFiles();
  const match = tokenMatcher(deps.tokens);
  const page = files.get('static/index.html')!;

  await app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply) => {
      void reply.header('content-security-policy', CONSOLE_CSP);
      void reply.header('x-content-type-options', 'nosniff');
      void reply.header('referrer-policy', 'no-referrer');
      void reply.header('x-frame-options', 'DENY');
    });

    const sendPage = (_request: FastifyRequest, reply: FastifyReply) =>
      reply.type(page.type).header('cache-control', 'no-cache').send(page.body);
    scope.get('/console', { schema: { hide: true } }, sendPage);
    scope.get('/console/', { schema: { hide: true } }, sendPage);

    scope.get<{ Params: { '*': string } }>('/console/*', { schema: { hide: true } }, async (request, reply) => {
      const file = files.get(request.params['*']);
      if (!file) return reply.status(404).send({ error: 'not_found', message: 'no such console file' });
      return reply.type(file.type).header('cache-control', 'no-cache').send(file.body);
    });

    scope.get('/console/session', { schema: { hide: true } }, async (request, reply) => {
      const id = request.cookies[SESSION_COOKIE];
      const session = id ? await deps.sessions.get(id) : undefined;
      if (!session) throw new UnauthorizedError();
      return reply.header('cache-control', 'no-store').send({ kind: session.kind, csrf: session.csrf });
    });

    scope.post<{ Body: unknown }>('/console/session', { schema: { hide: true } }, async (request, reply) => {
      const limit = await deps.signInAllowed(request.ip);
      if (!limit.allowed) throw new TooManyRequestsError('too many sign-in attempts; try again later', limit.retryAfterS);
      const body = request.body;
      const token = typeof body === 'object' && body !== null && 'token' in body ? body.token : undefined;
      if (typeof token !== 'string' || token === '')
        throw new ValidationError('invalid_sign_in', [{ path: 'token', message: 'required' }]);
      const kind = match(token);
      if (!kind) throw new UnauthorizedError();
      const { id, session } = await deps.sessions.create(kind);
      void reply.setCookie(SESSION_COOKIE, id, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
        maxAge: Math.floor(deps.sessionTtlMs / 1000),
      });
      return reply.header('cache-control', 'no-store').send({ kind: session.kind, csrf: session.csrf });
    });

    // Signing out needs the CSRF token too, so another site cannot sign the operator out.
    scope.delete('/console/session', { schema: { hide: true } }, async (request, reply) => {
      const id = request.cookies[SESSION_COOKIE];
      const session = id ? await deps.sessions.get(id) : undefined;
      if (session && carriesCsrfToken(request, session)) await deps.sessions.delete(id!);
      else if (session) throw new CsrfError();
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send();
    });
  });
}
