import type { RedisClient } from '../redis/connection.js';
import { batchGroupFor, createTickBatcher } from '../redis/tick-batcher.js';

// One key per conversion identity holding "<latest id>\n<the id before it>".
// For each identity key (KEYS) and new conversion id (ARGV[i + 1]): swap in
// the new id and answer the one it replaces. A re-run for the same
// conversion (the worker crashed after linking, before recording) finds
// itself as the latest and answers the id it was linked to the first time
// instead of linking to itself. On Redis Cluster each call holds one key.
const LINK = `
local out = {}
for i = 1, #KEYS do
  local id = ARGV[i + 1]
  local value = redis.call('GET', KEYS[i])
  local latest = ''
  local before = ''
  local relinked = false
  if value then
    local cut = string.find(value, '\\n', 1, true)
    if cut then
      latest = string.sub(value, 1, cut - 1)
      before = string.sub(value, cut + 1)
    else
      latest = value
    end
    if latest == id then
      out[i] = before
      relinked = true
    end
  end
  if not relinked then
    redis.call('SET', KEYS[i], id .. '\\n' .. latest, 'PX', ARGV[1])
    out[i] = latest
  end
end
return out
`;

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
    redis.defineCommand('relayLinkConversions', { lua: LINK });
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
