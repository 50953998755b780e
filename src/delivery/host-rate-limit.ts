import type { RedisClient } from '../redis/connection.js';
import type { RelayKeys } from '../store/keys.js';
import { defineScripts } from '../redis/scripts/index.js';

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
    defineScripts(redis, 'relayHostRateReserve');
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
