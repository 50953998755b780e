import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { resolve } from 'node:path';
import type { Logger } from 'pino';

/**
 * `REDIS_URL` unset: use a Redis on 127.0.0.1:6379 when one answers, else run
 * our own `redis-server` with its data (AOF on) in the data directory, on a
 * unix socket so it can never clash with another port.
 */
export interface LocalRedis {
  url: string;
  stop(): Promise<void>;
}

export async function findOrStartLocalRedis(
  dataDir: string,
  logger: Logger,
  /** Where a shared local Redis is looked for first; tests point it at a closed port. */
  probe: { host: string; port: number } = { host: '127.0.0.1', port: 6379 },
): Promise<LocalRedis> {
  if (await answersPing(probe)) {
    logger.info(`REDIS_URL unset: using the Redis on ${probe.host}:${probe.port}`);
    return { url: `redis://${probe.host}:${probe.port}`, stop: async () => {} };
  }
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const socketPath = resolve(dir, 'redis.sock');
  if (await answersPing({ path: socketPath })) {
    logger.info({ socketPath }, 'REDIS_URL unset: using the relay redis-server already running in the data directory');
    return { url: `unix://${socketPath}`, stop: async () => {} };
  }
  const child = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--unixsocket',
      socketPath,
      '--unixsocketperm',
      '700',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--maxmemory-policy',
      'noeviction',
      // Job and delivery hashes carry values (URLs, JSON) over the default 64-byte
      // listpack limit; a compact encoding saves ~20 % of Redis memory per conversion.
      '--hash-max-listpack-value',
      '2048',
      '--save',
      '',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  await Promise.race([waitForRedis({ path: socketPath }, 10_000), spawnError]);
  logger.info({ socketPath, dir }, 'REDIS_URL unset: started redis-server with AOF in the data directory');
  return {
    url: `unix://${socketPath}`,
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await exited;
}

type RedisTarget = { host: string; port: number } | { path: string };

/** Resolves once a Redis answers PING at `target` (a just-started server); the tests and bench use it too. */
export async function waitForRedis(target: RedisTarget, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await answersPing(target)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  const where = 'path' in target ? target.path : `${target.host}:${target.port}`;
  throw new Error(`redis-server did not answer on ${where} within ${timeoutMs} ms`);
}

/** A raw PING, so probing does not need a client that would retry and log. */
function answersPing(target: RedisTarget): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection(target as never);
    const finish = (ok: boolean): void => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => finish(chunk.toString().startsWith('+PONG')));
  });
}
