import type { FastifyError, FastifyInstance } from 'fastify';
import { MethodNotAllowedError, RelayError, TooManyRequestsError, ValidationError } from '../errors.js';
import { RequestSchemaError } from './schema-compilers.js';

/**
 * The one place errors become HTTP answers. Every answer is JSON; 5xx
 * answers never carry internal text.
 */
export function installErrorHandler(app: FastifyInstance, options: { isRedisReady: () => boolean }): void {
  app.setErrorHandler((error: FastifyError | RelayError | Error, request, reply) => {
    if (error instanceof ValidationError) {
      // A route schema's rejection of a path parameter or body carries the route's own code.
      const code =
        error instanceof RequestSchemaError && error.part !== 'querystring'
          ? (request.routeOptions.config.invalidInput ?? error.code)
          : error.code;
      return reply.status(400).send({ error: code, details: error.details });
    }
    if (error instanceof MethodNotAllowedError) void reply.header('allow', error.allow);
    if (error instanceof RelayError) {
      if (error instanceof TooManyRequestsError) void reply.header('retry-after', String(error.retryAfterS));
      if (error.httpStatus >= 500) request.log.warn({ err: error.cause ?? error }, error.message);
      return reply
        .status(error.httpStatus)
        .send({ error: error.code, ...(error.httpStatus < 500 ? { message: error.message } : {}) });
    }
    const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      // Fastify's own rejections of malformed requests: body too large, bad JSON, unsupported type.
      return reply.status(status).send({ error: 'bad_request', message: error.message });
    }
    if (!options.isRedisReady()) {
      request.log.warn({ err: error }, 'Redis unavailable');
      return reply.status(503).send({ error: 'unavailable' });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send({ error: 'internal' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );
}
