import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { READ_METHODS } from '../auth/token-auth.js';
import { redactSecrets } from '../audit/redact-secrets.js';
import type { NewChange } from '../store/changes.js';

/** Reads the object a route changes, from its path parameters; null when there is none. */
export type ChangeLoader = (params: Record<string, string>) => Promise<unknown>;

/**
 * How a route's change is shown: the object read before and after, or, for
 * a route whose effect lands later (a redrive only queues work), the object
 * before and the route's answer after.
 */
export type ChangeSubject = ChangeLoader | { before: ChangeLoader; after: 'answer' };

export interface ChangeRecorderOptions {
  changes: { append(change: NewChange): Promise<unknown> };
  logger: FastifyBaseLogger;
  /**
   * By route pattern (`/v1/sources/:id`): how to load the object the route
   * changes, read before the handler runs and again after it answered (or
   * the answer as `after`, see ChangeSubject). A mutation route without one
   * is still recorded, with its answer as `after` (a test fire, a bulk
   * redrive), so no new route goes unrecorded.
   */
  subjects: Readonly<Record<string, ChangeSubject>>;
  now?: () => number;
}

interface Pending {
  subject: ChangeSubject | undefined;
  before: unknown;
}

const beforeLoader = (subject: ChangeSubject | undefined): ChangeLoader | undefined =>
  typeof subject === 'function' ? subject : subject?.before;

/**
 * Records every successful mutation made in `app` (PUT, POST, DELETE, PATCH)
 * in the change history and as one info log line: when, which token kind,
 * method, path, and the object before and after, secrets redacted.
 *
 * Around the routes rather than in each of them: a route only declares how
 * its object is read (`subjects`). Before and after are two reads around the
 * handler, so two operators editing the same record at the same instant may
 * see each other's edit in a `before`; the history still lists both changes.
 */
export function recordChanges(app: FastifyInstance, options: ChangeRecorderOptions): void {
  const pending = new WeakMap<FastifyRequest, Pending>();
  const now = options.now ?? Date.now;

  const load = async (subject: ChangeLoader | undefined, request: FastifyRequest): Promise<unknown> => {
    if (!subject) return null;
    try {
      return (await subject(request.params as Record<string, string>)) ?? null;
    } catch (error) {
      // The change itself must not fail because its history could not be read.
      options.logger.warn({ err: error, path: request.routeOptions.url }, 'change log: cannot read the changed object');
      return null;
    }
  };

  // preHandler: after authentication and body parsing, just before the handler changes anything.
  app.addHook('preHandler', async (request) => {
    if (READ_METHODS.has(request.method)) return;
    const subject = options.subjects[request.routeOptions.url ?? ''];
    pending.set(request, { subject, before: await load(beforeLoader(subject), request) });
  });

  // onSend, not onResponse: the change is in the history before the client hears the answer.
  app.addHook('onSend', async (request, reply, payload) => {
    const state = pending.get(request);
    if (!state || reply.statusCode >= 400) return payload;
    const after = typeof state.subject === 'function' ? await load(state.subject, request) : answerOf(payload);
    const change: NewChange = {
      at: new Date(now()).toISOString(),
      token: request.tokenKind ?? 'unknown',
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      status: reply.statusCode,
      before: redactSecrets(state.before),
      after: redactSecrets(after),
    };
    options.logger.info({ change }, 'admin change');
    try {
      await options.changes.append(change);
    } catch (error) {
      // Logged above; the mutation already happened and its answer must still go out.
      options.logger.error({ err: error, change: { method: change.method, path: change.path } }, 'change log: not kept');
    }
    return payload;
  });
}

function answerOf(payload: unknown): unknown {
  if (typeof payload !== 'string' || payload === '') return null;
  try {
    return JSON.parse(payload);
  } catch {
    return null;
  }
}
