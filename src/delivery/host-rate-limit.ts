import type { RedisClient } from '../redis/connection.js';
import type { RelayKeys } from '../store/keys.js';

// GCRA with reservations, on Redis's clock (workers' clocks may disagree):
// each call reserves the next free send time of the host and answers how
// many ms from now it is. The theoretical arrival time (TAT) only moves
// forward by one interval per reservation, so all workers together never
// send faster than the limit, and a backlog is spread evenly, not in bursts.
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil(tat + interval - now) + 1000)
return math.floor(tat - now)
`;

type WithReserve = RedisClient & { relayHostRateReserve(key: string, intervalMs: number): Promise<number> };

/**
 * Optional per-host request rates (requests per second, by `host[:port]` as
 * the URL carries it), shared by every worker through Redis. A host without
 * a limit costs nothing: no Redis call.
 */
export class HostRateLimiter {
  private readonly redis: WithReserve;

  constructor(
    redis: RedisClient,
    private readonly keys: RelayKeys,
    private readonly perSecond: Readonly<Record<string, number>>,
  ) {
    redis.defineCommand('relayHostRateReserve', { numberOfKeys: 1, lua: RESERVE });
    this.redis = redis as WithReserve;
  }

  limitOf(host: string): number | undefined {
    return Object.hasOwn(this.perSecond, host) ? this.perSecond[host] : undefined;
  }

  /** Reserves the host's next send slot: ms from now until it (0 when it may go now). Only for limited hosts. */
  async reserve(host: string): Promise<number> {
    const limit = this.limitOf(host);
    if (limit === undefined) return 0;
    return Math.max(0, await this.redis.relayHostRateReserve(this.keys.hostRate(host), 1000 / limit));
  }
}
