import { CidrSet } from '../net/cidr.js';

export { hashKey, createKeyMatcher } from '../auth/source-key.js';
// One reader of `Authorization: Bearer` (scheme in any case) for source keys and admin tokens alike.
export { bearerToken } from '../auth/token-auth.js';

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
