import type { RedisClient } from '../connection.js';
import { HOST_ACQUIRE, HOST_BLOCK_CHECK, HOST_BLOCK_TAKE, HOST_RELEASE, HOST_RESET, HOST_TAKE_PARKED } from './host-gate.js';
import { HOST_RATE_RESERVE } from './host-rate-limit.js';
import { CLAIM_DEDUPE } from './intake.js';
import { LEDGER_WRITE, SEARCH_INDEX_ADD } from './ledger.js';
import { LINK_CONVERSIONS } from './status-links.js';

/**
 * Every Lua script the relay itself runs (BullMQ's own are behind
 * src/queue/bullmq-internals.ts), by the command name it is defined under.
 * A script with `numberOfKeys` takes that many keys; one without takes the
 * key count as its first argument (variadic: one call carries a turn's
 * batch). Each script's file says what it keeps atomic and why.
 */
export const SCRIPTS = {
  relayClaimDedupe: { lua: CLAIM_DEDUPE },
  relayLedgerWrite: { lua: LEDGER_WRITE },
  relaySearchIndexAdd: { lua: SEARCH_INDEX_ADD },
  relayLinkConversions: { lua: LINK_CONVERSIONS },
  relayHostAcquire: { numberOfKeys: 3, lua: HOST_ACQUIRE },
  relayHostRelease: { numberOfKeys: 3, lua: HOST_RELEASE },
  relayHostTakeParked: { numberOfKeys: 1, lua: HOST_TAKE_PARKED },
  relayHostReset: { numberOfKeys: 3, lua: HOST_RESET },
  relayHostBlockTake: { numberOfKeys: 4, lua: HOST_BLOCK_TAKE },
  relayHostBlockCheck: { numberOfKeys: 4, lua: HOST_BLOCK_CHECK },
  relayHostRateReserve: { numberOfKeys: 1, lua: HOST_RATE_RESERVE },
} as const satisfies Record<string, { lua: string; numberOfKeys?: number }>;

export type ScriptName = keyof typeof SCRIPTS;

/** The variadic scripts: their first argument is a count, not a key (see connection.ts). */
export const VARIADIC_SCRIPTS: readonly string[] = Object.entries(SCRIPTS)
  .filter(([, script]) => !('numberOfKeys' in script))
  .map(([name]) => name);

/** Defines the named scripts as commands on `redis` (ioredis loads each by its SHA, once). */
export function defineScripts(redis: RedisClient, ...names: ScriptName[]): void {
  for (const name of names) redis.defineCommand(name, SCRIPTS[name]);
}
