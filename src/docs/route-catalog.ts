import type { FastifyInstance } from 'fastify';
import type { HttpMethod, RegisteredRoute } from './openapi.js';

const DOCUMENTED_METHODS = new Set<string>(['get', 'put', 'post', 'delete']);

/**
 * Records every route the app registers from now on, so the API document
 * lists routes nobody described yet instead of silently leaving them out.
 * Must be called before routes are added (Fastify only reports later ones).
 * Routes marked `schema.hide` (the docs and dashboard themselves) are skipped.
 */
export function catalogRoutes(app: FastifyInstance): { routes(): RegisteredRoute[] } {
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    if ((route.schema as { hide?: boolean } | undefined)?.hide) return;
    for (const method of [route.method].flat()) {
      const lower = method.toLowerCase();
      if (DOCUMENTED_METHODS.has(lower)) routes.push({ method: lower as HttpMethod, path: route.url });
    }
  });
  return { routes: () => [...routes] };
}
