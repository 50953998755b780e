import { Pool } from 'undici';
import { nowMs, sleep } from './clock.js';

export interface LoadOptions {
  origin: string;
  n: number;
  /** Requests in flight at once (one keep-alive connection each): a closed loop, so a slow server slows the offered load. */
  concurrency: number;
  path(index: number): string;
  /**
   * The id from an accepted answer, or undefined: anything else counts as an
   * error. Answers with a body are told apart by it; a redirect by its headers.
   */
  accept(status: number, body: string, headers: ResponseHeaders, index: number): string | undefined;
  /** How a rejected answer is counted in `errorKinds` (default: status and the start of the body). */
  errorKind?(status: number, body: string, headers: ResponseHeaders): string;
  /** A request still unanswered after this is an error, so a stuck server cannot hang the bench. */
  requestTimeoutMs?: number;
  /**
   * Paced instead of flat out: request i leaves no earlier than i / rate
   * seconds after the start, so latency is measured on an idle system
   * rather than behind a backlog.
   */
  ratePerSec?: number;
}

export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface LoadResult {
  n: number;
  ok: number;
  errors: number;
  /** Error kinds with their counts (`503 {"error":…}`, `UND_ERR_HEADERS_TIMEOUT`, …). */
  errorKinds: Record<string, number>;
  /** Epoch ms each request was sent. */
  sentAt: Float64Array;
  /** Send to end of body, ms; NaN for an error. */
  latencyMs: Float64Array;
  /** The id each accepted request was given. */
  ids: Array<string | undefined>;
  startedAt: number;
  finishedAt: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { n, concurrency } = options;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const pool = new Pool(options.origin, {
    connections: concurrency,
    pipelining: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 30_000,
  });
  const sentAt = new Float64Array(n);
  const latencyMs = new Float64Array(n).fill(Number.NaN);
  const ids = new Array<string | undefined>(n);
  const errorKinds: Record<string, number> = {};
  let ok = 0;
  let next = 0;
  const countError = (kind: string): void => {
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };

  let startedAt = Number.NaN;
  const loop = async (): Promise<void> => {
    while (next < n) {
      const index = next++;
      if (options.ratePerSec) {
        const wait = startedAt + (index * 1000) / options.ratePerSec - nowMs();
        if (wait > 0) await sleep(wait);
      }
      const path = options.path(index);
      const start = nowMs();
      sentAt[index] = start;
      try {
        const { statusCode, headers, body } = await pool.request({ path, method: 'GET' });
        const text = await body.text();
        const id = options.accept(statusCode, text, headers, index);
        if (id === undefined) {
          countError(options.errorKind ? options.errorKind(statusCode, text, headers) : `${statusCode} ${text.slice(0, 120)}`);
          continue;
        }
        latencyMs[index] = nowMs() - start;
        ids[index] = id;
        ok += 1;
      } catch (error) {
        countError((error as { code?: string }).code ?? (error as Error).message);
      }
    }
  };

  startedAt = nowMs();
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, loop));
  } finally {
    await pool.destroy();
  }
  const finishedAt = nowMs();
  return { n, ok, errors: n - ok, errorKinds, sentAt, latencyMs, ids, startedAt, finishedAt };
}

/** The postback every HTTP target gets; the key is ignored by the baselines, which do no auth. */
export function postbackPath(clickId: string): string {
  return `/postback/bench?key=bench-key-123&click_id=${encodeURIComponent(clickId)}&payout=1.50`;
}

/** `200 {"status":"accepted","id":…}` and nothing else counts as accepted. */
export function acceptedId(status: number, body: string): string | undefined {
  if (status !== 200) return undefined;
  try {
    const parsed = JSON.parse(body) as { status?: unknown; id?: unknown };
    return parsed.status === 'accepted' && typeof parsed.id === 'string' ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}
