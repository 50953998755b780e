import { z } from 'zod';

/**
 * Pieces every route schema uses: the error answers, the security
 * requirements and a response helper. The OpenAPI document is generated
 * from route schemas built with these (src/docs/openapi-document.ts).
 */

export const errorShape = z
  .object({ error: z.string().describe('a stable code, e.g. `unauthorized`, `not_found`'), message: z.string().optional() })
  .meta({ id: 'Error', examples: [{ error: 'not_found', message: 'account a1 not found' }] });

export const validationErrorShape = z
  .object({
    error: z.string().describe('`invalid_<what>`: invalid_account, invalid_source, invalid_query, …'),
    details: z.array(
      z.object({
        path: z.string().describe('dotted path of the field, `(body)` for the request as a whole'),
        message: z.string(),
      }),
    ),
  })
  .meta({
    id: 'ValidationError',
    examples: [{ error: 'invalid_account', details: [{ path: 'offers.42.url', message: 'unknown macro {clik_id}' }] }],
  });

/** A JSON answer with its description, as OpenAPI lists it. */
export function json<S extends z.ZodType>(description: string, schema: S) {
  return { description, content: { 'application/json': { schema } } };
}

/** An answer without a body (204, 302). */
export function empty(description: string) {
  return z.null().describe(description);
}

export const unauthorized = json('Missing or wrong token', errorShape);
export const forbidden = json('Not allowed for this token (a viewer token may only read)', errorShape);
export const notFound = json('Unknown id', errorShape);
export const invalid = json('Invalid input; `details` names each bad field', validationErrorShape);
export const conflict = (description: string) => json(description, errorShape);

/** Security requirements, by who may call (schemes in src/docs/openapi-document.ts). */
type SecurityRequirements = Array<{ [scheme: string]: string[] }>;

export const security: Record<'read' | 'write' | 'sourceKey' | 'none', SecurityRequirements> = {
  /** A read: the admin token or the read-only viewer token. */
  read: [{ adminToken: [] }, { viewerToken: [] }],
  /** A change: the admin token only. */
  write: [{ adminToken: [] }],
  /** A source's key, as `?key=`, `X-Relay-Key` or `Authorization: Bearer`. */
  sourceKey: [{ sourceKey: [] }, { sourceKeyHeader: [] }, { sourceKeyBearer: [] }],
  none: [],
};

/** Responses every admin read has. */
export const readErrors = { 401: unauthorized } as const;
/** Responses every admin change has. */
export const writeErrors = { 401: unauthorized, 403: forbidden } as const;
