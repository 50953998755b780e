import type { RedisClient } from '../redis/connection.js';
import { appendBounded, isStreamId } from './streams.js';

/** One admin change as kept and shown by `GET /v1/changes`. */
export interface ChangeEntry {
  /** Stream id: the order of changes and the listing cursor. */
  id: string;
  at: string;
  /** Which token kind made the change. */
  token: string;
  method: string;
  path: string;
  status: number;
  before: unknown;
  after: unknown;
}

export type NewChange = Omit<ChangeEntry, 'id'>;

export interface ChangeStoreOptions {
  /** Changes older than this are dropped (and never shown). */
  retentionMs: number;
  /** At most this many are kept, whatever their age, so a script looping on the API cannot grow Redis without bound. */
  maxEntries: number;
}

/**
 * The admin change history: a Redis stream, newest last. A stream gives
 * time-ordered ids for free (the cursor), trimming by age (MINID) and by
 * count (MAXLEN) on the server, and one key, so it lives in the control slot.
 */
export class ChangeStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly options: ChangeStoreOptions,
    private readonly now: () => number = Date.now,
  ) {}

  async append(change: NewChange): Promise<string> {
    const results = await appendBounded(
      this.redis.multi(),
      this.key,
      'c',
      JSON.stringify(change),
      this.options,
      this.now(),
    ).exec();
    const error = results?.find(([failure]) => failure)?.[0];
    if (error) throw error;
    return results?.[0]?.[1] as string;
  }

  /** Newest first; `cursor` is the id of the last entry of the previous page. */
  async list(limit: number, cursor?: string): Promise<{ changes: ChangeEntry[]; cursor?: string }> {
    const cutoff = this.now() - this.options.retentionMs;
    const raw = (await this.redis.xrevrange(this.key, cursor ? `(${cursor}` : '+', `${cutoff}-0`, 'COUNT', limit + 1)) as Array<
      [string, string[]]
    >;
    const page = raw.slice(0, limit).map(([id, fields]) => ({ id, ...(JSON.parse(fields[1] ?? '{}') as NewChange) }));
    const last = page[page.length - 1];
    return { changes: page, ...(raw.length > limit && last ? { cursor: last.id } : {}) };
  }

  static isCursor(text: string): boolean {
    return isStreamId(text);
  }
}
