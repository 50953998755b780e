import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { inject } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { RelayConfig } from '../../src/config/schema.js';
import { createRelay, type Relay, type RelayDeps } from '../../src/relay.js';
import { createAuditLog } from '../../src/audit/audit-log.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

export interface TestRelay {
  relay: Relay;
  config: RelayConfig;
  /** JSON lines written by the audit logger. */
  auditLines: Array<Record<string, unknown>>;
  /** `fetch` against the relay's HTTP app via inject, with the admin token when `admin` is set. */
  request(options: {
    method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
    url: string;
    body?: unknown;
    headers?: Record<string, string>;
    admin?: boolean;
  }): Promise<{ status: number; body: any; text: string }>;
  close(): Promise<void>;
}

/** A unique key prefix per relay, so tests sharing the run's Redis never see each other's data. */
export function uniquePrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export function testConfig(overrides: DeepPartial<RelayConfig> = {}, prefix = uniquePrefix()): RelayConfig {
  return parseConfig({
    env: 'test',
    adminToken: ADMIN_TOKEN,
    logLevel: 'silent',
    ...overrides,
    http: { port: 0, host: '127.0.0.1', ...overrides.http },
    redis: { url: inject('redisUrl'), keyPrefix: prefix, ...overrides.redis },
    delivery: {
      allowCidrs: ['127.0.0.0/8'],
      retryDelaysMs: [100, 200],
      retryJitterRatio: 0,
      timeoutMs: 2_000,
      ...overrides.delivery,
    },
    worker: { lockDurationMs: 5_000, stalledIntervalMs: 1_000, shutdownGraceMs: 2_000, ...overrides.worker },
    audit: { log: 'off', retentionMs: 3_600_000, ...overrides.audit },
  });
}

export async function startTestRelay(
  overrides: DeepPartial<RelayConfig> = {},
  prefix?: string,
  deps: Partial<RelayDeps> = {},
): Promise<TestRelay> {
  const config = testConfig(overrides, prefix);
  const auditLines: Array<Record<string, unknown>> = [];
  const auditStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) auditLines.push(JSON.parse(line));
      callback();
    },
  });
  const relay = await createRelay(config, {
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    auditLog: createAuditLog(auditStream),
    redisUrl: config.redis.url!,
    ...deps,
  });
  return {
    relay,
    config,
    auditLines,
    async request({ method = 'GET', url, body, headers = {}, admin = false }) {
      const response = await relay.app.inject({
        method,
        url,
        headers: { ...(admin ? { authorization: `Bearer ${ADMIN_TOKEN}` } : {}), ...headers },
        ...(body !== undefined ? { payload: body as string | object } : {}),
      });
      let parsed: unknown;
      try {
        parsed = response.body ? JSON.parse(response.body) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.statusCode, body: parsed, text: response.body };
    },
    close: () => relay.close(),
  };
}

/** Polls until `check` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(
    `timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`,
  );
}
