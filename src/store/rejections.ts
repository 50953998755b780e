import type { RedisClient } from '../redis/connection.js';
import { appendBounded, compareStreamIds, isStreamId, streamIdTime } from './streams.js';

/** A refused inbound postback, as kept and shown by `GET /v1/rejections`. */
export interface Rejection {
  /** Stream id: the order of rejections and the listing cursor. */
  id: string;
  at: string;
  /** The source name as sent (cut to 128 characters), known or not. */
  source: string;
  /** Whether that name is a configured source; unknown names share one bucket. */
  known_source: boolean;
  ip: string;
  method: string;
  status: number;
  /** The answer's error code (`unauthorized`, `invalid_conversion`, …). */
  error: string;
  message?: string;
  /** The fields at fault, for a 400. */
  fields: string[];
  /** The query string as sent, secrets (`key`, …) replaced by `***`, cut to 2 KiB. */
  query: string;
}

export type NewRejection = Omit<Rejection, 'id'>;

export interface RejectionKeys {
  /** The stream of one configured source's rejections. */
  rejectionsOf: (source: string) => string;
  /** The one stream of every unknown source name: a scan of random names must not create keys. */
  rejectionsUnknown: string;
  /** The sources that have a stream, so a listing across them knows where to look. */
  rejectionSources: string;
}

export interface RejectionStoreOptions {
  /** Newest this many are kept per source (and in the unknown bucket). */
  keepPerSource: number;
  retentionMs: number;
}

export interface RejectionFilter {
  source?: string;
  reason?: string;
  /** Unix ms: nothing older. */
  since?: number;
  limit: number;
  cursor?: string;
}

/** A listing reads at most this many entries per call, so a rare reason cannot make it walk everything. */
const MAX_SCANNED = 5_000;

/**
 * Refused postbacks, one Redis stream per configured source plus one for
 * unknown names, trimmed by count (exact MAXLEN: the bound is promised) and by age (MINID). All of them
 * live in the control slot so one transaction writes a stream and the set
 * of streams on Redis Cluster too; rejections are rare next to conversions.
 */
export class RejectionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RejectionKeys,
    private readonly options: RejectionStoreOptions,
    private readonly now: () => number = Date.now,
  ) {}

  async record(rejection: NewRejection): Promise<void> {
    const key = this.streamOf(rejection.known_source ? rejection.source : undefined);
    const bounds = { maxEntries: this.options.keepPerSource, retentionMs: this.options.retentionMs };
    const transaction = appendBounded(this.redis.multi(), key, 'r', JSON.stringify(rejection), bounds, this.now());
    if (rejection.known_source) transaction.sadd(this.keys.rejectionSources, rejection.source);
    const results = await transaction.exec();
    const error = results?.find(([failure]) => failure)?.[0];
    if (error) throw error;
  }

  /**
   * Newest first across the streams the filter names. Each stream is read
   * below the cursor in chunks and the chunks merged; only entries newer
   * than the oldest one every still-full stream reached are certain to be
   * in order, so a merge ends there and the next read continues from it.
   * Ids are per stream, so two sources' rejections of one millisecond may
   * share an id: a page never ends between them (it may then hold a few
   * more than `limit`), since the cursor excludes its id in every stream.
   */
  async list(filter: RejectionFilter): Promise<{ rejections: Rejection[]; cursor?: string }> {
    const floor = `${Math.max(filter.since ?? 0, this.now() - this.options.retentionMs)}-0`;
    const { streams, sourceName } = await this.streamsFor(filter.source);
    const found: Rejection[] = [];
    let cursor = filter.cursor;
    let scanned = 0;
    const chunk = Math.min(500, filter.limit + 1);
    while (scanned < MAX_SCANNED) {
      const reads = await Promise.all(
        streams.map(
          (key) =>
            this.redis.xrevrange(key, cursor ? `(${cursor}` : '+', floor, 'COUNT', chunk) as Promise<Array<[string, string[]]>>,
        ),
      );
      // Streams that returned a full chunk may hold more below their last entry.
      const boundary = reads
        .filter((entries) => entries.length === chunk)
        .map((entries) => entries[entries.length - 1]![0])
        .reduce<string | undefined>(
          (highest, id) => (highest === undefined || compareStreamIds(id, highest) > 0 ? id : highest),
          undefined,
        );
      const merged = reads
        .flat()
        .filter(([id]) => boundary === undefined || compareStreamIds(id, boundary) >= 0)
        .sort(([a], [b]) => compareStreamIds(b, a));
      for (const [id, fields] of merged) {
        // The page is full once an entry older than its last one shows up: there is more.
        if (found.length >= filter.limit && compareStreamIds(id, found[filter.limit - 1]!.id) !== 0) {
          return { rejections: found, cursor: found[found.length - 1]!.id };
        }
        scanned++;
        cursor = id;
        const rejection = { id, ...(JSON.parse(fields[1] ?? '{}') as NewRejection) };
        if (
          (filter.reason === undefined || rejection.error === filter.reason) &&
          (sourceName === undefined || rejection.source === sourceName)
        ) {
          found.push(rejection);
        }
      }
      // Every stream is exhausted below the cursor.
      if (boundary === undefined) return { rejections: found };
    }
    // The scan budget ran out (a rare filter): the caller continues from where it stopped.
    return { rejections: found, ...(cursor ? { cursor } : {}) };
  }

  /**
   * When each rejection of every stream since `sinceMs` came in (read from
   * the ids alone), at most `capPerStream` per stream; `capped` says a
   * stream had more. For counts (the console's overview), not listings.
   */
  async timesSince(sinceMs: number, capPerStream: number): Promise<{ times: number[]; capped: boolean }> {
    const { streams } = await this.streamsFor(undefined);
    const times: number[] = [];
    let capped = false;
    for (const stream of streams) {
      const entries = await this.redis.xrevrange(stream, '+', String(sinceMs), 'COUNT', capPerStream);
      if (entries.length === capPerStream) capped = true;
      for (const [id] of entries) times.push(streamIdTime(id));
    }
    return { times, capped };
  }

  static isCursor(text: string): boolean {
    return isStreamId(text);
  }

  private streamOf(knownSource: string | undefined): string {
    return knownSource === undefined ? this.keys.rejectionsUnknown : this.keys.rejectionsOf(knownSource);
  }

  /**
   * The streams a source filter reads: a configured source's own; `unknown`,
   * the shared bucket; any other name, the shared bucket's entries sent under it.
   */
  private async streamsFor(source: string | undefined): Promise<{ streams: string[]; sourceName?: string }> {
    if (source === undefined) {
      const sources = await this.redis.smembers(this.keys.rejectionSources);
      return { streams: [this.keys.rejectionsUnknown, ...sources.map((name) => this.keys.rejectionsOf(name))] };
    }
    if ((await this.redis.sismember(this.keys.rejectionSources, source)) === 1)
      return { streams: [this.keys.rejectionsOf(source)] };
    return source === 'unknown'
      ? { streams: [this.keys.rejectionsUnknown] }
      : { streams: [this.keys.rejectionsUnknown], sourceName: source };
  }
}
