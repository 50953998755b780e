import { lookup } from 'node:dns';
import { isIP } from 'node:net';
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
          const remote = socket.remoteAddress;
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

/** What one request of an attempt (one redirect hop) brought back. */
interface HopResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The first `snippetLimit` bytes of the body. */
  snippet: Buffer;
  /** When the snippet was complete (or the body ended before filling it), for the attempt's latency. */
  snippetAt: number;
}

/**
 * One request, read straight off undici's dispatch callbacks: the status,
 * the headers, the first bytes of the body, then the rest drained up to an
 * allowance so the keep-alive connection is reused, or cut by closing the
 * socket. undici's `request` wraps every body in a stream; with a few hundred
 * bytes of answer that wrapping cost more than the request (a bench of the
 * client alone).
 *
 * Settles once the body is consumed, cut, or the deadline passes. A problem
 * after the status arrived (a stall, a reset) does not fail the hop: the
 * status decides the outcome, and what arrived of the body is kept.
 */
class HopHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private response: HopResponse | undefined;
  private readonly chunks: Buffer[] = [];
  private snippetSize = 0;
  private received = 0;
  private settled = false;
  private stopReason: Error | undefined;

  constructor(
    private readonly snippetLimit: number,
    /** Body bytes read in all before the socket is cut rather than drained. */
    private readonly readLimit: number,
    private readonly resolve: (response: HopResponse) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  /** The deadline: a hop still waiting for its status fails with `reason`; one reading its body ends with what it has. */
  stop(reason: Error): void {
    if (this.settled) return;
    this.stopReason = reason;
    if (this.response) this.finish();
    else {
      this.settled = true;
      this.reject(reason);
    }
    // A request still queued for a connection is aborted when it gets one (onRequestStart).
    this.controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.stopReason) controller.abort(this.stopReason);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // 1xx informational answers come before the real one.
    if (statusCode < 200) return;
    this.response = { status: statusCode, headers, snippet: EMPTY, snippetAt: 0 };
    if (this.snippetLimit <= 0) this.response.snippetAt = performance.now();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    const room = this.snippetLimit - this.snippetSize;
    if (room > 0) {
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.chunks.push(part);
      this.snippetSize += part.length;
      if (this.snippetSize >= this.snippetLimit && this.response) this.response.snippetAt = performance.now();
    }
    this.received += chunk.length;
    if (this.received > this.readLimit) {
      this.finish();
      controller.abort(new BodyCutError());
    }
  }

  onResponseEnd(): void {
    this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.settled) return;
    if (this.response) this.finish();
    else {
      this.settled = true;
      this.reject(error);
    }
  }

  private finish(): void {
    if (this.settled || !this.response) return;
    this.settled = true;
    const response = this.response;
    response.snippet = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.snippetSize);
    if (response.snippetAt === 0) response.snippetAt = performance.now();
    this.resolve(response);
  }
}

const EMPTY = Buffer.alloc(0);

/** The attempt's whole budget ran out. */
class DeadlineError extends Error {
  override name = 'DeadlineError';
  constructor(timeoutMs: number) {
    super(`no complete response within ${timeoutMs} ms`);
  }
}

/**
 * The snippet as text. A cut in the middle of a multi-byte character is
 * dropped rather than shown as U+FFFD; an all-ASCII ending cannot be cut.
 */
function snippetText(snippet: Buffer): string {
  if (snippet.length === 0) return '';
  if (snippet[snippet.length - 1]! < 0x80) return snippet.toString('utf8');
  return new StringDecoder('utf8').write(snippet);
}

/** Why a hop closed its socket: the body was longer than worth draining. Never surfaces in a result. */
class BodyCutError extends Error {
  override name = 'BodyCutError';
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function createDeliveryClient(options: DeliveryClientOptions): DeliveryClient {
  const { timeoutMs, maxRedirects, bodySnippetBytes, addressPolicy } = options;
  const requestHeaders = { 'user-agent': options.userAgent ?? DEFAULT_USER_AGENT };

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

    // One budget for every hop, the body snippet included: a timer cleared when the attempt
    // ends (AbortSignal.timeout's cannot be, and fired after every attempt: 3 % of a worker's CPU).
    let hop: HopHandler | undefined;
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      hop?.stop(new DeadlineError(timeoutMs));
    }, timeoutMs);
    const visited: string[] = [];
    try {
      for (let redirects = 0; ; redirects += 1) {
        visited.push(target.href);
        const response = await new Promise<HopResponse>((resolve, reject) => {
          hop = new HopHandler(bodySnippetBytes, bodySnippetBytes + DRAIN_ALLOWANCE_BYTES, resolve, reject);
          agent.dispatch(
            {
              origin: target.origin,
              path: `${target.pathname}${target.search}`,
              method: 'GET',
              headers: requestHeaders,
              headersTimeout: timeoutMs,
              bodyTimeout: timeoutMs,
            },
            hop,
          );
          if (timedOut) hop.stop(new DeadlineError(timeoutMs));
        });
        const { status } = response;
        const location = firstHeader(response.headers.location);
        if (REDIRECT_STATUSES.has(status) && location !== undefined && redirects < maxRedirects) {
          const next = nextHop(location, target, visited);
          if (next instanceof Error) throw next;
          target = next;
          continue;
        }
        const latencyMs = Math.round(response.snippetAt - started);
        const body = snippetText(response.snippet);

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
      // undici's own timeouts and aborts name a part of the request; the attempt's budget is what ran out.
      const message = classified.code === 'timeout' && timedOut ? new DeadlineError(timeoutMs).message : classified.message;
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
