import type { RedisClient } from '../redis/connection.js';

/**
 * What the relay's bounded logs (the admin change history, the rejection
 * log) share: each is a Redis stream whose ids are `<unix ms>-<seq>`, the
 * order and the listing cursor, trimmed on every append by count and by age.
 */

const STREAM_ID = /^\d{1,16}-\d{1,16}$/;

/** Whether `text` can be a stream id (a cursor handed out by a listing). */
export function isStreamId(text: string): boolean {
  return STREAM_ID.test(text);
}

/** Stream ids in time order (numerically: `999-0` comes before `1000-0`). */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/** The unix ms an entry was added at: the first part of its id. */
export function streamIdTime(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

export interface StreamBounds {
  /** At most this many entries, whatever their age (exact MAXLEN: the bound is promised). */
  maxEntries: number;
  /** Entries older than this are trimmed (and the stream expires when nothing is added for as long). */
  retentionMs: number;
}

/**
 * Adds one entry (`field` = `value`) to `key` inside `transaction`, trimmed
 * to `bounds` in the same transaction. The XADD is the transaction's first
 * command added here, so its result (the new id) is at that position.
 */
export function appendBounded(
  transaction: ReturnType<RedisClient['multi']>,
  key: string,
  field: string,
  value: string,
  bounds: StreamBounds,
  now: number,
): ReturnType<RedisClient['multi']> {
  return transaction
    .xadd(key, 'MAXLEN', String(bounds.maxEntries), '*', field, value)
    .xtrim(key, 'MINID', '~', String(now - bounds.retentionMs))
    .pexpire(key, bounds.retentionMs);
}
