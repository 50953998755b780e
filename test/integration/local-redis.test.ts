import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { findOrStartLocalRedis } from '../../src/redis/local-redis.js';
import { freePort } from '../helpers/relay-process.js';

describe('REDIS_URL unset', () => {
  it('starts its own redis-server with AOF in the data directory when nothing answers, and stops it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'relay-data-'));
    const closedPort = await freePort();
    const local = await findOrStartLocalRedis(dataDir, pino({ level: 'silent' }), { host: '127.0.0.1', port: closedPort });
    try {
      expect(local.url).toBe(`unix://${join(dataDir, 'redis.sock')}`);
      const client = new Redis({ path: join(dataDir, 'redis.sock') });
      await client.set('probe', '1');
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      expect(await client.config('GET', 'hash-max-listpack-value')).toEqual(['hash-max-listpack-value', '2048']);
      client.disconnect();
    } finally {
      await local.stop();
    }
    expect(existsSync(join(dataDir, 'redis.sock'))).toBe(false);
    expect(readdirSync(dataDir).some((name) => name.startsWith('appendonly'))).toBe(true);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
