import type { FastifyInstance, FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';
import { z } from 'zod';
import { ValidationError } from '../errors.js';

/** zod issues as the contract's `details`: a dotted path and a message. */
export function toDetails(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
  }));
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The `error` code of a 400 for a bad path parameter or body on this route
     * (`invalid_account`, …); query strings answer `invalid_query`.
     */
    invalidInput?: string;
  }
}

/** A request part that failed its route schema; the error handler names the route's code. */
export class RequestSchemaError extends ValidationError {
  readonly part: string;

  constructor(part: string, error: z.ZodError) {
    super(part === 'querystring' ? 'invalid_query' : 'invalid_request', toDetails(error));
    this.part = part;
  }
}

// Schemas a route declares for its document while its handler validates the raw input itself.
const documentedOnly = new WeakSet<object>();

/**
 * Marks a request schema as describing the input without Fastify enforcing
 * it: for routes whose handler must see the raw request first (the receiver
 * authenticates before it judges fields and maps each source's own names;
 * account templates expand presets before validation).
 */
export function describedOnly<S extends z.ZodType>(schema: S): S {
  documentedOnly.add(schema);
  return schema;
}

const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, method, url, httpPart }) => {
  if (!(schema instanceof z.ZodType)) {
    // One schema language for the whole API, so the document is generated from every route alike.
    throw new Error(`${method} ${url}: the ${httpPart} schema must be a zod schema`);
  }
  if (documentedOnly.has(schema)) return (data: unknown) => ({ value: data });
  return (data) => {
    const result = schema.safeParse(data ?? {});
    return result.success ? { value: result.data } : { error: new RequestSchemaError(httpPart ?? 'body', result.error) };
  };
};

/**
 * Answers are written as the handler built them: a response schema documents
 * the answer (and the API-docs test holds real answers to it) but never
 * strips a field or fails a request at runtime, and costs nothing on the
 * receiver's hot path.
 */
const serializerCompiler: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data);

/** Route schemas are zod: requests are validated with them, the OpenAPI document is generated from them. */
export function installSchemaCompilers(app: FastifyInstance): void {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
}
