import type { FastifyInstance } from 'fastify';
import {
  bearerCredential,
  requireToken,
  type CredentialSource,
  type GuardedRoute,
  type GuardedRoutes,
  type Tokens,
} from '../auth/token-auth.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The routes behind the admin and viewer tokens (method and pattern); empty on a worker. */
    adminRoutes?: () => GuardedRoute[];
  }
}

export interface AdminAuthOptions {
  /** ADMIN_TOKEN, and VIEWER_TOKEN (may read: every GET, never change). */
  tokens: Tokens;
  /** Further credentials tried after the bearer header (e.g. a console session). */
  extraSources?: readonly CredentialSource[];
}

/**
 * Every route registered in `app` after this requires `Authorization: Bearer`
 * with the admin token, or the viewer token for reads (403 on a mutation).
 */
export function requireAdminAccess(app: FastifyInstance, options: AdminAuthOptions): GuardedRoutes {
  return requireToken(app, [bearerCredential(options.tokens), ...(options.extraSources ?? [])]);
}
