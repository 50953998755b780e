import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { UnauthorizedError } from '../errors.js';

/**
 * Compares a presented token with the admin token in constant time (digests
 * of equal length, so neither content nor length leaks). Empty never matches.
 */
export function adminTokenMatcher(adminToken: string): (presented: string) => boolean {
  const expected = createHash('sha256').update(adminToken).digest();
  return (presented) => presented !== '' && timingSafeEqual(expected, createHash('sha256').update(presented).digest());
}

/** Every route registered in `app` after this requires `Authorization: Bearer <admin token>`. */
export function requireAdminToken(app: FastifyInstance, adminToken: string): void {
  const matches = adminTokenMatcher(adminToken);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
    if (!matches(presented)) throw new UnauthorizedError();
  });
}
