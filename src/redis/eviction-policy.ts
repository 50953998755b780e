import { Cluster } from 'ioredis';
import type { RedisClient } from './connection.js';

/**
 * The one `maxmemory-policy` the relay can live with: under any other, Redis
 * at its memory limit silently deletes keys, and those may be accepted
 * conversions, their queue jobs or their ledger records (BullMQ requires it).
 */
export const REQUIRED_POLICY = 'noeviction';

/** `maxmemory_policy` from an `INFO memory` answer. */
export function policyFromInfo(info: string): string | undefined {
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

/**
 * The first eviction policy that is not `noeviction` on the server (every
 * master of a cluster), or null when none evicts. Read with INFO rather
 * than CONFIG GET: managed Redis services often rename or forbid CONFIG.
 * An answer without the field (an old or unusual server) counts as fine:
 * nothing can be said, and refusing to run would be worse.
 */
export async function findEvictionPolicy(redis: RedisClient): Promise<string | null> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    const policy = policyFromInfo(await node.info('memory'));
    if (policy !== undefined && policy !== REQUIRED_POLICY) return policy;
  }
  return null;
}

export function evictionMessage(policy: string): string {
  return `Redis maxmemory-policy is ${policy}: at its memory limit Redis would delete accepted conversions; set maxmemory-policy noeviction`;
}
