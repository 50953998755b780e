/**
 * A short-lived, bounded, in-process cache of records read from Redis. The
 * click endpoint is hot: with it, a click costs one Redis write, not a read
 * and a write. An edit made through another process shows after at most `ttlMs`.
 */
export interface RecordCache<T> {
  get(id: string): Promise<T | null>;
  /** Drops an entry at once, after an edit made through this process. */
  invalidate(id: string): void;
}

export interface RecordCacheOptions {
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

interface Entry<T> {
  value: Promise<T | null>;
  expiresAt: number;
}

export function createRecordCache<T>(load: (id: string) => Promise<T | null>, options: RecordCacheOptions): RecordCache<T> {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry<T>>();

  return {
    get(id) {
      if (options.ttlMs <= 0) return load(id);
      const hit = entries.get(id);
      if (hit && hit.expiresAt > now()) return hit.value;
      if (hit) entries.delete(id);
      // The promise itself is cached, so a burst of clicks on a cold offer makes one read.
      // Misses are cached too: a flood of clicks on made-up offer ids must not become a flood of reads.
      const value = load(id);
      const entry: Entry<T> = { value, expiresAt: now() + options.ttlMs };
      if (entries.size >= options.maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done !== true) entries.delete(oldest.value);
      }
      entries.set(id, entry);
      // A failed read (Redis away) is not remembered: the next click tries again.
      value.catch(() => {
        if (entries.get(id) === entry) entries.delete(id);
      });
      return value;
    },
    invalidate(id) {
      entries.delete(id);
    },
  };
}
