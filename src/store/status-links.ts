import type { RedisClient } from '../redis/connection.js';
import { batchGroupFor, createTickBatcher } from '../redis/tick-batcher.js';
import { defineScripts } from '../redis/scripts/index.js';

type Scripted = RedisClient & {
  relayLinkConversions(keyCount: number, ...keysAndArgs: Array<string | number>): Promise<string[]>;
};

/**
 * Links the reports of one conversion (its status changes: pending ->
 * approved -> reversed) so the audit can show each one's predecessor. The
 * worker calls it as it records a conversion; the receiver's path is untouched.
 */
export class StatusLinks {
  private readonly redis: Scripted;

  constructor(
    redis: RedisClient,
    private readonly keyOf: (identity: string) => string,
    /** How long an identity remembers its latest conversion. */
    private readonly ttlMs: number,
  ) {
    defineScripts(redis, 'relayLinkConversions');
    this.redis = redis as Scripted;
    this.batchGroup = batchGroupFor(redis);
  }

  private readonly batchGroup: (key: string) => string;

  /** Links asked for in one turn go in one script call (one per key on a cluster, where keys spread over slots). */
  private readonly linkBatched = createTickBatcher<{ key: string; conversionId: string }, string>(async (_group, links) =>
    this.redis.relayLinkConversions(
      links.length,
      ...links.map((link) => link.key),
      this.ttlMs,
      ...links.map((link) => link.conversionId),
    ),
  );

  /** Makes `conversionId` the latest of `identity`; answers the id it follows, if any. */
  async link(identity: string, conversionId: string): Promise<string | undefined> {
    const key = this.keyOf(identity);
    const previous = await this.linkBatched(this.batchGroup(key), { key, conversionId });
    return previous ? previous : undefined;
  }
}
