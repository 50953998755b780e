import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
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

  it('fails naming every bad variable and its value, in one line', () => {
    const attempt = () =>
      loadConfig(
        {
          DELIVERY_RETRY_DELAYS_MS: '1000,soon',
          PORT: '99999',
          RELAY_ROLE: 'boss',
          DELIVERY_HOST_RATE_LIMITS: 'tracker.example=fast',
        },
        mkdtempSync(join(tmpdir(), 'c-')),
      );
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      'PORT: "99999" is not between 0 and 65535; RELAY_ROLE: "boss" is not one of all, receiver, worker; DELIVERY_RETRY_DELAYS_MS: "soon" is not a whole number of milliseconds',
    );
  });

  it.each([
    [{ DELIVERY_ALLOW_CIDRS: '10.0.0.0/33' }, 'DELIVERY_ALLOW_CIDRS: "10.0.0.0/33" is not a CIDR'],
    [{ DELIVERY_ALLOW_CIDRS: '127.0.0.0/8, nope' }, 'DELIVERY_ALLOW_CIDRS: "nope" is not a CIDR'],
    [{ DELIVERY_ALLOW_CIDRS: '::1/129' }, 'DELIVERY_ALLOW_CIDRS: "::1/129" is not a CIDR'],
    [{ PORT: 'http' }, 'PORT: "http" is not a whole number of a port'],
    [{ DELIVERY_TIMEOUT_MS: 'soon' }, 'DELIVERY_TIMEOUT_MS: "soon" is not a whole number of milliseconds'],
    [{ DELIVERY_TIMEOUT_MS: '50' }, 'DELIVERY_TIMEOUT_MS: "50" is not between 100 and 120000'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: "loud" is not one of fatal, error, warn, info, debug, trace, silent'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV: "staging" is not one of development, test, production'],
    [{ RETENTION_DAYS: 'week' }, 'RETENTION_DAYS: "week" is not a number of days (more than 0, at most 3650)'],
    [{ RETENTION_DAYS: '0' }, 'RETENTION_DAYS: "0" is not a number of days (more than 0, at most 3650)'],
    [{ RETENTION_DAYS: '0.5' }, 'RETENTION_DAYS: "0.5" is invalid: must be longer than the retry schedule (74165000 ms)'],
    [{ ADMIN_TOKEN: 'short-secret' }, 'ADMIN_TOKEN: must be at least 16 characters'],
    [{ VIEWER_TOKEN: 'short-secret' }, 'VIEWER_TOKEN: must be at least 16 characters'],
    [
      { ADMIN_TOKEN: 'same-token-0123456789', VIEWER_TOKEN: 'same-token-0123456789' },
      'VIEWER_TOKEN: must differ from ADMIN_TOKEN',
    ],
    [
      { REDIS_URL: 'http://user:pw@db:6379' },
      'REDIS_URL: "http://***@db:6379" is invalid: must be redis://, rediss://, unix:///path or redis-cluster://host:port,host:port',
    ],
    [
      { DELIVERY_HOST_RATE_LIMITS: 'tracker.example=fast' },
      'DELIVERY_HOST_RATE_LIMITS: "tracker.example=fast" is invalid: Invalid input: expected number, received string',
    ],
  ])('names the variable: %j', (env, message) => {
    expect(() => loadConfig(env, mkdtempSync(join(tmpdir(), 'c-')))).toThrow(new ConfigError(message));
  });

  it('never shows a token', () => {
    try {
      loadConfig({ ADMIN_TOKEN: 'short-secret' }, mkdtempSync(join(tmpdir(), 'c-')));
    } catch (error) {
      expect((error as Error).message).not.toContain('short-secret');
    }
    expect.assertions(1);
  });

  it('maps RETENTION_DAYS onto the retention of every kept record', () => {
    expect(loadConfig({ RETENTION_DAYS: '30' }, mkdtempSync(join(tmpdir(), 'c-'))).config.audit.retentionMs).toBe(
      30 * 86_400_000,
    );
    expect(loadConfig({ RETENTION_DAYS: '1.5' }, mkdtempSync(join(tmpdir(), 'c-'))).config.audit.retentionMs).toBe(
      36 * 3_600_000,
    );
    expect(loadConfig({}, mkdtempSync(join(tmpdir(), 'c-'))).config.audit.retentionMs).toBe(7 * 86_400_000);
  });

  it('reads VIEWER_TOKEN', () => {
    expect(loadConfig({ VIEWER_TOKEN: 'viewer-token-0123456789' }, mkdtempSync(join(tmpdir(), 'c-'))).config.viewerToken).toBe(
      'viewer-token-0123456789',
    );
  });

  it('refuses an unknown key anywhere in the config file, naming the file and the key path', () => {
    const dir = dirWithConfig({
      http: { port: 9000 },
      delivery: { timout_ms: 5000, retryDelaysMs: [1000] },
      audit: { log: 'off', colour: 1 },
      colour: 'blue',
    });
    expect(() => loadConfig({ RELAY_CONFIG: 'config.json' }, dir)).toThrow(
      new ConfigError(
        'config.json: unknown key "delivery.timout_ms"; config.json: unknown key "audit.colour"; config.json: unknown key "colour"',
      ),
    );
  });

  it('names the file for a bad value in it, and the variable when the environment set it', () => {
    const dir = dirWithConfig({ delivery: { maxRedirects: 99, allowCidrs: ['10.0.0.0/33'] } });
    expect(() => loadConfig({ RELAY_CONFIG: 'config.json' }, dir)).toThrow(
      /^config\.json: delivery\.maxRedirects: .*; config\.json: delivery\.allowCidrs\.0: not a CIDR$/,
    );
    expect(() => loadConfig({ RELAY_CONFIG: 'config.json', DELIVERY_ALLOW_CIDRS: '10.0.0.0/8' }, dir)).toThrow(
      /^config\.json: delivery\.maxRedirects: [^;]*$/,
    );
  });

  it('checks the trusted proxies', () => {
    expect(parseConfig({ http: { trustProxy: '10.0.0.0/8, loopback' } }).http.trustProxy).toBe('10.0.0.0/8, loopback');
    expect(parseConfig({ http: { trustProxy: true } }).http.trustProxy).toBe(true);
    expect(() => parseConfig({ http: { trustProxy: '10.0.0.0/33' } }, { file: 'relay.json' })).toThrow(
      /^relay\.json: http\.trustProxy: expected true, false, or a comma list/,
    );
  });

  it('reads config/default.json from the working directory, strictly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cfg-'));
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config', 'default.json'), JSON.stringify({ delivery: { timout_ms: 5000 } }));
    expect(() => loadConfig({}, dir)).toThrow(new ConfigError('config/default.json: unknown key "delivery.timout_ms"'));
  });

  it('accepts the config file the repository ships', () => {
    expect(loadConfig({}, process.cwd()).config.delivery.timeoutMs).toBe(10_000);
  });

  it('rejects an unreadable or malformed config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cfg-'));
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    writeFileSync(join(dir, 'list.json'), '[]');
    expect(() => loadConfig({ RELAY_CONFIG: 'bad.json' }, dir)).toThrow(/^bad\.json: not valid JSON: /);
    expect(() => loadConfig({ RELAY_CONFIG: 'list.json' }, dir)).toThrow(new ConfigError('list.json: must hold a JSON object'));
    expect(() => loadConfig({ RELAY_CONFIG: 'missing.json' }, dir)).toThrow(
      new ConfigError('RELAY_CONFIG: cannot read config file "missing.json" (ENOENT)'),
    );
  });

  it('requires ADMIN_TOKEN in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' }, mkdtempSync(join(tmpdir(), 'c-')))).toThrow(
      new ConfigError('ADMIN_TOKEN: required in production (NODE_ENV=production)'),
    );
  });

  it('refuses a retention shorter than the retry schedule', () => {
    expect(() => parseConfig({ delivery: { retryDelaysMs: [10_000] }, audit: { retentionMs: 5_000 } })).toThrow(
      /audit\.retentionMs/,
    );
  });
});

describe('PUBLIC_URL', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'relay-cfg-'));

  it('sets the public base of pasted URLs', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://relay.example.com' }, dir()).config.publicUrl).toBe('https://relay.example.com');
    expect(loadConfig({}, dir()).config.publicUrl).toBeUndefined();
  });

  it.each(['relay.example.com', 'ftp://relay.example.com', 'https://relay.example.com/?x=1'])(
    'refuses %j naming the variable',
    (value) => {
      expect(() => loadConfig({ PUBLIC_URL: value }, dir())).toThrow(/PUBLIC_URL: .*http/);
    },
  );
});
