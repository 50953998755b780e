import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { VARIADIC_SCRIPTS } from './scripts/index.js';
import { coalesceTurnWrites } from './turn-writes.js';

/** A single server or a cluster: the relay uses only what both offer. */
export type RedisClient = Redis | Cluster;

export type RedisRole =
  /** Request path: fail fast (no offline queue) so the receiver can answer 503 at once. */
  | 'request'
  /** BullMQ workers and background jobs: wait for Redis to come back, forever. */
  | 'background';

/**
 * Opens an ioredis client with the options BullMQ and the request path each
 * need. `redis-cluster://host:port,host:port` connects to a Redis Cluster
 * through the listed seed nodes.
 */
export function connectRedis(
  url: string,
  role: RedisRole,
  options: {
    commandTimeoutMs: number;
    /**
     * Off for BullMQ's clients: ioredis copies every script defined on a client
     * onto each pipeline it builds, auto-pipelines included, and BullMQ defines
     * some sixty (in a profile, 3 % of the relay's CPU went to copying them for
     * the worker's fetch and completion calls). Off for the worker's own
     * client too, whose writes are batched per turn already.
     */
    autoPipelining?: boolean;
  },
): RedisClient {
  const autoPipelining = options.autoPipelining ?? true;
  const common: RedisOptions = {
    lazyConnect: false,
    // BullMQ requires this for blocking connections; elsewhere it makes a
    // command wait for reconnection instead of failing after 20 tries.
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    // Commands issued in the same tick travel together: the many small reads
    // and writes of one request cost one round trip.
    enableAutoPipelining: autoPipelining,
  };
  const byRole: RedisOptions =
    role === 'request' ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: options.commandTimeoutMs } : {};
  if (url.startsWith('redis-cluster://')) {
    const seeds = url
      .slice('redis-cluster://'.length)
      .split(',')
      .map((node) => targetOf(`redis://${node}`));
    const cluster = new Cluster(seeds, {
      redisOptions: { ...common, ...byRole },
      enableOfflineQueue: role !== 'request',
      enableAutoPipelining: autoPipelining,
      // The relay's variadic scripts take the key count as their first argument
      // (see src/redis/scripts/). ioredis's auto-pipelining routes a call by its
      // first argument, which for these is the count, not a key: they are sent
      // unpipelined and routed by their real keys.
      autoPipeliningIgnoredCommands: [...VARIADIC_SCRIPTS],
      clusterRetryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    coalesceTurnWrites(cluster);
    return cluster;
  }
  const client = new Redis({ ...targetOf(url), ...common, ...byRole });
  coalesceTurnWrites(client);
  return client;
}

/** `redis://`, `rediss://` or `unix:///path/to/redis.sock` (how tests and the local server connect). */
function targetOf(url: string): RedisOptions {
  if (url.startsWith('unix://')) return { path: url.slice('unix://'.length) };
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** Resolves when the client is ready, or rejects after `timeoutMs`. */
export async function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
    };
    client.on('ready', onReady);
  });
}
