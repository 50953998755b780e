import type { FastifyInstance } from 'fastify';
import { renderDocsPage } from './docs-page.js';

export const OPENAPI_JSON_PATH = '/docs/openapi.json';

/** `/docs/openapi.json` (generated from the route schemas) and a browsable `/docs`: public, like any API reference. */
export function registerDocsRoutes(app: FastifyInstance): void {
  let page: string | undefined;
  // The routes and their schemas cannot change once the app is ready, so both are built once.
  app.get(OPENAPI_JSON_PATH, { schema: { hide: true } }, async () => app.swagger());
  app.get('/docs', { schema: { hide: true } }, async (_request, reply) => {
    page ??= renderDocsPage(app.swagger(), OPENAPI_JSON_PATH);
    return reply.type('text/html; charset=utf-8').send(page);
  });
}
