import { z } from 'zod';

export type HttpMethod = 'get' | 'put' | 'post' | 'delete';

/** Who may call an operation; each maps to the security schemes of the document. */
export type OperationAccess = 'admin' | 'source' | 'public';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json when a schema is given. */
  contentType?: string;
}

/**
 * One route as the document describes it. Request parts point at the zod
 * schemas the handlers validate with, so the document cannot drift from
 * what is actually accepted.
 */
export interface OperationSpec {
  method: HttpMethod;
  /** Fastify-style path, `/v1/accounts/:id`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: OperationAccess;
  /** Path parameters by name; a `:name` without an entry is documented as a plain string. */
  params?: Record<string, { schema: z.ZodType; description?: string }>;
  /** An object schema whose properties are the query parameters. */
  query?: z.ZodType;
  /** Extra words per query parameter (e.g. the alias names the receiver also reads). */
  queryDescriptions?: Record<string, string>;
  body?: { schema: z.ZodType; contentTypes?: string[]; required?: boolean };
  responses: Record<number, ResponseSpec>;
}

/** A route the app serves, as seen when it was registered. */
export interface RegisteredRoute {
  method: HttpMethod;
  path: string;
}

export interface DocumentInfo {
  title: string;
  version: string;
  description?: string;
}

type JsonSchema = Record<string, unknown>;
type JsonObject = Record<string, unknown>;

/**
 * Requests are described as the caller writes them (`io: input`: a field
 * with a default is optional); responses as the relay writes them. Refinements
 * and transforms have no JSON Schema form and are left out rather than failing.
 */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function pathParamNames(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1]!);
}

const SECURITY: Record<OperationAccess, Array<Record<string, string[]>>> = {
  admin: [{ adminToken: [] }],
  // Any one of the three ways the receiver accepts a source key.
  source: [{ sourceKeyQuery: [] }, { sourceKeyHeader: [] }, { sourceKeyBearer: [] }],
  public: [],
};

function parametersOf(spec: OperationSpec): JsonObject[] {
  const parameters: JsonObject[] = pathParamNames(spec.path).map((name) => {
    const param = spec.params?.[name];
    return {
      name,
      in: 'path',
      required: true,
      schema: param ? toJsonSchema(param.schema, 'input') : { type: 'string' },
      ...(param?.description ? { description: param.description } : {}),
    };
  });
  if (spec.query) {
    const object = toJsonSchema(spec.query, 'input');
    const required = new Set((object.required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((object.properties as Record<string, JsonSchema> | undefined) ?? {})) {
      const description = spec.queryDescriptions?.[name];
      parameters.push({ name, in: 'query', required: required.has(name), schema, ...(description ? { description } : {}) });
    }
  }
  return parameters;
}

function responsesOf(spec: OperationSpec): JsonObject {
  const out: JsonObject = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    out[status] = {
      description: response.description,
      ...(response.schema
        ? { content: { [response.contentType ?? 'application/json']: { schema: toJsonSchema(response.schema, 'output') } } }
        : response.contentType
          ? { content: { [response.contentType]: { schema: { type: 'string' } } } }
          : {}),
    };
  }
  return out;
}

function operationOf(spec: OperationSpec): JsonObject {
  const parameters = parametersOf(spec);
  return {
    operationId: `${spec.method}${toOpenApiPath(spec.path).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    tags: [spec.tag],
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    security: SECURITY[spec.access],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(spec.body
      ? {
          requestBody: {
            required: spec.body.required ?? true,
            content: Object.fromEntries(
              (spec.body.contentTypes ?? ['application/json']).map((type) => [type, { schema: toJsonSchema(spec.body!.schema, 'input') }]),
            ),
          },
        }
      : {}),
    responses: responsesOf(spec),
  };
}

/**
 * Builds the OpenAPI 3 document. Every registered route is listed: one the
 * operation table does not describe still appears (marked
 * `x-undocumented`), so a new route is visible in the document at once and
 * the gap is easy to spot.
 */
export function buildOpenApiDocument(
  info: DocumentInfo,
  operations: readonly OperationSpec[],
  registered: readonly RegisteredRoute[] = [],
): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  const tags: string[] = [];
  const add = (method: HttpMethod, path: string, operation: JsonObject) => {
    const item = (paths[toOpenApiPath(path)] ??= {});
    item[method] = operation;
  };
  for (const spec of operations) {
    if (!tags.includes(spec.tag)) tags.push(spec.tag);
    add(spec.method, spec.path, operationOf(spec));
  }
  for (const route of registered) {
    if (paths[toOpenApiPath(route.path)]?.[route.method]) continue;
    if (!tags.includes('other')) tags.push('other');
    add(route.method, route.path, {
      ...operationOf({ method: route.method, path: route.path, tag: 'other', summary: 'Not described yet', access: 'public', responses: {} }),
      security: undefined,
      responses: { default: { description: 'Not described in the operation table yet.' } },
      'x-undocumented': true,
    });
  }
  return {
    openapi: '3.0.3',
    info,
    tags: tags.map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
        sourceKeyQuery: { type: 'apiKey', in: 'query', name: 'key', description: "The source's key." },
        sourceKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Relay-Key', description: "The source's key." },
        sourceKeyBearer: { type: 'http', scheme: 'bearer', description: "The source's key as a bearer token." },
      },
    },
  };
}
