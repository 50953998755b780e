import { Pool } from 'undici';
import { nowMs } from './clock.js';
import type { ResponseHeaders } from './load.js';

export interface OpenLoadOptions {
  origin: string;
  /** Requests per second, on a fixed schedule: request i is due at start + i / rate, whatever the answers. */
  ratePerSec: number;
  durationMs: number;
  /** Unanswered requests allowed at once; a request due while this many are out is dropped (and counted), not delayed. */
  maxOutstanding: number;
  /** Keep-alive connections at most (undici queues the rest; that wait counts in the latency). */
  connections: number;
  path(index: number): string;
  /** The id from an accepted answer, or undefined: anything else counts as an error. */
  accept(status: number, body: string, headers: ResponseHeaders, index: number): string | undefined;
  requestTimeoutMs?: number;
}

export interface OpenLoadResult {
  /** Requests the schedule called for. */
  offered: number;
  sent: number;
  /** Due while `maxOutstanding` requests were unanswered: never sent. */
  dropped: number;
  ok: number;
  /** Sent and answered with anything but an accept (or not answered at all). */
  errors: number;
  errorKinds: Record<string, number>;
  /** Epoch ms each request was due (the schedule, not the moment it left). */
  scheduledAt: Float64Array;
  /** Due to end of the answer's body, ms; NaN for a drop or an error. Measured from the due time, so a stall
   * in the server (or in this generator) delays every request due during it: no coordinated omission. */
  latencyMs: Float64Array;
  /** How late each sent request left after its due time, ms (the generator's own lag); NaN if dropped. */
  sendLagMs: Float64Array;
  ids: Array<string | undefined>;
  /** The first request's due time. */
  startedAt: number;
  /** When the schedule ended: start + duration. */
  scheduleEndAt: number;
  /** When the last request was actually sent. */
  lastSentAt: number;
  /** When the last answer came back. */
  finishedAt: number;
  /** Most requests unanswered at once. */
  peakOutstanding: number;
}

/**
 * An open-loop load: requests leave on a fixed schedule at a fixed rate, and
 * a slow answer never delays the next send, as with many independent senders
 * (a network firing a campaign's postbacks). The closed loop of `runLoad`
 * instead slows down with the server and so hides its stalls.
 */
export async function runOpenLoad(options: OpenLoadOptions): Promise<OpenLoadResult> {
  const { ratePerSec, maxOutstanding } = options;
  const offered = Math.max(1, Math.round((ratePerSec * options.durationMs) / 1000));
  const intervalMs = 1000 / ratePerSec;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const pool = new Pool(options.origin, {
    connections: options.connections,
    pipelining: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 30_000,
  });
  const scheduledAt = new Float64Array(offered).fill(Number.NaN);
  const latencyMs = new Float64Array(offered).fill(Number.NaN);
  const sendLagMs = new Float64Array(offered).fill(Number.NaN);
  const ids = new Array<string | undefined>(offered);
  const errorKinds: Record<string, number> = {};
  let ok = 0;
  let sent = 0;
  let dropped = 0;
  let outstanding = 0;
  let peakOutstanding = 0;
  let lastSentAt = Number.NaN;
  let lastAnswerAt = Number.NaN;
  let scheduleDone = false;
  let allAnswered: () => void = () => {};
  const answered = new Promise<void>((resolve) => (allAnswered = resolve));
  const countError = (kind: string): void => {
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };

  const send = async (index: number, due: number): Promise<void> => {
    try {
      const { statusCode, headers, body } = await pool.request({ path: options.path(index), method: 'GET' });
      const text = await body.text();
      const id = options.accept(statusCode, text, headers, index);
      if (id === undefined) countError(`${statusCode} ${text.slice(0, 120)}`);
      else {
        latencyMs[index] = nowMs() - due;
        ids[index] = id;
        ok += 1;
      }
    } catch (error) {
      countError((error as { code?: string }).code ?? (error as Error).message);
    } finally {
      outstanding -= 1;
      lastAnswerAt = nowMs();
      if (scheduleDone && outstanding === 0) allAnswered();
    }
  };

  // A little ahead, so the first requests are not late by the time taken to get here.
  const startedAt = nowMs() + 5;
  let next = 0;
  await new Promise<void>((scheduleEnded) => {
    const tick = (): void => {
      const now = nowMs();
      // Everything due by now leaves now: a late tick sends its backlog at once rather than shifting the schedule.
      while (next < offered && startedAt + next * intervalMs <= now) {
        const index = next++;
        const due = startedAt + index * intervalMs;
        scheduledAt[index] = due;
        if (outstanding >= maxOutstanding) {
          dropped += 1;
          continue;
        }
        outstanding += 1;
        peakOutstanding = Math.max(peakOutstanding, outstanding);
        sent += 1;
        const at = nowMs();
        sendLagMs[index] = at - due;
        lastSentAt = at;
        void send(index, due);
      }
      if (next < offered) setTimeout(tick, Math.max(0, startedAt + next * intervalMs - nowMs()));
      else scheduleEnded();
    };
    setTimeout(tick, Math.max(0, startedAt - nowMs()));
  });
  scheduleDone = true;
  if (outstanding === 0) allAnswered();
  try {
    await answered;
  } finally {
    await pool.destroy();
  }
  return {
    offered,
    sent,
    dropped,
    ok,
    errors: sent - ok,
    errorKinds,
    scheduledAt,
    latencyMs,
    sendLagMs,
    ids,
    startedAt,
    scheduleEndAt: startedAt + offered * intervalMs,
    lastSentAt,
    finishedAt: Number.isNaN(lastAnswerAt) ? nowMs() : lastAnswerAt,
    peakOutstanding,
  };
}
