import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { guard, startProgram, type ManagedChild } from './children.js';
import { waitForRedis } from '../../src/redis/local-redis.js';

export interface BenchRedis {
  name: string;
  /** `unix:///…/redis.sock`, the form REDIS_URL takes. */
  url: string;
  socketPath: string;
  child: ManagedChild;
  /** A client of the bench's own, for INFO and diagnostics only. */
  client: Redis;
  /** used_cpu_user + used_cpu_sys: the whole server (main thread and background threads). */
  cpuSeconds(): Promise<number>;
  /** INFO commandstats: calls and total µs per command since start. */
  commandStats(): Promise<Record<string, { calls: number; usec: number }>>;
  /**
   * INFO stats total_net_input_bytes / total_net_output_bytes: what clients sent and received since start;
   * total_reads_processed: the reads it made from client sockets (about one per client write that woke it).
   */
  netBytes(): Promise<{ in: number; out: number; reads: number }>;
  /** INFO memory used_memory: bytes the allocator holds for the server, data and overhead alike. */
  usedMemory(): Promise<number>;
  /** Keys in db 0. */
  dbSize(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A fresh, empty, non-persistent redis-server per phase, on a unix socket in
 * the bench's temp dir (no TCP port at all), so phases cannot see each
 * other's keys and Redis CPU is attributable to one phase.
 */
export async function startRedis(name: string, parentDir: string): Promise<BenchRedis> {
  const dir = join(parentDir, name);
  mkdirSync(dir, { recursive: true });
  const socketPath = join(dir, 'redis.sock');
  const child = startProgram(`redis-server (${name})`, 'redis-server', [
    '--port',
    '0',
    '--unixsocket',
    socketPath,
    '--unixsocketperm',
    '700',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--maxmemory-policy',
    'noeviction',
    '--loglevel',
    'warning',
    // BENCH_REDIS_ARGS: extra settings for every phase's server, e.g. "--hash-max-listpack-value 2048".
    ...(process.env.BENCH_REDIS_ARGS?.split(/\s+/).filter(Boolean) ?? []),
  ]);
  await guard(waitForRedis({ path: socketPath }, 10_000), [child]);
  const client = new Redis({ path: socketPath, maxRetriesPerRequest: 1, lazyConnect: true });
  // A server stopped under the client is expected at the end of a phase; commands still fail loudly.
  client.on('error', () => {});
  await client.connect();
  return {
    name,
    url: `unix://${socketPath}`,
    socketPath,
    child,
    client,
    async cpuSeconds() {
      const [user, sys] = await infoNumbers(client, 'cpu', ['used_cpu_user', 'used_cpu_sys']);
      return user! + sys!;
    },
    async commandStats() {
      const stats: Record<string, { calls: number; usec: number }> = {};
      for (const match of (await client.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
        stats[match[1]!] = { calls: Number(match[2]), usec: Number(match[3]) };
      }
      return stats;
    },
    async netBytes() {
      const [bytesIn, bytesOut, reads] = await infoNumbers(client, 'stats', [
        'total_net_input_bytes',
        'total_net_output_bytes',
        'total_reads_processed',
      ]);
      return { in: bytesIn!, out: bytesOut!, reads: reads! };
    },
    async usedMemory() {
      const [used] = await infoNumbers(client, 'memory', ['used_memory']);
      return used!;
    },
    dbSize: () => client.dbsize(),
    async stop() {
      client.disconnect();
      await child.stop(3_000);
    },
  };
}

/** Numeric fields of one INFO section, in the order asked; a missing one is an error, not a zero. */
async function infoNumbers(client: Redis, section: string, keys: string[]): Promise<number[]> {
  const info = await client.info(section);
  return keys.map((key) => {
    const match = new RegExp(`^${key}:([0-9.]+)\r?$`, 'm').exec(info);
    if (!match) throw new Error(`redis INFO ${section} has no ${key}`);
    return Number(match[1]);
  });
}
