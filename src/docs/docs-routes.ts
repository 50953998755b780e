import type { FastifyInstance, FastifySchema } from 'fastify';
import { buildOpenApiDocument, type DocumentInfo, type OperationSpec, type RegisteredRoute } from './openapi.js';
import { renderDocsPage } from './docs-page.js';

export interface DocsRoutesDeps {
  info: DocumentInfo;
  operations: readonly OperationSpec[];
  /** Every route the app registered, read on first request (all are registered by then). */
  registeredRoutes: () => RegisteredRoute[];
}

const JSON_PATH = '/docs/openapi.json';

/** `/docs/openapi.json` and a browsable `/docs`: public, like any API reference. */
export function registerDocsRoutes(app: FastifyInstance, deps: DocsRoutesDeps): void {
  let document: Record<string, unknown> | undefined;
  let page: string | undefined;
  // Built once: the routes and schemas cannot change while the process runs.
  const documentNow = () => (document ??= buildOpenApiDocument(deps.info, deps.operations, deps.registeredRoutes()));
  // `schema.hide` is the convention Bull Board's routes use too; the route catalog skips these.
  const hidden = { schema: { hide: true } as FastifySchema };

  app.get(JSON_PATH, hidden, async () => documentNow());
  app.get('/docs', hidden, async (_request, reply) => {
    page ??= renderDocsPage(documentNow(), JSON_PATH);
    return reply.type('text/html; charset=utf-8').send(page);
  });
}
