import { hash, timingSafeEqual } from 'node:crypto';
import { CidrSet } from '../net/cidr.js';

export function hashKey(key: string): string {
  return hash('sha256', key, 'hex');
}

// One reader of `Authorization: Bearer` (scheme in any case) for source keys and admin tokens alike.
export { bearerToken } from '../auth/token-auth.js';

/** Compares digests, not keys, so the comparison takes the same time whatever the key's length. */
export function keyMatches(presented: string, storedSha256: string): boolean {
  const expected = Buffer.from(storedSha256, 'hex');
  const actual = hash('sha256', presented, 'buffer');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * Parsing an allow-list per request would cost more than the check itself;
 * sets are cached by their text, bounded so edited lists cannot pile up.
 */
export function createAllowListCache(maxEntries = 1_000) {
  const cache = new Map<string, CidrSet>();
  return function isAllowed(cidrs: readonly string[], address: string): boolean {
    if (cidrs.length === 0) return true;
    const cacheKey = cidrs.join(',');
    let set = cache.get(cacheKey);
    if (!set) {
      set = new CidrSet(cidrs);
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
      cache.set(cacheKey, set);
    }
    return set.has(address);
  };
}
