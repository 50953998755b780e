import type { FastifyInstance } from 'fastify';
import { UnauthorizedError } from '../errors.js';
import { bearerToken, hashKey, keyMatches } from '../receiver/source-auth.js';

/**
 * Compares a presented token with the admin token in constant time (digests
 * of equal length, so neither content nor length leaks). Empty never matches.
 */
export function adminTokenMatcher(adminToken: string): (presented: string) => boolean {
  const expected = hashKey(adminToken);
  return (presented) => presented !== '' && keyMatches(presented, expected);
}

/** Every route registered in `app` after this requires `Authorization: Bearer <admin token>`. */
export function requireAdminToken(app: FastifyInstance, adminToken: string): void {
  const matches = adminTokenMatcher(adminToken);
  app.addHook('onRequest', async (request) => {
    if (!matches(bearerToken(request.headers.authorization) ?? '')) throw new UnauthorizedError();
  });
}
