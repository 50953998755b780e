import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';

/** Route prefixes that are not part of the API: the docs themselves and the console's pages. */
export const NOT_API_PREFIXES = ['/docs', '/console'] as const;

const isNotApi = (url: string) => NOT_API_PREFIXES.some((prefix) => url === prefix || url.startsWith(`${prefix}/`));

export const API_TAGS = [
  { name: 'receiver', description: 'Where sources report conversions (a source key, no admin token).' },
  { name: 'sources', description: 'Who sends conversions in: key, IP allow-list, parameter names.' },
  { name: 'accounts', description: 'Who receives pings: global, per-event and per-offer postback templates.' },
  { name: 'conversions', description: 'Inbound reports and what became of them.' },
  { name: 'deliveries', description: 'One conversion × one URL, its attempts, and redrive.' },
  { name: 'hosts', description: 'Tracker hosts: circuit, pause, resume.' },
  { name: 'changes', description: 'Who changed what, when: the admin change history.' },
  { name: 'tracking', description: 'Tracking links: offers and clicks.' },
  { name: 'health', description: 'Probes and metrics (no token).' },
];

export interface OpenApiOptions {
  /** The relay's public base URL (PUBLIC_URL); without it the document's server is relative to where it was fetched. */
  publicUrl?: string | undefined;
}

/**
 * Registers @fastify/swagger, which collects every route registered after
 * it and generates an OpenAPI 3.1 document from the routes' zod schemas
 * (`app.swagger()`, served at /docs/openapi.json). Call before any route.
 */
export async function registerOpenApi(app: FastifyInstance, options: OpenApiOptions = {}): Promise<void> {
  const zodTransform = createJsonSchemaTransform({});
  const zodComponents = createJsonSchemaTransformObject({});
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'postback-relay',
        // The API's version (its paths are /v1/…), not the package's.
        version: 'v1',
        description:
          'Queue-backed relay for server-to-server conversion postbacks: the receiver sources report to, tracking links, ' +
          'and the admin API for sources, accounts, conversions, deliveries and tracker hosts. Generated from the routes’ own schemas.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: options.publicUrl ?? '/', description: options.publicUrl ? 'PUBLIC_URL' : 'this relay' }],
      tags: API_TAGS,
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN: may do everything.' },
          viewerToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'VIEWER_TOKEN: may only read (every GET); a change answers 403.',
          },
          sourceKey: { type: 'apiKey', in: 'query', name: 'key', description: "The source's key in the query string." },
          sourceKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Relay-Key', description: "The source's key in a header." },
          sourceKeyBearer: { type: 'http', scheme: 'bearer', description: "The source's key as a bearer token." },
        },
      },
    },
    transform: (route) => {
      if (isNotApi(route.url)) return { schema: { ...route.schema, hide: true }, url: route.url };
      const transformed = zodTransform(route);
      // Generated clients name their methods after operationIds: derive a stable one from the route.
      const method = route.route.method;
      if (typeof method === 'string' && transformed.schema && !transformed.schema.operationId) {
        transformed.schema = { ...transformed.schema, operationId: operationIdOf(method, route.url) };
      }
      return transformed;
    },
    // Shapes given an `id` (`.meta({ id: 'Account' })`) become named components, which generated
    // clients turn into named types; the provider emits an input and an output form of each.
    transformObject: (document) => withoutUnusedSchemas(zodComponents(document) as Record<string, unknown>),
  });
}

/** `GET /v1/accounts/:id/tests` -> `getV1AccountsIdTests`. */
export function operationIdOf(method: string, url: string): string {
  const words = url.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method.toLowerCase() + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

/** Drops component schemas nothing refers to (the provider emits both an input and an output form of each). */
function withoutUnusedSchemas<T extends Record<string, unknown>>(document: T): T {
  const components = document.components as { schemas?: Record<string, unknown> } | undefined;
  const schemas = components?.schemas;
  if (!schemas) return document;
  const used = new Set<string>();
  const visit = (value: unknown): void => {
    const text = JSON.stringify(value);
    for (const match of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      const name = match[1]!;
      if (!used.has(name) && schemas[name] !== undefined) {
        used.add(name);
        visit(schemas[name]);
      }
    }
  };
  visit({ ...document, components: { ...components, schemas: {} } });
  return {
    ...document,
    components: { ...components, schemas: Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name))) },
  };
}
