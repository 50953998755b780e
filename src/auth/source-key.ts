import { hash, timingSafeEqual } from 'node:crypto';

/**
 * Source keys are stored as SHA-256 digests, never as given: the receiver
 * checks them and the admin API writes them, so the rule lives here, in
 * neither feature.
 */
export function hashKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** Compares digests, not keys, so the comparison takes the same time whatever the key's length. */
export function keyMatches(presented: string, storedSha256: string): boolean {
  const expected = Buffer.from(storedSha256, 'hex');
  const actual = hash('sha256', presented, 'buffer');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
