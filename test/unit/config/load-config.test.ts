import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/errors.js';

function dirWithConfig(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-cfg-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    const { config, generatedAdminToken } = loadConfig({}, mkdtempSync(join(tmpdir(), 'relay-cfg-')));
    expect(config.http).toMatchObject({ port: 8080, host: '0.0.0.0' });
    expect(config.role).toBe('all');
    expect(config.delivery.timeoutMs).toBe(10_000);
    expect(config.delivery.maxRedirects).toBe(3);
    expect(config.delivery.retryDelaysMs).toEqual([5_000, 60_000, 300_000, 1_800_000, 7_200_000, 21_600_000, 43_200_000]);
    expect(config.delivery.allowCidrs).toEqual([]);
    expect(config.redis.url).toBeUndefined();
    expect(generatedAdminToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(config.adminToken).toBe(generatedAdminToken);
  });

  it('reads the environment variables of the contract over the file', () => {
    const dir = dirWithConfig({ http: { port: 9000 }, delivery: { timeoutMs: 5000 } });
    const { config, generatedAdminToken } = loadConfig(
      {
        RELAY_CONFIG: 'config.json',
        PORT: '9100',
        HOST: '127.0.0.1',
        REDIS_URL: 'redis://10.1.2.3:6380/2',
        ADMIN_TOKEN: 'a-very-long-admin-token',
        RELAY_ROLE: 'worker',
        DELIVERY_ALLOW_CIDRS: '127.0.0.0/8, 10.0.0.0/8',
        DELIVERY_RETRY_DELAYS_MS: '1000,2000,3000',
        DELIVERY_TIMEOUT_MS: '2500',
        DELIVERY_HOST_RATE_LIMITS: 'tracker.example=50, other.example:8443=2.5',
        LOG_LEVEL: 'debug',
      },
      dir,
    );
    expect(generatedAdminToken).toBeUndefined();
    expect(config).toMatchObject({
      role: 'worker',
      logLevel: 'debug',
      adminToken: 'a-very-long-admin-token',
      http: { port: 9100, host: '127.0.0.1' },
      redis: { url: 'redis://10.1.2.3:6380/2' },
      delivery: {
        allowCidrs: ['127.0.0.0/8', '10.0.0.0/8'],
        retryDelaysMs: [1000, 2000, 3000],
        timeoutMs: 2500,
        hostRateLimits: { 'tracker.example': 50, 'other.example:8443': 2.5 },
      },
    });
  });

  it('fails naming every bad field and its variable', () => {
    const attempt = () =>
      loadConfig(
        { DELIVERY_RETRY_DELAYS_MS: '1000,soon', PORT: '99999', RELAY_ROLE: 'boss', DELIVERY_HOST_RATE_LIMITS: 'tracker.example=fast' },
        mkdtempSync(join(tmpdir(), 'c-')),
      );
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/delivery\.retryDelaysMs\.1 \(DELIVERY_RETRY_DELAYS_MS\)/);
    expect(attempt).toThrow(/http\.port \(PORT\)/);
    expect(attempt).toThrow(/role \(RELAY_ROLE\)/);
    expect(attempt).toThrow(/delivery\.hostRateLimits\.tracker\.example \(DELIVERY_HOST_RATE_LIMITS\)/);
  });

  it('rejects an unreadable or malformed config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cfg-'));
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    expect(() => loadConfig({ RELAY_CONFIG: 'bad.json' }, dir)).toThrow(/not valid JSON/);
    expect(() => loadConfig({ RELAY_CONFIG: 'missing.json' }, dir)).toThrow(/cannot read config file/);
  });

  it('requires ADMIN_TOKEN in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' }, mkdtempSync(join(tmpdir(), 'c-')))).toThrow(/adminToken \(ADMIN_TOKEN\): required in production/);
  });

  it('refuses a retention shorter than the retry schedule', () => {
    expect(() => parseConfig({ delivery: { retryDelaysMs: [10_000] }, audit: { retentionMs: 5_000 } })).toThrow(/audit\.retentionMs/);
  });
});
