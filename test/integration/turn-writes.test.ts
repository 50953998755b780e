import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, waitUntilReady, type RedisClient } from '../../src/redis/connection.js';
import { createTickBatcher } from '../../src/redis/tick-batcher.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';

/**
 * A turn's batches reach Redis together: a server of this test's own counts
 * the reads it made from its clients, and the batches of one turn on one
 * connection are one read, not one per batch.
 */
let server: TestRedisServer;
let client: RedisClient;

beforeAll(async () => {
  server = await startRedisServer();
  client = connectRedis(server.url, 'background', { commandTimeoutMs: 5_000, autoPipelining: false });
  await waitUntilReady(client, 5_000);
});
afterAll(async () => {
  await client.quit();
  await server.cleanup();
});

async function readsProcessed(): Promise<number> {
  const stats = await client.info('stats');
  return Number(/total_reads_processed:(\d+)/.exec(stats)![1]);
}

describe('a turn of batches on one connection', () => {
  it('reaches Redis in one read', async () => {
    const counters = ['a', 'b', 'c'].map((name) =>
      createTickBatcher<number, number>(async (_group, inputs) => {
        const total = await client.incrby(`turn-writes:${name}`, inputs.length);
        return inputs.map(() => total);
      }),
    );
    const turns = 20;
    const before = await readsProcessed();
    for (let turn = 0; turn < turns; turn++) {
      await Promise.all(counters.map((count) => count('', turn)));
    }
    // One read per turn, and the INFO command of each reading.
    expect((await readsProcessed()) - before).toBe(turns + 1);
    expect(await client.mget('turn-writes:a', 'turn-writes:b', 'turn-writes:c')).toEqual(['20', '20', '20']);
  });
});
