import { readFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { configSchema, type RelayConfig, type RelayConfigInput } from './schema.js';
import { ConfigError } from '../errors.js';

/** Environment variables of the contract and the config path each one sets. */
const ENV_VARIABLES: Record<string, { path: string[]; parse?: (text: string) => unknown }> = {
  PORT: { path: ['http', 'port'] },
  HOST: { path: ['http', 'host'] },
  REDIS_URL: { path: ['redis', 'url'] },
  ADMIN_TOKEN: { path: ['adminToken'] },
  VIEWER_TOKEN: { path: ['viewerToken'] },
  RELAY_ROLE: { path: ['role'] },
  DELIVERY_ALLOW_CIDRS: { path: ['delivery', 'allowCidrs'], parse: commaList },
  DELIVERY_RETRY_DELAYS_MS: {
    path: ['delivery', 'retryDelaysMs'],
    parse: (text) => commaList(text).map((entry) => (/^\d+$/.test(entry) ? Number(entry) : entry)),
  },
  DELIVERY_TIMEOUT_MS: { path: ['delivery', 'timeoutMs'] },
  // `tracker.example=50,other.example:8443=10`: requests per second per host.
  DELIVERY_HOST_RATE_LIMITS: {
    path: ['delivery', 'hostRateLimits'],
    parse: (text) =>
      Object.fromEntries(
        commaList(text).map((entry) => {
          const at = entry.lastIndexOf('=');
          const rate = entry.slice(at + 1).trim();
          return [at > 0 ? entry.slice(0, at).trim() : entry, /^\d+(\.\d+)?$/.test(rate) ? Number(rate) : rate];
        }),
      ),
  },
  LOG_LEVEL: { path: ['logLevel'] },
  NODE_ENV: { path: ['env'] },
};

function commaList(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

/** The variable that sets this field, or an element of it (`delivery.retryDelaysMs.1`). */
function envNameOf(path: readonly PropertyKey[]): string | undefined {
  const joined = path.join('.');
  return Object.entries(ENV_VARIABLES).find(([, spec]) => {
    const variablePath = spec.path.join('.');
    return joined === variablePath || joined.startsWith(`${variablePath}.`);
  })?.[0];
}

/** Validates a raw config object; the error names every bad field (and its variable). */
export function parseConfig(input: RelayConfigInput | Record<string, unknown>): RelayConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const path = issue.path.map(String);
      const envName = envNameOf(issue.path);
      const field = path.join('.') || '(root)';
      return `${field}${envName ? ` (${envName})` : ''}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  return checkConsistency(result.data);
}

function checkConsistency(config: RelayConfig): RelayConfig {
  const scheduleMs = config.delivery.retryDelaysMs.reduce((sum, delay) => sum + delay, 0);
  if (config.audit.retentionMs <= scheduleMs) {
    // A retrying delivery whose record expired mid-schedule could no longer be audited or redriven.
    throw new ConfigError(
      `invalid configuration: audit.retentionMs: must be longer than the retry schedule (${scheduleMs} ms)`,
    );
  }
  if (config.viewerToken !== undefined && config.viewerToken === config.adminToken) {
    // It would authenticate as the admin: a read-only token that can write.
    throw new ConfigError('invalid configuration: viewerToken (VIEWER_TOKEN): must differ from ADMIN_TOKEN');
  }
  if (config.env === 'production' && !config.adminToken) {
    throw new ConfigError('invalid configuration: adminToken (ADMIN_TOKEN): required in production');
  }
  return config;
}

export interface LoadedConfig {
  config: RelayConfig;
  /** Set when no ADMIN_TOKEN was given outside production and one was generated. */
  generatedAdminToken?: string;
  configPath?: string;
}

/**
 * Reads the config file and the environment once at startup. This is the only
 * place that looks at environment variables.
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): LoadedConfig {
  const configPath = env.RELAY_CONFIG ? resolve(cwd, env.RELAY_CONFIG) : defaultConfigPath(cwd);
  const fromFile = configPath ? readConfigFile(configPath) : {};
  const merged: Record<string, unknown> = structuredClone(fromFile);
  for (const [name, spec] of Object.entries(ENV_VARIABLES)) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    setPath(merged, spec.path, spec.parse ? spec.parse(text) : text);
  }
  let generatedAdminToken: string | undefined;
  if (!merged.adminToken && merged.env !== 'production') {
    generatedAdminToken = randomBytes(24).toString('base64url');
    merged.adminToken = generatedAdminToken;
  }
  const config = parseConfig(merged);
  return { config, ...(generatedAdminToken ? { generatedAdminToken } : {}), ...(configPath ? { configPath } : {}) };
}

function defaultConfigPath(cwd: string): string | undefined {
  const candidate = resolve(cwd, 'config/default.json');
  return existsSync(candidate) ? candidate : undefined;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`config file ${path} must hold a JSON object`);
    }
    return parsed as Record<string, unknown>;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}
