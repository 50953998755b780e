import type { AttemptOutcome } from '../domain/retry-policy.js';

export type { AttemptOutcome };

export type DeliveryErrorCode =
  | 'timeout'
  | 'connect_refused'
  | 'connection_reset'
  | 'dns_failed'
  | 'tls_failed'
  | 'too_many_redirects'
  | 'blocked_address'
  | 'invalid_url'
  | 'network_error';

export interface ErrorClassification {
  outcome: 'retry' | 'failed';
  code: DeliveryErrorCode;
  message: string;
}

/** 2xx delivered; 408, 425, 429 and 5xx are worth another try; anything else is the tracker's final word. */
export function classifyStatus(status: number): AttemptOutcome {
  if (status >= 200 && status <= 299) return 'delivered';
  if (status === 408 || status === 425 || status === 429) return 'retry';
  if (status >= 500 && status <= 599) return 'retry';
  return 'failed';
}

const DAY_NAME = /^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s/i;

/**
 * `Retry-After` as milliseconds from `nowMs`. Only the two forms RFC 9110 allows
 * are accepted: Date.parse alone would turn garbage like `1.5` into a date.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  if (!DAY_NAME.test(text)) return undefined;
  const at = Date.parse(text);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, at - nowMs);
}

const OWN_CODES: ReadonlyMap<string, ErrorClassification['outcome']> = new Map([
  ['timeout', 'retry'],
  ['connect_refused', 'retry'],
  ['connection_reset', 'retry'],
  ['dns_failed', 'retry'],
  ['tls_failed', 'retry'],
  ['network_error', 'retry'],
  ['too_many_redirects', 'failed'],
  ['blocked_address', 'failed'],
  ['invalid_url', 'failed'],
]);

const NODE_CODES: ReadonlyMap<string, DeliveryErrorCode> = new Map([
  ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
  ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
  ['UND_ERR_BODY_TIMEOUT', 'timeout'],
  ['ETIMEDOUT', 'timeout'],
  ['ESOCKETTIMEDOUT', 'timeout'],
  // The delivery client's only abort source is its own deadline.
  ['UND_ERR_ABORTED', 'timeout'],
  ['UND_ERR_ABORT', 'timeout'],
  ['ABORT_ERR', 'timeout'],
  ['ECONNREFUSED', 'connect_refused'],
  ['EHOSTUNREACH', 'connect_refused'],
  ['ENETUNREACH', 'connect_refused'],
  ['EHOSTDOWN', 'connect_refused'],
  ['ENETDOWN', 'connect_refused'],
  ['ECONNRESET', 'connection_reset'],
  ['ECONNABORTED', 'connection_reset'],
  ['EPIPE', 'connection_reset'],
  ['UND_ERR_SOCKET', 'connection_reset'],
  ['ENOTFOUND', 'dns_failed'],
  ['EAI_AGAIN', 'dns_failed'],
  ['EAI_FAIL', 'dns_failed'],
  ['EAI_NODATA', 'dns_failed'],
  ['EAI_NONAME', 'dns_failed'],
  ['ENODATA', 'dns_failed'],
  ['ESERVFAIL', 'dns_failed'],
  ['ENOTIMP', 'dns_failed'],
  ['EREFUSED', 'dns_failed'],
  ['ERR_INVALID_URL', 'invalid_url'],
  ['ERR_INVALID_URL_SCHEME', 'invalid_url'],
  // undici raises this for a URL or Location it cannot use; the request options themselves are fixed.
  ['UND_ERR_INVALID_ARG', 'invalid_url'],
  ['EPROTO', 'tls_failed'],
]);

// OpenSSL verification failures surface with these bare codes rather than an ERR_TLS_ prefix.
const TLS_VERIFY_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'HOSTNAME_MISMATCH',
]);

function codeToDeliveryCode(code: string): DeliveryErrorCode | undefined {
  if (OWN_CODES.has(code)) return code as DeliveryErrorCode;
  const mapped = NODE_CODES.get(code);
  if (mapped) return mapped;
  if (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || TLS_VERIFY_CODES.has(code)) return 'tls_failed';
  return undefined;
}

function nameToDeliveryCode(name: string): DeliveryErrorCode | undefined {
  // DOMExceptions from AbortSignal.timeout()/abort() carry a numeric `code`, so only the name identifies them.
  if (name === 'TimeoutError' || name === 'AbortError' || name === 'DeadlineError') return 'timeout';
  if (name === 'ConnectTimeoutError' || name === 'HeadersTimeoutError' || name === 'BodyTimeoutError') return 'timeout';
  return undefined;
}

interface ErrorLike {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The error and what it wraps: undici and net put the root cause in `cause` or in an AggregateError. */
function* errorChain(error: unknown): Generator<ErrorLike> {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const e = current as ErrorLike;
    yield e;
    if (Array.isArray(e.errors) && e.errors.length > 0) yield* errorChain(e.errors[0]);
    current = e.cause;
  }
}

function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { message, code } = error as ErrorLike;
    if (typeof message === 'string' && message !== '') return message;
    if (typeof code === 'string') return code;
  }
  return String(error);
}

/**
 * Maps whatever a delivery attempt threw to an outcome. Identified by `code`
 * and `name` only: messages change between undici and Node versions. Unknown
 * errors are retried because delivery is at-least-once and retries are bounded.
 */
export function classifyError(error: unknown): ErrorClassification {
  const message = messageOf(error);
  for (const e of errorChain(error)) {
    const code = typeof e.code === 'string' ? codeToDeliveryCode(e.code) : undefined;
    if (code) return { outcome: OWN_CODES.get(code) ?? 'retry', code, message };
  }
  for (const e of errorChain(error)) {
    const code = typeof e.name === 'string' ? nameToDeliveryCode(e.name) : undefined;
    if (code) return { outcome: OWN_CODES.get(code) ?? 'retry', code, message };
  }
  return { outcome: 'retry', code: 'network_error', message };
}
