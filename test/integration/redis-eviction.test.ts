import { Writable } from 'node:stream';
import pino from 'pino';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyFromInfo } from '../../src/redis/eviction-policy.js';
import { startTestRelay, type TestRelay } from '../helpers/relay-harness.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';

let server: TestRedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis({ path: server.socketPath });
});

afterAll(async () => {
  await admin?.quit();
  await server?.cleanup();
});

describe('a Redis that evicts keys', () => {
  it('is named in the startup log and makes /readyz 503 until it is set to noeviction', async () => {
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const lines: Array<Record<string, any>> = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
        callback();
      },
    });
    const relay: TestRelay = await startTestRelay({ redis: { url: server.url } }, undefined, {
      logger: pino({ level: 'info' }, stream),
    });
    try {
      expect(lines.find((line) => line.maxmemoryPolicy === 'allkeys-lru')).toMatchObject({
        level: 50,
        msg: expect.stringContaining('maxmemory-policy is allkeys-lru'),
      });
      const evicting = await relay.request({ url: '/readyz' });
      expect(evicting.status).toBe(503);
      expect(evicting.body).toMatchObject({ status: 'unavailable', redis: 'evicting', policy: 'allkeys-lru' });
      expect(evicting.body.message).toContain('noeviction');

      await admin.config('SET', 'maxmemory-policy', 'volatile-ttl');
      expect((await relay.request({ url: '/readyz' })).body).toMatchObject({ redis: 'evicting', policy: 'volatile-ttl' });

      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      const ready = await relay.request({ url: '/readyz' });
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ready', redis: 'ok' });
    } finally {
      await relay.close();
    }
  });

  it('says nothing about a noeviction Redis at startup', async () => {
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    });
    const relay = await startTestRelay({ redis: { url: server.url } }, undefined, { logger: pino({ level: 'info' }, stream) });
    await relay.close();
    expect(lines.join('')).not.toContain('maxmemory-policy');
  });
});

describe('policyFromInfo', () => {
  it('reads the field from an INFO memory answer', () => {
    expect(policyFromInfo('# Memory\r\nused_memory:1\r\nmaxmemory_policy:allkeys-lru\r\nmem_fragmentation_ratio:1\r\n')).toBe(
      'allkeys-lru',
    );
    expect(policyFromInfo('# Memory\r\nused_memory:1\r\n')).toBeUndefined();
  });
});
