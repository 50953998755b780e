import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { z } from 'zod';
import { describedOnly, installSchemaCompilers } from '../../../src/http/schema-compilers.js';
import { installErrorHandler } from '../../../src/http/error-handler.js';

function app() {
  const fastify = Fastify();
  installErrorHandler(fastify, { isRedisReady: () => true });
  installSchemaCompilers(fastify);
  return fastify;
}

describe('route schemas as validators', () => {
  it('validates params, body and query with the zod schemas, handing the handler the parsed values', async () => {
    const fastify = app();
    fastify.put<{ Params: { id: string }; Body: { n: number }; Querystring: { limit: number } }>(
      '/things/:id',
      {
        schema: {
          params: z.object({ id: z.string().regex(/^[a-z]+$/, 'letters only') }),
          body: z.strictObject({ n: z.number().default(7) }),
          querystring: z.object({ limit: z.coerce.number().int().default(50) }),
        },
        config: { invalidInput: 'invalid_thing' },
      },
      async (request) => ({ id: request.params.id, body: request.body, limit: request.query.limit }),
    );
    const ok = await fastify.inject({ method: 'PUT', url: '/things/abc?limit=5', payload: {} });
    expect(ok.json()).toEqual({ id: 'abc', body: { n: 7 }, limit: 5 });
    // No body at all is judged as an empty object, as the handlers did by hand.
    expect((await fastify.inject({ method: 'PUT', url: '/things/abc' })).json()).toEqual({
      id: 'abc',
      body: { n: 7 },
      limit: 50,
    });
  });

  it("answers a bad param or body with the route's code, a bad query with invalid_query, each field named", async () => {
    const fastify = app();
    fastify.put(
      '/things/:id',
      {
        schema: {
          params: z.object({ id: z.string().regex(/^[a-z]+$/, 'letters only') }),
          body: z.strictObject({ n: z.number() }),
          querystring: z.object({ limit: z.coerce.number().int().optional() }),
        },
        config: { invalidInput: 'invalid_thing' },
      },
      async () => ({}),
    );
    const badId = await fastify.inject({ method: 'PUT', url: '/things/A1', payload: { n: 1 } });
    expect(badId.statusCode).toBe(400);
    expect(badId.json()).toEqual({ error: 'invalid_thing', details: [{ path: 'id', message: 'letters only' }] });
    const badBody = await fastify.inject({ method: 'PUT', url: '/things/abc', payload: { n: 'x', extra: 1 } });
    expect(badBody.json()).toEqual({
      error: 'invalid_thing',
      details: [
        { path: 'n', message: expect.stringContaining('expected number') },
        { path: '(body)', message: 'unknown field(s): extra' },
      ],
    });
    const badQuery = await fastify.inject({ method: 'PUT', url: '/things/abc?limit=x', payload: { n: 1 } });
    expect(badQuery.json()).toMatchObject({ error: 'invalid_query', details: [{ path: 'limit' }] });
  });

  it('leaves a describedOnly schema to the handler: the raw input passes through untouched', async () => {
    const fastify = app();
    fastify.get(
      '/raw',
      { schema: { querystring: describedOnly(z.strictObject({ a: z.coerce.number() })) } },
      async (request) => request.query,
    );
    expect((await fastify.inject({ url: '/raw?a=x&b=y' })).json()).toEqual({ a: 'x', b: 'y' });
  });

  it('writes answers as the handler built them: a response schema never strips or rejects a field', async () => {
    const fastify = app();
    fastify.get('/answer', { schema: { response: { 200: z.object({ a: z.number() }) } } }, async () => ({
      a: 'not a number',
      extra: true,
    }));
    expect((await fastify.inject({ url: '/answer' })).json()).toEqual({ a: 'not a number', extra: true });
  });

  it('refuses a route whose schema is not zod, so every route can be in the generated document', async () => {
    const fastify = app();
    fastify.get('/json-schema', { schema: { querystring: { type: 'object' } } }, async () => ({}));
    await expect(fastify.ready()).rejects.toThrow(/must be a zod schema/);
  });
});
