import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { adminTokenMatcher } from '../admin/admin-auth.js';
import { bearerToken } from '../receiver/source-auth.js';

const REALM = 'postback-relay dashboard';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The password of HTTP basic auth (any user name), or a bearer token for scripts. */
function presentedToken(request: FastifyRequest): string {
  const header = request.headers.authorization ?? '';
  const bearer = bearerToken(header);
  if (bearer !== undefined) return bearer;
  if (!header.startsWith('Basic ')) return '';
  const decoded = Buffer.from(header.slice('Basic '.length).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? '' : decoded.slice(colon + 1);
}

/**
 * A browser remembers basic-auth credentials and sends them on any request
 * to this origin, including one a hostile page triggers. So a state-changing
 * request must come from this origin: same-origin fetches carry a matching
 * Origin (or none, for older agents), cross-site ones cannot fake it.
 */
function isCrossSite(request: FastifyRequest): boolean {
  if (SAFE_METHODS.has(request.method)) return false;
  if (request.headers['sec-fetch-site'] === 'cross-site') return true;
  const origin = request.headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}

function refuse(reply: FastifyReply, status: 401 | 403, message: string) {
  if (status === 401) reply.header('www-authenticate', `Basic realm="${REALM}", charset="UTF-8"`);
  return reply.status(status).send({ error: status === 401 ? 'unauthorized' : 'forbidden', message });
}

/**
 * Every route registered in `app` after this needs the admin token, given the
 * way a browser can: HTTP basic auth with the token as password (the browser
 * prompts on the 401 and then sends it with the dashboard's own API calls).
 * The answer is sent here rather than thrown, since the dashboard's routes
 * have an error handler of their own that would turn a throw into a 500.
 */
export function requireBoardLogin(app: FastifyInstance, adminToken: string): void {
  const matches = adminTokenMatcher(adminToken);
  app.addHook('onRequest', async (request, reply) => {
    if (!matches(presentedToken(request))) return refuse(reply, 401, 'log in with the admin token as password');
    if (isCrossSite(request)) return refuse(reply, 403, 'cross-site request refused');
  });
}
