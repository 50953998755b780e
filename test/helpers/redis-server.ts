import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForRedis } from '../../src/redis/local-redis.js';

export interface TestRedisServer {
  url: string;
  dir: string;
  socketPath: string;
  /** Stops the server (SIGTERM, or SIGKILL to simulate a crash). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same socket and data directory. */
  restart(): Promise<void>;
  /** Removes the data directory. */
  cleanup(): Promise<void>;
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/**
 * A redis-server of the test's own, on a unix socket in a fresh temp dir, so
 * tests never touch data they did not create.
 */
export async function startRedisServer(options: { appendonly?: boolean } = {}): Promise<TestRedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-redis-'));
  const socketPath = join(dir, 'redis.sock');
  const args = [
    '--port',
    '0',
    '--unixsocket',
    socketPath,
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendonly ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--maxmemory-policy',
    'noeviction',
  ];
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitForRedis({ path: socketPath }, 10_000);
  };
  await launch();
  const server: TestRedisServer = {
    url: `unix://${socketPath}`,
    dir,
    socketPath,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const running = child;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((r) => running.once('exit', r));
      running.kill(signal);
      await exited;
    },
    restart: launch,
    async cleanup() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
