import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../errors.js';

/** Which credential a request was authenticated with: the admin token may do everything, the viewer only read. */
export type TokenKind = 'admin' | 'viewer';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireToken` for every request it lets through; undefined outside guarded scopes. */
    tokenKind?: TokenKind;
  }
}

/**
 * Where a request's credential comes from: the bearer header today, a
 * console session cookie later. Answers the kind it proves, or undefined when
 * it carries no valid credential of this source.
 */
export type CredentialSource = (request: FastifyRequest) => TokenKind | undefined | Promise<TokenKind | undefined>;

/** Methods that only read; everything else is a mutation the viewer may not make. */
export const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The token of an `Authorization: Bearer …` header (scheme case-insensitive, RFC 9110 §11.1), or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = authorization ? /^bearer[ \t]+(.*)$/i.exec(authorization) : null;
  return match?.[1]?.trim();
}

export interface Tokens {
  admin: string;
  viewer?: string;
}

/**
 * Which kind a presented token is, compared in constant time: digests of
 * equal length are compared, and both tokens are always compared, so neither
 * a token's content, its length, nor which of the two matched leaks through
 * timing. Empty never matches; a viewer token equal to the admin token is the admin's.
 */
export function tokenMatcher(tokens: Tokens): (presented: string) => TokenKind | undefined {
  const digest = (text: string): Buffer => hash('sha256', text, 'buffer');
  const admin = tokens.admin === '' ? undefined : digest(tokens.admin);
  const viewer = tokens.viewer ? digest(tokens.viewer) : undefined;
  const none = digest('');
  return (presented) => {
    const actual = digest(presented);
    const isAdmin = timingSafeEqual(actual, admin ?? none) && admin !== undefined;
    const isViewer = timingSafeEqual(actual, viewer ?? none) && viewer !== undefined;
    if (presented === '') return undefined;
    return isAdmin ? 'admin' : isViewer ? 'viewer' : undefined;
  };
}

/** The `Authorization: Bearer` header as a credential source. */
export function bearerCredential(tokens: Tokens): CredentialSource {
  const match = tokenMatcher(tokens);
  return (request) => match(bearerToken(request.headers.authorization) ?? '');
}

/**
 * Every route registered in `app` after this needs a credential from one of
 * `sources` (tried in order; the first that proves a kind wins): none is 401,
 * the viewer's on a mutation is 403. The kind is left on `request.tokenKind`
 * for the change log.
 */
export function requireToken(app: FastifyInstance, sources: readonly CredentialSource[]): GuardedRoutes {
  const routes: GuardedRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  if (!app.hasRequestDecorator('tokenKind')) app.decorateRequest('tokenKind', undefined);
  app.addHook('onRequest', async (request) => {
    let kind: TokenKind | undefined;
    for (const source of sources) {
      kind = await source(request);
      if (kind) break;
    }
    if (!kind) throw new UnauthorizedError();
    if (kind === 'viewer' && !READ_METHODS.has(request.method)) {
      throw new ForbiddenError('the viewer token may only read');
    }
    request.tokenKind = kind;
  });
  return { routes: () => [...routes] };
}

export interface GuardedRoute {
  method: string;
  /** The route pattern, e.g. `/v1/sources/:id`. */
  url: string;
}

/** The routes a guard protects, registered after it; lets a test cover every route, including ones added later. */
export interface GuardedRoutes {
  routes(): GuardedRoute[];
}
