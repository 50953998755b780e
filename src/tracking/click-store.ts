import type { RedisClient } from '../redis/connection.js';
import type { Click } from '../domain/click.js';

/**
 * Clicks by transaction id. A click is written once, with the attribution
 * window as its TTL, so expiry needs no sweeper and the write is one command.
 */
export class ClickStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyOf: (transactionId: string) => string,
  ) {}

  async save(transactionId: string, click: Click, ttlMs: number): Promise<void> {
    await this.redis.set(this.keyOf(transactionId), JSON.stringify(click), 'PX', ttlMs);
  }

  async get(transactionId: string): Promise<Click | null> {
    const text = await this.redis.get(this.keyOf(transactionId));
    return text === null ? null : (JSON.parse(text) as Click);
  }
}
