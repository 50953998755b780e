/**
 * `npx tsx bench/search-index-memory.ts`: the Redis memory the conversion
 * search indexes cost per conversion. The ledger records N conversions (as
 * the worker does, with realistic ids) on a fresh redis-server; then
 * MEMORY USAGE (every element sampled) of each index kind, divided by N, and
 * used_memory before and after for the whole record.
 *
 * Spread: SEARCH_N conversions (default 100,000) over 20 sources, 200
 * accounts and 1,000 offers, each with its own click id, so the time, source
 * and account sets are large (skiplist-encoded, the costly case) and the
 * per-offer sets small (listpack) as at this volume they would be.
 */
import { Redis } from 'ioredis';
import { inBatches, syntheticConversion, withSyntheticStore } from './lib/synthetic-conversions.js';

const N = Number(process.env.SEARCH_N ?? 100_000);
const BATCH = 500;

async function sumUsage(client: Redis, pattern: string): Promise<{ keys: number; bytes: number }> {
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  do {
    const [next, found] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    for (const key of found) {
      keys += 1;
      bytes += (await client.memory('USAGE', key, 'SAMPLES', 0)) ?? 0;
    }
  } while (cursor !== '0');
  return { keys, bytes };
}

async function main(): Promise<void> {
  await withSyntheticStore('search-index', { autoPipelining: false }, async ({ redis, client, ledger }) => {
    const before = await redis.usedMemory();
    const statsBefore = await redis.commandStats();
    const start = Date.now() - N * 10;
    await inBatches(N, BATCH, (i, j, batchId) =>
      ledger.saveUndelivered(
        // Ids as the intake makes them for batches larger than a job holds.
        {
          ...syntheticConversion(i, `${batchId}-${j % 64}${j >= 64 ? `x${Math.floor(j / 64)}` : ''}`, start + i * 10),
          event: 'conversion',
        },
        'no_postback',
        'no template',
      ),
    );
    const after = await redis.usedMemory();
    const statsAfter = await redis.commandStats();
    const usec = (command: string) => (statsAfter[command]?.usec ?? 0) - (statsBefore[command]?.usec ?? 0);
    const calls = (command: string) => (statsAfter[command]?.calls ?? 0) - (statsBefore[command]?.calls ?? 0);
    const kinds = {
      'time (one set)': await sumUsage(client, '{relay}:ix:cs'),
      'by source (20 sets)': await sumUsage(client, '{relay}:ix:cs:src:*'),
      'by account (200 sets)': await sumUsage(client, '{relay}:ix:cs:acct:*'),
      'by offer (1,000 sets)': await sumUsage(client, '{relay}:ix:cs:offer:*'),
      'by click id (existing, one set per click)': await sumUsage(client, 'relay:ix:click:*'),
      'conversion records': await sumUsage(client, 'relay:conv:*'),
    };
    console.log(
      `search index memory, ${N.toLocaleString('en')} conversions (redis ${(await client.info('server')).match(/redis_version:(\S+)/)?.[1]})`,
    );
    let added = 0;
    for (const [kind, { keys: count, bytes }] of Object.entries(kinds)) {
      console.log(
        `  ${kind.padEnd(44)} ${count.toString().padStart(7)} keys  ${(bytes / N).toFixed(1).padStart(7)} bytes/conversion`,
      );
      if (kind.startsWith('time') || kind.startsWith('by source') || kind.startsWith('by account') || kind.startsWith('by offer'))
        added += bytes;
    }
    console.log(`  added by time+source+account+offer: ${(added / N).toFixed(1)} bytes/conversion`);
    const all = Object.keys(statsAfter).reduce((sum, command) => sum + usec(command), 0);
    console.log(
      `  redis CPU: zadd ${(usec('zadd') / N).toFixed(2)} µs/conversion (${(calls('zadd') / (N / BATCH)).toFixed(0)} calls per ${BATCH}-conversion turn), ` +
        `all commands ${(all / N).toFixed(2)} µs/conversion (zadd includes the click and no_postback-listing entries)`,
    );
    console.log(
      `  used_memory after − before (records, all indexes, the no_postback listing): ${((after - before) / N).toFixed(1)} bytes/conversion`,
    );
  });
}

await main();
