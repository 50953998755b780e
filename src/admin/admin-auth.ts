import type { FastifyInstance } from 'fastify';
import {
  bearerCredential,
  requireToken,
  tokenMatcher,
  type CredentialSource,
  type GuardedRoute,
  type GuardedRoutes,
} from '../auth/token-auth.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The routes behind the admin and viewer tokens (method and pattern); empty on a worker. */
    adminRoutes?: () => GuardedRoute[];
  }
}

/**
 * Compares a presented token with the admin token in constant time (digests
 * of equal length, so neither content nor length leaks). Empty never matches.
 */
export function adminTokenMatcher(adminToken: string): (presented: string) => boolean {
  const match = tokenMatcher({ admin: adminToken });
  return (presented) => match(presented) === 'admin';
}

export interface AdminAuthOptions {
  adminToken: string;
  /** VIEWER_TOKEN: may read (every GET), never change. */
  viewerToken?: string;
  /** Further credentials tried after the bearer header (e.g. a console session). */
  extraSources?: readonly CredentialSource[];
}

/**
 * Every route registered in `app` after this requires `Authorization: Bearer`
 * with the admin token, or the viewer token for reads (403 on a mutation).
 */
export function requireAdminAccess(app: FastifyInstance, options: AdminAuthOptions): GuardedRoutes {
  const tokens = { admin: options.adminToken, ...(options.viewerToken ? { viewer: options.viewerToken } : {}) };
  return requireToken(app, [bearerCredential(tokens), ...(options.extraSources ?? [])]);
}
