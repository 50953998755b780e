import type { RedisClient } from '../redis/connection.js';

// One key per conversion identity holding "<latest id>\n<the id before it>".
// Swapping in the new id and reading the one it replaces is one round trip,
// and a re-run for the same conversion (the worker crashed after linking,
// before recording) finds itself as the latest and answers the id it was
// linked to the first time instead of linking to itself. One key per call, so
// it stays valid on Redis Cluster.
const LINK = `
local value = redis.call('GET', KEYS[1])
local latest = ''
local before = ''
if value then
  local cut = string.find(value, '\\n', 1, true)
  if cut then
    latest = string.sub(value, 1, cut - 1)
    before = string.sub(value, cut + 1)
  else
    latest = value
  end
  if latest == ARGV[1] then return before end
end
redis.call('SET', KEYS[1], ARGV[1] .. '\\n' .. latest, 'PX', ARGV[2])
return latest
`;

type Scripted = RedisClient & {
  relayLinkConversion(key: string, conversionId: string, ttlMs: number): Promise<string>;
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
    redis.defineCommand('relayLinkConversion', { numberOfKeys: 1, lua: LINK });
    this.redis = redis as Scripted;
  }

  /** Makes `conversionId` the latest of `identity`; answers the id it follows, if any. */
  async link(identity: string, conversionId: string): Promise<string | undefined> {
    const previous = await this.redis.relayLinkConversion(this.keyOf(identity), conversionId, this.ttlMs);
    return previous ? previous : undefined;
  }
}
