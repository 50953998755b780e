import { randomBytes } from 'node:crypto';
import type { Conversion } from '../../src/domain/conversion.js';

/**
 * The i-th of many stored conversions, spread the way a busy relay's are:
 * 20 sources, 200 accounts, 1,000 offers, a unique click id each. The
 * scripts that measure search, export and the console's pages at 100,000
 * conversions share it, so their figures describe the same data.
 */
export function syntheticConversion(i: number, id: string, receivedAt: number): Conversion {
  return {
    id,
    source: `source-${i % 20}`,
    account: `account-${i % 200}`,
    offer_id: String(1000 + (i % 1000)),
    click_id: randomBytes(16).toString('base64url'),
    event: 'sale',
    payout: '1.50',
    received_at: receivedAt,
  };
}

/** Calls `each` for 0..n-1, `size` at a time side by side, each batch with a fresh job-like id. */
export async function inBatches(
  n: number,
  size: number,
  each: (i: number, indexInBatch: number, batchId: string) => Promise<unknown>,
): Promise<void> {
  for (let done = 0; done < n; done += size) {
    const batchId = randomBytes(12).toString('base64url');
    await Promise.all(Array.from({ length: Math.min(size, n - done) }, (_, j) => each(done + j, j, batchId)));
  }
}
