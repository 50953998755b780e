import type { RedisClient } from '../redis/connection.js';

export interface WalkOptions {
  /** Most items to answer. */
  limit: number;
  cursor?: string;
  /** Only entries scored at or above / at or below these (unix ms). */
  minScore?: number;
  maxScore?: number;
  /**
   * Most index entries read in one call. A filter the index does not serve
   * (a host, a state) may match rarely; past this the page ends short, with a
   * cursor, so one request never reads more than this many records.
   */
  budget: number;
}

export interface WalkPage<T> {
  items: T[];
  cursor?: string;
  /** Entries read from the index (what the call cost). */
  scanned: number;
}

/** Records loaded for ids (null: gone) and whether each belongs on the page. */
export type Load<T> = (ids: string[]) => Promise<Array<T | null>>;

/**
 * One page of a sorted-set index, highest score (newest) first, keeping the
 * entries `load` finds and `accept` takes. The index is walked in chunks
 * until the page is full, the index (or its score range) ends, or `budget`
 * entries were read; the cursor then points after the last entry read (or
 * the last one answered), so the next call resumes exactly there.
 *
 * The cursor is the entry's score and id: paging resumes from the entry's
 * rank, or from its score if it has since left the index.
 */
export async function walkIndex<T>(
  redis: RedisClient,
  key: string,
  options: WalkOptions,
  load: Load<T>,
  accept: (item: T) => boolean = () => true,
): Promise<WalkPage<T>> {
  let rank = await startRank(redis, key, options);
  const items: T[] = [];
  let scanned = 0;
  let last: { score: string; id: string } | undefined;
  // Read a little more than the page when filtering, never more than the budget.
  const chunk = Math.min(Math.max(options.limit, 100), 1_000);
  for (;;) {
    const want = Math.min(chunk, options.budget - scanned);
    if (want <= 0) break;
    const flat = await redis.zrevrange(key, rank, rank + want - 1, 'WITHSCORES');
    const entries: Array<{ id: string; score: string }> = [];
    let ended = flat.length < want * 2;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      if (options.minScore !== undefined && Number(flat[i + 1]) < options.minScore) {
        ended = true;
        break;
      }
      entries.push({ id: flat[i]!, score: flat[i + 1]! });
    }
    const records = await load(entries.map((entry) => entry.id));
    for (let i = 0; i < entries.length; i += 1) {
      scanned += 1;
      last = entries[i];
      const record = records[i];
      if (record !== null && record !== undefined && accept(record)) {
        items.push(record);
        if (items.length === options.limit) {
          // Full: more may follow unless this was the index's last entry.
          const more = i < entries.length - 1 || !ended;
          return { items, scanned, ...(more ? { cursor: encodeCursor(last!.score, last!.id) } : {}) };
        }
      }
    }
    rank += entries.length;
    if (ended) return { items, scanned };
  }
  return { items, scanned, ...(last ? { cursor: encodeCursor(last.score, last.id) } : {}) };
}

async function startRank(redis: RedisClient, key: string, options: WalkOptions): Promise<number> {
  const decoded = options.cursor ? decodeCursor(options.cursor) : null;
  if (decoded) {
    const rank = await redis.zrevrank(key, decoded.id);
    if (rank !== null) return rank + 1;
    return redis.zcount(key, `(${decoded.score}`, '+inf');
  }
  // Skip what is newer than the range: the entries scored above maxScore.
  if (options.maxScore !== undefined) return redis.zcount(key, `(${options.maxScore}`, '+inf');
  return 0;
}

export function encodeCursor(score: string, id: string): string {
  return Buffer.from(`${score}|${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { score: number; id: string } | null {
  const text = Buffer.from(cursor, 'base64url').toString();
  const separator = text.indexOf('|');
  const score = Number(text.slice(0, separator));
  if (separator < 1 || !Number.isFinite(score)) return null;
  return { score, id: text.slice(separator + 1) };
}
