import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { Agent, buildConnector } from 'undici';
import type { Dispatcher } from 'undici';
import type { AddressPolicy } from './address-policy.js';
import { classifyError, classifyStatus, parseRetryAfter } from './classify.js';
import type { AttemptOutcome, DeliveryErrorCode } from './classify.js';

export interface AttemptResult {
  outcome: AttemptOutcome;
  status?: number;
  errorCode?: DeliveryErrorCode;
  error?: string;
  latencyMs: number;
  /** The first `bodySnippetBytes` of the response body, as UTF-8. */
  body: string;
  /** From Retry-After on a 429 or 503, in ms from now; the scheduler caps it. */
  retryAfterMs?: number;
}

export interface DeliveryClientOptions {
  /** Total budget of one attempt: connect, every redirect hop, headers and the body snippet. */
  timeoutMs: number;
  maxRedirects: number;
  bodySnippetBytes: number;
  addressPolicy: AddressPolicy;
  userAgent?: string;
  /** Connections per origin; bounds what one slow tracker can hold. Unlimited when absent. */
  connections?: number;
}

export interface DeliveryClient {
  /** One attempt. Resolves with the outcome for every network or HTTP problem; never rejects for them. */
  send(url: string): Promise<AttemptResult>;
  close(): Promise<void>;
}

export const DEFAULT_USER_AGENT = 'postback-relay/0.1';

/** A destination refused by the address policy. Permanent: retrying cannot change where a name points to us. */
export class BlockedAddressError extends Error {
  readonly code = 'blocked_address' as const;
  readonly address: string;

  constructor(reason: string, address: string) {
    super(reason);
    this.name = 'BlockedAddressError';
    this.address = address;
  }
}

class TooManyRedirectsError extends Error {
  readonly code = 'too_many_redirects' as const;
  override name = 'TooManyRedirectsError';
}

class InvalidRedirectError extends Error {
  readonly code = 'invalid_url' as const;
  override name = 'InvalidRedirectError';
}

const REDIRECT_STATUSES = new Set([300, 301, 302, 303, 307, 308]);

/**
 * A small remainder after the snippet is drained so the keep-alive connection
 * can be reused; anything bigger is cheaper to cut by closing the socket.
 */
const DRAIN_ALLOWANCE_BYTES = 64 * 1024;

function unbracket(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * Wraps undici's connector so the policy judges the address actually dialled.
 * A `lookup` hook alone would be skipped for IP-literal URLs, and checking a
 * name before undici resolves it again leaves room for DNS rebinding; here the
 * address we check is the one we connect to.
 */
function createGuardedConnector(policy: AddressPolicy, timeoutMs: number): buildConnector.connector {
  const connect = buildConnector({ timeout: timeoutMs });

  return (options, callback) => {
    const hostname = unbracket(options.hostname);

    const dial = (address: string): void => {
      const verdict = policy.check(address);
      if (!verdict.allowed) {
        callback(new BlockedAddressError(verdict.reason, address), null);
        return;
      }
      connect(
        {
          ...options,
          hostname: address,
          // TLS must still present and verify the name from the URL, not the IP we picked.
          servername: options.servername || (isIP(hostname) === 0 ? hostname : undefined),
        },
        (error, socket) => {
          if (error || !socket) {
            callback(error ?? new Error('connect failed without a socket'), null);
            return;
          }
          const remote = (socket as Socket).remoteAddress;
          const after = remote
            ? policy.check(remote)
            : { allowed: false as const, reason: 'blocked address (peer address unknown)' };
          if (!after.allowed) {
            socket.destroy();
            callback(new BlockedAddressError(after.reason, remote ?? ''), null);
            return;
          }
          callback(null, socket);
        },
      );
    };

    if (isIP(hostname) !== 0) {
      dial(hostname);
      return;
    }
    lookup(hostname, { all: true }, (error, addresses) => {
      if (error) {
        callback(error, null);
        return;
      }
      const first = addresses.find((entry) => isIP(entry.address) !== 0);
      if (!first) {
        callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), null);
        return;
      }
      dial(first.address);
    });
  };
}

type ResponseBody = Dispatcher.ResponseData['body'];

/**
 * Collects up to `limit` bytes and stops there, leaving the stream paused.
 * Never rejects: a body that breaks halfway still gives what arrived, since
 * the status is already known and decides the outcome.
 */
function readSnippet(body: ResponseBody, limit: number): Promise<Buffer> {
  return new Promise((resolve) => {
    if (limit <= 0 || body.destroyed || body.readableEnded) {
      resolve(Buffer.alloc(0));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (): void => {
      body.off('data', onData).off('end', finish).off('close', finish).off('error', finish);
      resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer): void => {
      const room = limit - size;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      chunks.push(part);
      size += part.length;
      if (size >= limit) {
        body.pause();
        finish();
      }
    };
    body.on('data', onData).once('end', finish).once('close', finish).once('error', finish);
  });
}

/** Consumes or cuts what is left so the connection is returned to the pool or closed, never left hanging. */
async function discardRest(body: ResponseBody, limit: number, signal: AbortSignal): Promise<void> {
  try {
    await body.dump({ limit, signal });
  } catch {
    // The deadline hit while draining; the destroy below releases the socket.
  } finally {
    if (!body.destroyed) body.destroy();
  }
}

function ignore(): void {}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function createDeliveryClient(options: DeliveryClientOptions): DeliveryClient {
  const { timeoutMs, maxRedirects, bodySnippetBytes, addressPolicy } = options;
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;

  const agent = new Agent({
    connect: createGuardedConnector(addressPolicy, timeoutMs),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    ...(options.connections !== undefined ? { connections: options.connections } : {}),
  });
  let closed: Promise<void> | undefined;

  /**
   * Where a redirect answer points, checked: the next hop's URL, or the
   * reason to stop. Redirects are followed here rather than by undici's
   * interceptor, which cost a third of each attempt's CPU even when no
   * redirect came (a bench of the client alone).
   */
  function nextHop(location: string, current: URL, visited: string[]): URL | Error {
    let target: URL;
    try {
      target = new URL(location, current);
    } catch {
      return new InvalidRedirectError(`redirect to an invalid URL: ${location}`);
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      return new InvalidRedirectError(`redirect to a non-http(s) URL: ${target.protocol}`);
    }
    target.hash = '';
    if (visited.includes(target.href)) return new TooManyRedirectsError(`redirect loop back to ${target.href}`);
    return target;
  }

  async function send(url: string): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);

    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return { outcome: 'failed', errorCode: 'invalid_url', error: `invalid URL: ${url}`, latencyMs: 0, body: '' };
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      return {
        outcome: 'failed',
        errorCode: 'invalid_url',
        error: `unsupported URL scheme ${target.protocol}`,
        latencyMs: 0,
        body: '',
      };
    }

    // One budget for every hop, the body snippet included. Not AbortSignal.timeout: its
    // timer cannot be cleared, so each attempt's fired ten seconds later anyway, building
    // an abort error and running abort listeners (3 % of a worker's CPU in a profile).
    const controller = new AbortController();
    const { signal } = controller;
    const deadline = setTimeout(() => controller.abort(new DOMException(`no complete response within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    const visited: string[] = [];
    try {
      for (let redirects = 0; ; redirects += 1) {
        visited.push(target.href);
        const response = await agent.request({
          origin: target.origin,
          path: `${target.pathname}${target.search}`,
          method: 'GET',
          headers: { 'user-agent': userAgent },
          signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        // Errors after this point are covered by the status already received; an unheard 'error' would crash the process.
        response.body.on('error', ignore);
        const status = response.statusCode;
        const location = firstHeader(response.headers.location);
        if (REDIRECT_STATUSES.has(status) && location !== undefined && redirects < maxRedirects) {
          const next = nextHop(location, target, visited);
          await discardRest(response.body, DRAIN_ALLOWANCE_BYTES, signal);
          if (next instanceof Error) throw next;
          target = next;
          continue;
        }
        const snippet = await readSnippet(response.body, bodySnippetBytes);
        const latencyMs = elapsed();
        await discardRest(response.body, bodySnippetBytes + DRAIN_ALLOWANCE_BYTES, signal);
        // A cut in the middle of a multi-byte character is dropped rather than shown as U+FFFD.
        const body = new StringDecoder('utf8').write(snippet);

        if (REDIRECT_STATUSES.has(status) && location !== undefined) {
          return {
            outcome: 'failed',
            status,
            errorCode: 'too_many_redirects',
            error: `more than ${maxRedirects} redirect${maxRedirects === 1 ? '' : 's'} (next: ${location})`,
            latencyMs,
            body,
          };
        }

        const result: AttemptResult = { outcome: classifyStatus(status), status, latencyMs, body };
        if (status === 429 || status === 503) {
          const retryAfterMs = parseRetryAfter(firstHeader(response.headers['retry-after']), Date.now());
          if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
        }
        return result;
      }
    } catch (error) {
      const classified = classifyError(error);
      const message =
        classified.code === 'timeout' && signal.aborted ? `no complete response within ${timeoutMs} ms` : classified.message;
      return { outcome: classified.outcome, errorCode: classified.code, error: message, latencyMs: elapsed(), body: '' };
    } finally {
      clearTimeout(deadline);
    }
  }

  return {
    send,
    close() {
      // Called once workers have finished or given up waiting: whatever is still
      // in flight is a hung tracker, and waiting on it would hang shutdown.
      closed ??= agent.destroy();
      return closed;
    },
  };
}
