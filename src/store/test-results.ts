import type { RedisClient } from '../redis/connection.js';

export interface TestResultsOptions {
  /** Results kept per account, newest first. */
  maxPerAccount: number;
  retentionMs: number;
}

/**
 * The last test postbacks of each account: a capped list that expires with
 * the audit retention, so "did my test reach the tracker?" has an answer
 * after the HTTP response is gone.
 */
export class TestResultStore<T> {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyOf: (accountId: string) => string,
    private readonly options: TestResultsOptions,
  ) {}

  async add(accountId: string, result: T): Promise<void> {
    const key = this.keyOf(accountId);
    await this.redis
      .multi()
      .lpush(key, JSON.stringify(result))
      .ltrim(key, 0, this.options.maxPerAccount - 1)
      .pexpire(key, this.options.retentionMs)
      .exec();
  }

  async list(accountId: string): Promise<T[]> {
    const items = await this.redis.lrange(this.keyOf(accountId), 0, -1);
    return items.map((item) => JSON.parse(item) as T);
  }
}
