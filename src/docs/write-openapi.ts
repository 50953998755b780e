import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../config/load-config.js';
import { findOrStartLocalRedis } from '../redis/local-redis.js';
import { createRelay } from '../relay.js';

/**
 * `npm run openapi [-- out.json]`: writes the generated OpenAPI document
 * (default docs/openapi.json) without a running relay. The routes are
 * registered by the real app, which needs a Redis to start: a private
 * redis-server in a temporary directory (never a shared one), or REDIS_URL.
 * The relay starts as a receiver only, so no worker touches any queue.
 */
async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? 'docs/openapi.json');
  const logger = pino({ level: 'warn' });
  const scratch = mkdtempSync(join(tmpdir(), 'relay-openapi-'));
  const localRedis = process.env.REDIS_URL
    ? undefined
    : await findOrStartLocalRedis(scratch, logger, { host: '127.0.0.1', port: 1 });
  const config = parseConfig({
    role: 'receiver',
    logLevel: 'warn',
    adminToken: 'openapi-document-only-token',
    redis: { url: process.env.REDIS_URL ?? localRedis!.url, keyPrefix: 'openapi-doc' },
    audit: { log: 'off' },
  });
  const relay = await createRelay(config, { logger, auditLog: pino({ level: 'silent' }), redisUrl: config.redis.url! });
  try {
    await relay.app.ready();
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(relay.app.swagger(), null, 2)}\n`);
    process.stdout.write(`wrote ${out}\n`);
  } finally {
    await relay.close();
    await localRedis?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`openapi: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
