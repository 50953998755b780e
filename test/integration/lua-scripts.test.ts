import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { SCRIPTS, VARIADIC_SCRIPTS } from '../../src/redis/scripts/index.js';

let redis: Redis;

beforeAll(() => {
  redis = new Redis({ path: inject('redisUrl').slice('unix://'.length) });
});

afterAll(async () => {
  await redis?.quit();
});

describe('the Lua script registry', () => {
  it.each(Object.entries(SCRIPTS))('%s compiles in Redis', async (_name, script) => {
    const sha = await redis.script('LOAD', script.lua);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it('knows which scripts take a key count first', () => {
    expect([...VARIADIC_SCRIPTS].sort()).toEqual([
      'relayClaimDedupe',
      'relayLedgerWrite',
      'relayLinkConversions',
      'relaySearchIndexAdd',
    ]);
  });

  it('holds every script the relay runs: no Lua defined outside src/redis/scripts', () => {
    const outside: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (path !== join('src', 'redis', 'scripts')) walk(path);
        } else if (path.endsWith('.ts') && /redis\.call\('[A-Z]|defineCommand\(/.test(readFileSync(path, 'utf8'))) {
          outside.push(path);
        }
      }
    };
    walk('src');
    // BullMQ's own scripts are defined by its seam, from BullMQ's files.
    expect(outside).toEqual([join('src', 'queue', 'bullmq-internals.ts')]);
  });
});
