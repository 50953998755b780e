import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { UnauthorizedError } from '../errors.js';

/** Every route registered in `app` after this requires `Authorization: Bearer <admin token>`. */
export function requireAdminToken(app: FastifyInstance, adminToken: string): void {
  const expected = createHash('sha256').update(adminToken).digest();
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
    const actual = createHash('sha256').update(presented).digest();
    if (!presented || !timingSafeEqual(expected, actual)) throw new UnauthorizedError();
  });
}
