import { readFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isAbsolute, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { configSchema, type RelayConfig, type RelayConfigInput } from './schema.js';
import { ConfigError } from '../errors.js';
import { parseCidr } from '../net/cidr.js';
import { redactUrl } from '../audit/redact-url.js';

const DAY_MS = 86_400_000;

/** A variable's text that cannot be used; the message says why, quoting the value. */
class BadValue extends Error {}

interface EnvVariable {
  /** The config field it sets. */
  path: string[];
  /**
   * Turns the text into the field's value, or throws BadValue saying why it
   * cannot be (the caller prefixes the variable's name). Without it the text
   * itself goes to the schema, whose message is then shown with the value.
   */
  parse?: (text: string) => unknown;
  /** How the value may be shown in a message: never, for a token; without a password, for a URL. */
  show?: 'never' | ((text: string) => string);
}

const quote = (text: string): string => JSON.stringify(text);

function integer(min: number, max: number, what: string): (text: string) => number {
  return (text) => {
    if (!/^\d+$/.test(text.trim())) throw new BadValue(`${quote(text)} is not a whole number of ${what}`);
    const value = Number(text.trim());
    if (value < min || value > max) throw new BadValue(`${quote(text)} is not between ${min} and ${max}`);
    return value;
  };
}

function oneOf(values: readonly string[]): (text: string) => string {
  return (text) => {
    if (!values.includes(text)) throw new BadValue(`${quote(text)} is not one of ${values.join(', ')}`);
    return text;
  };
}

function commaList(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

/** Environment variables of the contract and the config path each one sets. */
const ENV_VARIABLES: Record<string, EnvVariable> = {
  PORT: { path: ['http', 'port'], parse: integer(0, 65_535, 'a port') },
  HOST: { path: ['http', 'host'] },
  RECEIVER_REQUEST_TIMEOUT_MS: { path: ['http', 'requestTimeoutMs'], parse: integer(100, 600_000, 'milliseconds') },
  REDIS_URL: { path: ['redis', 'url'], show: redactUrl },
  ADMIN_TOKEN: { path: ['adminToken'], show: 'never' },
  VIEWER_TOKEN: { path: ['viewerToken'], show: 'never' },
  PUBLIC_URL: { path: ['publicUrl'] },
  RELAY_ROLE: { path: ['role'], parse: oneOf(['all', 'receiver', 'worker']) },
  DELIVERY_ALLOW_CIDRS: {
    path: ['delivery', 'allowCidrs'],
    parse: (text) =>
      commaList(text).map((entry) => {
        if (!parseCidr(entry)) throw new BadValue(`${quote(entry)} is not a CIDR`);
        return entry;
      }),
  },
  DELIVERY_RETRY_DELAYS_MS: {
    path: ['delivery', 'retryDelaysMs'],
    parse: (text) =>
      commaList(text).map((entry) => {
        if (!/^\d+$/.test(entry)) throw new BadValue(`${quote(entry)} is not a whole number of milliseconds`);
        return Number(entry);
      }),
  },
  DELIVERY_TIMEOUT_MS: { path: ['delivery', 'timeoutMs'], parse: integer(100, 120_000, 'milliseconds') },
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
  REJECTIONS_KEEP: { path: ['audit', 'rejectionsPerSource'], parse: integer(1, 1_000_000, 'a count') },
  CONSOLE_SESSION_HOURS: {
    path: ['console', 'sessionTtlMs'],
    parse: (text) => {
      const hours = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text.trim()) : NaN;
      if (!(hours >= 0.1 && hours <= 720)) throw new BadValue(`${quote(text)} is not a number of hours (0.1 to 720)`);
      return Math.round(hours * 3_600_000);
    },
  },
  LOG_LEVEL: { path: ['logLevel'], parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) },
  NODE_ENV: { path: ['env'], parse: oneOf(['development', 'test', 'production']) },
  // Conversions, deliveries, attempts, test results and the change history share one retention.
  RETENTION_DAYS: {
    path: ['audit', 'retentionMs'],
    parse: (text) => {
      const days = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text.trim()) : NaN;
      if (!(days > 0 && days <= 3650)) throw new BadValue(`${quote(text)} is not a number of days (more than 0, at most 3650)`);
      return Math.round(days * DAY_MS);
    },
  },
};

/** Where the values of a configuration came from, so a message names what the operator wrote. */
export interface ConfigOrigin {
  /** The config file, as the operator would name it (`config/default.json`). */
  file?: string;
  /** The variables that were set, by name, with their text. */
  env?: Record<string, string>;
}

/** The set variable that gave this field (or an element of it, `delivery.allowCidrs.1`) its value. */
function envVariableOf(
  path: readonly PropertyKey[],
  origin: ConfigOrigin,
): { name: string; text: string; spec: EnvVariable } | undefined {
  const joined = path.map(String).join('.');
  for (const [name, text] of Object.entries(origin.env ?? {})) {
    const spec = ENV_VARIABLES[name];
    if (!spec) continue;
    const variablePath = spec.path.join('.');
    if (joined === variablePath || joined.startsWith(`${variablePath}.`)) return { name, text, spec };
  }
  return undefined;
}

/** One problem, named as the operator wrote it: the variable with its value, or the file and key. */
function describe(path: readonly PropertyKey[], message: string, origin: ConfigOrigin): string {
  const variable = envVariableOf(path, origin);
  if (variable) {
    const { name, text, spec } = variable;
    if (spec.show === 'never') return `${name}: ${message}`;
    const shown = typeof spec.show === 'function' ? spec.show(text) : text;
    return `${name}: ${quote(shown)} is invalid: ${message}`;
  }
  const field = path.map(String).join('.') || '(root)';
  return origin.file ? `${origin.file}: ${field}: ${message}` : `${field}: ${message}`;
}

function describeIssue(issue: z.core.$ZodIssue, origin: ConfigOrigin): string[] {
  if (issue.code === 'unrecognized_keys') {
    // Only a file (or a caller's object) can hold a key: the environment sets known paths only.
    const where = origin.file ?? 'config';
    return issue.keys.map((key) => `${where}: unknown key ${quote([...issue.path.map(String), key].join('.'))}`);
  }
  return [describe(issue.path, issue.message, origin)];
}

/**
 * Validates a raw config object. A problem stops the relay with one line
 * naming every bad field, as the operator wrote it (see ConfigOrigin).
 */
export function parseConfig(input: RelayConfigInput | Record<string, unknown>, origin: ConfigOrigin = {}): RelayConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(oneLine(result.error.issues.flatMap((issue) => describeIssue(issue, origin))));
  }
  const problems = checkConsistency(result.data).map(({ path, message, line }) => line ?? describe(path, message, origin));
  if (problems.length > 0) throw new ConfigError(oneLine(problems));
  return result.data;
}

interface Inconsistency {
  path: string[];
  message: string;
  /** The whole line, when the problem is a value missing rather than one written. */
  line?: string;
}

function checkConsistency(config: RelayConfig): Inconsistency[] {
  const problems: Inconsistency[] = [];
  const scheduleMs = config.delivery.retryDelaysMs.reduce((sum, delay) => sum + delay, 0);
  if (config.audit.retentionMs <= scheduleMs) {
    // A retrying delivery whose record expired mid-schedule could no longer be audited or redriven.
    problems.push({ path: ['audit', 'retentionMs'], message: `must be longer than the retry schedule (${scheduleMs} ms)` });
  }
  if (config.viewerToken !== undefined && config.viewerToken === config.adminToken) {
    // It would authenticate as the admin: a read-only token that can write.
    problems.push({ path: ['viewerToken'], message: 'must differ from ADMIN_TOKEN' });
  }
  if (config.env === 'production' && !config.adminToken) {
    problems.push({ path: ['adminToken'], message: '', line: 'ADMIN_TOKEN: required in production (NODE_ENV=production)' });
  }
  return problems;
}

/** Messages from JSON.parse or zod may hold line breaks; the contract is one line. */
function oneLine(problems: string[]): string {
  return problems.join('; ').replace(/\s*[\r\n]+\s*/g, ' ');
}

export interface LoadedConfig {
  config: RelayConfig;
  /** Set when no ADMIN_TOKEN was given outside production and one was generated. */
  generatedAdminToken?: string;
  configPath?: string;
}

/**
 * Reads the config file and the environment once at startup. This is the only
 * place that looks at environment variables. Every problem found, in the file
 * and in every variable, is reported at once in one ConfigError line.
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): LoadedConfig {
  const configPath = env.RELAY_CONFIG ? resolve(cwd, env.RELAY_CONFIG) : defaultConfigPath(cwd);
  const file = configPath ? shownPath(configPath, cwd) : undefined;
  const fromFile = configPath ? readConfigFile(configPath, file!, env.RELAY_CONFIG ? 'RELAY_CONFIG' : undefined) : {};
  const merged: Record<string, unknown> = structuredClone(fromFile);
  const problems: string[] = [];
  const setVariables: Record<string, string> = {};
  for (const [name, spec] of Object.entries(ENV_VARIABLES)) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    setVariables[name] = text;
    try {
      setPath(merged, spec.path, spec.parse ? spec.parse(text) : text);
    } catch (error) {
      if (!(error instanceof BadValue)) throw error;
      problems.push(`${name}: ${error.message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(oneLine(problems));
  let generatedAdminToken: string | undefined;
  if (!merged.adminToken && merged.env !== 'production') {
    generatedAdminToken = randomBytes(24).toString('base64url');
    merged.adminToken = generatedAdminToken;
  }
  const config = parseConfig(merged, { ...(file ? { file } : {}), env: setVariables });
  return { config, ...(generatedAdminToken ? { generatedAdminToken } : {}), ...(configPath ? { configPath } : {}) };
}

function defaultConfigPath(cwd: string): string | undefined {
  const candidate = resolve(cwd, 'config/default.json');
  return existsSync(candidate) ? candidate : undefined;
}

/** Relative to the working directory when inside it, as an operator would type it. */
function shownPath(path: string, cwd: string): string {
  const inside = relative(cwd, path);
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path;
}

function readConfigFile(path: string, shown: string, variable: string | undefined): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`${variable ? `${variable}: ` : ''}cannot read config file ${quote(shown)} (${code})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(oneLine([`${shown}: not valid JSON: ${(error as Error).message}`]));
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${shown}: must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
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
