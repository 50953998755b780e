import { describe, expect, it } from 'vitest';
import { classifyError, classifyStatus, parseRetryAfter } from '../../../src/delivery/classify.js';

describe('classifyStatus', () => {
  it.each([200, 201, 202, 204, 299])('%i is delivered', (status) => {
    expect(classifyStatus(status)).toBe('delivered');
  });

  it.each([408, 425, 429, 500, 502, 503, 504, 599])('%i is retried', (status) => {
    expect(classifyStatus(status)).toBe('retry');
  });

  it.each([100, 101, 199, 300, 301, 302, 304, 399, 400, 401, 403, 404, 405, 410, 422, 499, 600])(
    '%i fails permanently',
    (status) => {
      expect(classifyStatus(status)).toBe('failed');
    },
  );
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');

  it('is undefined when absent or empty', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
  });

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wednesday, 01-May-24 12:01:00 GMT', now)).toBe(60_000);
  });

  it('never goes negative for a date in the past', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 11:00:00 GMT', now)).toBe(0);
  });

  it.each(['soon', '-5', '1.5', '5s', '2024-05-01', 'Wed, 99 Foo 2024 GMT', '1e3'])('rejects garbage %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

function withCode(code: string, name = 'Error'): Error {
  const error = new Error(`something with ${code}`);
  error.name = name;
  return Object.assign(error, { code });
}

describe('classifyError', () => {
  it.each([
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout'],
    ['ETIMEDOUT', 'timeout'],
    ['ECONNREFUSED', 'connect_refused'],
    ['EHOSTUNREACH', 'connect_refused'],
    ['ECONNRESET', 'connection_reset'],
    ['EPIPE', 'connection_reset'],
    ['UND_ERR_SOCKET', 'connection_reset'],
    ['ENOTFOUND', 'dns_failed'],
    ['EAI_AGAIN', 'dns_failed'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls_failed'],
    ['CERT_HAS_EXPIRED', 'tls_failed'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls_failed'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls_failed'],
    ['HPE_INVALID_CONSTANT', 'network_error'],
    ['SOMETHING_NEW', 'network_error'],
  ] as const)('%s is retried as %s', (code, expected) => {
    const result = classifyError(withCode(code));
    expect(result).toEqual({ outcome: 'retry', code: expected, message: `something with ${code}` });
  });

  it.each([
    ['blocked_address', 'blocked_address'],
    ['too_many_redirects', 'too_many_redirects'],
    ['invalid_url', 'invalid_url'],
    ['ERR_INVALID_URL', 'invalid_url'],
    ['UND_ERR_INVALID_ARG', 'invalid_url'],
  ] as const)('%s fails permanently as %s', (code, expected) => {
    expect(classifyError(withCode(code))).toMatchObject({ outcome: 'failed', code: expected });
  });

  it('recognises the DOMException from AbortSignal.timeout by name', async () => {
    const signal = AbortSignal.timeout(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(signal.reason).toBeInstanceOf(DOMException);
    expect(classifyError(signal.reason)).toMatchObject({ outcome: 'retry', code: 'timeout' });
  });

  it('recognises an AbortError by name', () => {
    const controller = new AbortController();
    controller.abort();
    expect(classifyError(controller.signal.reason)).toMatchObject({ outcome: 'retry', code: 'timeout' });
  });

  it('looks through cause and AggregateError to the root code', () => {
    const wrapped = new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') });
    expect(classifyError(wrapped)).toMatchObject({ code: 'connect_refused', message: 'fetch failed' });
    const aggregate = Object.assign(new AggregateError([withCode('ENETUNREACH'), withCode('ECONNREFUSED')], ''), {});
    expect(classifyError(aggregate)).toMatchObject({ code: 'connect_refused', outcome: 'retry' });
  });

  it('ignores message text', () => {
    expect(classifyError(new Error('connect ECONNREFUSED 10.0.0.1:80 timeout'))).toMatchObject({
      outcome: 'retry',
      code: 'network_error',
    });
  });

  it('copes with non-Error throws', () => {
    expect(classifyError('boom')).toEqual({ outcome: 'retry', code: 'network_error', message: 'boom' });
    expect(classifyError(undefined)).toMatchObject({ code: 'network_error' });
    expect(classifyError({ code: 42 })).toMatchObject({ code: 'network_error' });
  });

  it('uses the code when the message is empty', () => {
    expect(classifyError(Object.assign(new Error(''), { code: 'ECONNRESET' })).message).toBe('ECONNRESET');
  });
});
