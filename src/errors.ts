/**
 * Every failure a caller acts on has a class and a stable `code`. HTTP
 * answers are derived from these in one place (src/http/error-handler.ts);
 * nothing matches on message text.
 */
export class RelayError extends Error {
  readonly code: string;
  readonly httpStatus: number;

  constructor(code: string, message: string, httpStatus = 500, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.httpStatus = httpStatus;
  }
}

export interface FieldProblem {
  path: string;
  message: string;
}

/** Input that fails validation: 400 naming each bad field. */
export class ValidationError extends RelayError {
  readonly details: FieldProblem[];

  constructor(code: string, details: FieldProblem[]) {
    super(code, details.map((detail) => `${detail.path}: ${detail.message}`).join('; '), 400);
    this.details = details;
  }
}

export class UnauthorizedError extends RelayError {
  constructor() {
    super('unauthorized', 'unauthorized', 401);
  }
}

export class ForbiddenError extends RelayError {
  constructor(message = 'caller address not allowed') {
    super('forbidden', message, 403);
  }
}

/** A mutation made with a console session cookie but without its CSRF token: 403, refused before the route runs. */
export class CsrfError extends RelayError {
  constructor() {
    super('csrf_failed', 'a change made with the console session needs its X-CSRF-Token header', 403);
  }
}

/** Too many attempts from one client (console sign-in): 429; `retryAfterS` goes out as Retry-After. */
export class TooManyRequestsError extends RelayError {
  readonly retryAfterS: number;

  constructor(message: string, retryAfterS: number) {
    super('too_many_requests', message, 429);
    this.retryAfterS = retryAfterS;
  }
}

export class NotFoundError extends RelayError {
  constructor(what: string) {
    super('not_found', `${what} not found`, 404);
  }
}

/** The route exists, but not for this method; `allow` lists those it takes (the Allow header). */
export class MethodNotAllowedError extends RelayError {
  readonly allow: string;

  constructor(allow: string) {
    super('method_not_allowed', `use ${allow.replace(', ', ' or ')}`, 405);
    this.allow = allow;
  }
}

/** Redis (the queue) cannot be reached: the sender should retry; nothing was written. */
export class UnavailableError extends RelayError {
  constructor(message = 'queue unavailable', options?: ErrorOptions) {
    super('unavailable', message, 503, options);
  }
}

/** A bad configuration at startup; the message names the field. */
export class ConfigError extends RelayError {
  constructor(message: string) {
    super('invalid_config', message, 500);
  }
}

/** The request is valid but the target is not in a state that allows it. */
export class ConflictError extends RelayError {
  constructor(code: string, message: string) {
    super(code, message, 409);
  }
}

/** The request is valid, but there is nothing it can act on (e.g. no postback template applies). */
export class UnprocessableError extends RelayError {
  constructor(code: string, message: string) {
    super(code, message, 422);
  }
}
