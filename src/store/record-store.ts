import type { RedisClient } from '../redis/connection.js';

/**
 * Operator-edited JSON records (sources, accounts) with an id set for
 * listing. Value and id set change in one MULTI so a list never names a
 * record that is not there.
 */
export class RecordStore<T> {
  private readonly changeListeners: Array<(id: string) => void> = [];

  constructor(
    private readonly redis: RedisClient,
    private readonly keyOf: (id: string) => string,
    private readonly idsKey: string,
  ) {}

  async get(id: string): Promise<T | null> {
    const text = await this.redis.get(this.keyOf(id));
    return text === null ? null : (JSON.parse(text) as T);
  }

  /** Returns true when the record was new. */
  async put(id: string, value: T): Promise<boolean> {
    const results = await this.redis.multi().set(this.keyOf(id), JSON.stringify(value)).sadd(this.idsKey, id).exec();
    this.changed(id);
    return results?.[1]?.[1] === 1;
  }

  async delete(id: string): Promise<boolean> {
    const results = await this.redis.multi().del(this.keyOf(id)).srem(this.idsKey, id).exec();
    this.changed(id);
    return results?.[0]?.[1] === 1;
  }

  /** Called after every put or delete through this store: in-process caches drop the entry. */
  onChange(listener: (id: string) => void): void {
    this.changeListeners.push(listener);
  }

  private changed(id: string): void {
    for (const listener of this.changeListeners) listener(id);
  }

  async list(): Promise<Array<{ id: string; value: T }>> {
    const ids = (await this.redis.smembers(this.idsKey)).sort();
    if (ids.length === 0) return [];
    const texts = await this.redis.mget(ids.map((id) => this.keyOf(id)));
    return ids.flatMap((id, index) => {
      const text = texts[index];
      return text ? [{ id, value: JSON.parse(text) as T }] : [];
    });
  }
}
