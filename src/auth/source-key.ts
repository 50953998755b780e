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
  return sameDigest(storedDigest(storedSha256), presentedDigest(presented));
}

const storedDigest = (storedSha256: string): Buffer => Buffer.from(storedSha256, 'hex');
const presentedDigest = (key: string): Buffer => hash('sha256', key, 'buffer');

function sameDigest(expected: Buffer, actual: Buffer): boolean {
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * `keyMatches` for the receiver, with the digests of recently seen keys kept:
 * a network sends the same key with every postback, and hashing it again was
 * most of the receiver's hashing (~1 % of the relay's CPU in the bench's
 * profile). Bounded, oldest first out, so keys sprayed at the endpoint only
 * churn it. The comparison is still of digests, in constant time.
 */
export function createKeyMatcher(maxEntries = 1_000): (presented: string, storedSha256: string) => boolean {
  const digests = new Map<string, Buffer>();
  const digestOf = (text: string, make: (text: string) => Buffer): Buffer => {
    let digest = digests.get(text);
    if (digest === undefined) {
      digest = make(text);
      if (digests.size >= maxEntries) digests.delete(digests.keys().next().value as string);
      digests.set(text, digest);
    }
    return digest;
  };
  return function matches(presented, storedSha256) {
    // Prefixed: a presented key spelt like a stored digest must not share its entry.
    const expected = digestOf(`s:${storedSha256}`, (text) => storedDigest(text.slice(2)));
    const actual = digestOf(`k:${presented}`, (text) => presentedDigest(text.slice(2)));
    return sameDigest(expected, actual);
  };
}
