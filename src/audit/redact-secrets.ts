import { redactUrl } from './redact-url.js';

export const REDACTED = '***';

const SECRET_WORDS = new Set([
  'key',
  'apikey',
  'secret',
  'token',
  'tokens',
  'password',
  'passwd',
  'pwd',
  'credential',
  'credentials',
  'signature',
  'sig',
]);

/** A field name naming a credential: `key`, `key_sha256`, `api_key`, `viewerToken`, `client_secret`, `password`, … (not `keyboard`). */
export function isSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z\d])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z]+/);
  return words.some((word) => SECRET_WORDS.has(word));
}

/**
 * A copy of a JSON value fit for a change log: every field whose name names
 * a credential is replaced by `***` (whatever it holds), and secret query
 * values inside URL strings are redacted as in the audit log.
 */
export function redactSecrets(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('://') ? redactUrl(value) : value;
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    out[name] = isSecretName(name) && field !== undefined && field !== null ? REDACTED : redactSecrets(field);
  }
  return out;
}
