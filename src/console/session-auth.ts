import { hash, timingSafeEqual } from 'node:crypto';
import { READ_METHODS, type CredentialSource } from '../auth/token-auth.js';
import { CsrfError } from '../errors.js';
import type { ConsoleSession, SessionStore } from './session-store.js';
import type { FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'relay_console';
export const CSRF_HEADER = 'x-csrf-token';

/**
 * The console session cookie as a credential for the admin API, tried after
 * the bearer header. A mutation it authenticates must also carry the
 * session's CSRF token in `X-CSRF-Token`: a page of another site can make
 * the browser send the cookie (SameSite aside), never read the token.
 */
export function sessionCredential(sessions: SessionStore): CredentialSource {
  return async (request) => {
    const id = request.cookies[SESSION_COOKIE];
    if (!id) return undefined;
    const session = await sessions.get(id);
    if (!session) return undefined;
    if (!READ_METHODS.has(request.method) && !carriesCsrfToken(request, session)) throw new CsrfError();
    return session.kind;
  };
}

/** Whether the request's `X-CSRF-Token` is the session's (compared in constant time). */
export function carriesCsrfToken(request: FastifyRequest, session: ConsoleSession): boolean {
  const presented = request.headers[CSRF_HEADER];
  return typeof presented === 'string' && sameSecret(presented, session.csrf);
}

function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(hash('sha256', presented, 'buffer'), hash('sha256', expected, 'buffer'));
}
