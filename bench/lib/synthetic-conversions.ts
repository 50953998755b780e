import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createKeys, type RelayKeys } from '../../src/store/keys.js';
import { Ledger } from '../../src/store/ledger.js';
import { stopAllChildren } from './children.js';
import { startRedis, type BenchRedis } from './redis-server.js';
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

export interface SyntheticStore {
  dir: string;
  redis: BenchRedis;
  client: Redis;
  keys: RelayKeys;
  /** Records kept 7 days, as the relay's defaults keep them. */
  ledger: Ledger;
}

/**
 * Runs `body` against a ledger on a Redis of its own (a `redis-server` in a
 * temp dir), then stops it all, whatever `body` did: the setup the 100k
 * scripts (console pages, export memory, search-index memory) share.
 */
export async function withSyntheticStore(
  name: string,
  options: { autoPipelining: boolean },
  body: (store: SyntheticStore) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const redis = await startRedis(name, dir);
  const client = new Redis({ path: redis.socketPath, enableAutoPipelining: options.autoPipelining });
  try {
    const keys = createKeys('relay');
    const ledger = new Ledger(client, keys, {
      retentionMs: 7 * 86_400_000,
      maxAttemptsPerDelivery: 20,
      maxIndexEntries: 200_000,
    });
    await body({ dir, redis, client, keys, ledger });
  } finally {
    client.disconnect();
    await redis.stop();
    await stopAllChildren();
    rmSync(dir, { recursive: true, force: true });
  }
}
