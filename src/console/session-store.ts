import { hash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';
import type { TokenKind } from '../auth/token-auth.js';

export interface ConsoleSession {
  kind: TokenKind;
  /** Sent back in `X-CSRF-Token` on every mutation made with this session's cookie. */
  csrf: string;
}

/**
 * Console sessions in Redis, so every relay process behind a load balancer
 * knows them and they expire on their own. Stored under a digest of the
 * session id: a copy of Redis does not hand out sessions that can be used.
 */
export class SessionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyOf: (digest: string) => string,
    private readonly ttlMs: number,
  ) {}

  async create(kind: TokenKind): Promise<{ id: string; session: ConsoleSession }> {
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = { kind, csrf: randomBytes(24).toString('base64url') };
    await this.redis.set(this.key(id), JSON.stringify(session), 'PX', this.ttlMs);
    return { id, session };
  }

  async get(id: string): Promise<ConsoleSession | undefined> {
    if (!SessionStore.isId(id)) return undefined;
    const text = await this.redis.get(this.key(id));
    return text ? (JSON.parse(text) as ConsoleSession) : undefined;
  }

  async delete(id: string): Promise<void> {
    if (SessionStore.isId(id)) await this.redis.del(this.key(id));
  }

  static isId(id: string): boolean {
    return /^[A-Za-z0-9_-]{43}$/.test(id);
  }

  private key(id: string): string {
    return this.keyOf(hash('sha256', id, 'hex'));
  }
}

/**
 * Sign-in attempts per client address in a fixed window, counted in Redis
 * (shared by every relay process). Answers whether this attempt is allowed
 * and, when not, how many seconds until the window ends.
 */
export function signInLimiter(redis: RedisClient, keyOf: (ip: string) => string, options: { max: number; windowMs: number }) {
  return async (ip: string): Promise<{ allowed: true } | { allowed: false; retryAfterS: number }> => {
    const key = keyOf(ip);
    const [[, count], [, ttl]] = (await redis.multi().incr(key).pttl(key).exec()) as [[null, number], [null, number]];
    // The first attempt of a window starts its clock; -1 also repairs a key left without expiry.
    if (count === 1 || ttl < 0) await redis.pexpire(key, options.windowMs);
    if (count <= options.max) return { allowed: true };
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil((ttl > 0 ? ttl : options.windowMs) / 1000)) };
  };
}
