import { createRandomPool } from '../random-pool.js';

/** 128 bits: unguessable even across billions of live clicks. */
export const TRANSACTION_ID_BYTES = 16;

// base64url of 16 bytes is always 22 characters, no padding.
const SHAPE = /^[A-Za-z0-9_-]{22}$/;

const pooled = createRandomPool(TRANSACTION_ID_BYTES);

/** A new transaction id: URL-safe as is, so it can sit in any part of a landing URL. `random`: for tests. */
export function newTransactionId(random?: (size: number) => Buffer): string {
  return random ? random(TRANSACTION_ID_BYTES).toString('base64url') : pooled();
}

/**
 * Whether a click id could be one this relay issued. Lets the receiver skip
 * the Redis lookup for click ids that come from someone else's tracker.
 */
export function looksLikeTransactionId(text: string | undefined): text is string {
  return typeof text === 'string' && SHAPE.test(text);
}
