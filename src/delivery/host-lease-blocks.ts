import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';
import type { RelayKeys } from '../store/keys.js';
import { createTickBatcher } from '../redis/tick-batcher.js';
import { defineScripts } from '../redis/scripts/index.js';
import type { Admission, DeliveryGate, HostGate, HostGateOptions, ReleaseResult } from './host-gate.js';

export interface HostLeaseBlocksOptions extends Pick<HostGateOptions, 'concurrency' | 'leaseMs'> {
  /**
   * How often a block is checked against Redis: its leases renewed, the
   * host's circuit, pause and parked set read. A pause or a failure seen by
   * another process reaches this one's block within this time.
   */
  checkMs: number;
  /** Parked deliveries that slots given back make room for: the caller wakes them. */
  wake(ids: string[]): Promise<void>;
  onError(error: unknown): void;
}

type Scripted = RedisClient & {
  relayHostBlockTake(...keysAndArgs: Array<string | number>): Promise<number>;
  relayHostBlockCheck(...keysAndArgs: Array<string | number>): Promise<[number, number, string[], number]>;
};

interface Block {
  /** Lease ids this process holds in the host's lease set and is not using. */
  free: string[];
  /** Lease ids in use, by the delivery using each. */
  inUse: Map<string, string>;
  /** The host was clean at the last look (see HOST_BLOCK_TAKE); a failure here clears it at once. */
  clean: boolean;
  checkedAt: number;
  /** A slot was taken since the last check: the block is kept; an idle one is given back. */
  used: boolean;
  /** The last growth found the host at its cap or this process at its share of it: until the next check, a busy answer needs no Redis. */
  full: boolean;
}

/**
 * Per-host lease blocks in front of the shared host gate. The gate's cap
 * and circuit are global (a sorted set of leases per host, in Redis); asking
 * Redis for a slot and giving it back on every delivery held each slot for
 * two round trips and their event-loop turns besides the ping, and at a
 * host's cap that, not the tracker, bounded a worker's deliveries per second.
 *
 * Here a process leases several of a host's slots at once (a block, each
 * slot still a lease in the host's set, so the cap holds across processes
 * and a crashed process's slots expire) and hands them out in process while
 * the host is clean: no failure counted, circuit closed, not paused, nothing
 * parked. A success releases locally; a failure goes to the gate at once
 * (it counts towards the circuit) and the block stops being used until a
 * check finds the host clean again. Everything that is not the clean case,
 * parking, probes, pauses, is the gate's, per delivery, as before.
 *
 * Successes here are not reported one by one, so a host's "consecutive
 * failures" are those since the last success Redis heard of: this process
 * reports its successes again as soon as it sees a failure counted
 * (at its next check, or its own failure).
 */
export class HostLeaseBlocks implements DeliveryGate {
  private readonly redis: Scripted;
  private readonly blocks = new Map<string, Block>();
  private readonly leasePrefix = `blk:${randomBytes(6).toString('hex')}:`;
  private leaseSeq = 0;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    redis: RedisClient,
    private readonly keys: RelayKeys,
    private readonly gate: HostGate,
    private readonly options: HostLeaseBlocksOptions,
  ) {
    defineScripts(redis, 'relayHostBlockTake', 'relayHostBlockCheck');
    this.redis = redis as Scripted;
  }

  async acquire(host: string, deliveryId: string, now = Date.now(), options: { park?: boolean } = {}): Promise<Admission> {
    const block = this.blocks.get(host);
    if (block?.clean && this.takeFree(block, deliveryId)) return { granted: true };
    // At the cap or this process's share, its own attempts in flight: a caller that will ask again
    // (woken by this process's next release) needs no round trip to hear so. Without attempts
    // here, it asks Redis each time (another worker's block shrinks to its share at its check).
    if (block?.clean && block.full && block.inUse.size > 0 && options.park === false) {
      return { granted: false, reason: 'host_busy' };
    }
    // Known unclean: the gate decides, per delivery, until a check finds the host clean again.
    if (!block || block.clean || now - block.checkedAt >= this.options.checkMs) {
      // Listed by the hosts API as soon as anything is sent to it, as the gate's own admissions are.
      if (!block) await this.gate.remember(host);
      if (await this.takeBatched(host, now)) {
        const taken = this.blocks.get(host);
        if (taken && this.takeFree(taken, deliveryId)) return { granted: true };
      }
    }
    return this.gate.acquire(host, deliveryId, now, options);
  }

  release(
    host: string,
    deliveryId: string,
    outcome: 'ok' | 'fail' | 'neutral',
    error = '',
    now = Date.now(),
  ): Promise<ReleaseResult> {
    const block = this.blocks.get(host);
    const lease = block?.inUse.get(deliveryId);
    if (!block || lease === undefined) return this.gate.release(host, deliveryId, outcome, error, now);
    block.inUse.delete(deliveryId);
    if (block.clean && outcome !== 'fail') {
      block.free.push(lease);
      return Promise.resolve({ state: 'closed', wake: [] });
    }
    // Counted by the gate (the lease goes with it); the block waits for a check before it is used again.
    if (outcome === 'fail') stop(block, now);
    return this.gate.release(host, lease, outcome, error, now);
  }

  /**
   * A slot frees here soon: this process has attempts to the host in flight,
   * or the host is healthy and at its cap (another worker's attempts finish,
   * and its block shrinks to its share at its next check).
   */
  slotFreesSoon(host: string): boolean {
    const block = this.blocks.get(host);
    return block !== undefined && (block.inUse.size > 0 || (block.clean && block.full));
  }

  /**
   * An operator changed the host (pause, resume, reset) through this
   * process: its block is not used until a check or a take reads the host again.
   */
  hostChanged(host: string, now = Date.now()): void {
    const block = this.blocks.get(host);
    if (block) stop(block, now);
  }

  takeParked(host: string, count: number): Promise<string[]> {
    return this.gate.takeParked(host, count);
  }

  isParked(host: string, deliveryId: string): Promise<boolean> {
    return this.gate.isParked(host, deliveryId);
  }

  /** Stops the checks and gives every free slot back (the ones in use go back as their deliveries finish). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
    for (const block of this.blocks.values()) block.clean = false;
    // Redis away: the leases expire on their own.
    await this.check(Date.now()).catch((error: unknown) => this.options.onError(error));
  }

  private takeFree(block: Block, deliveryId: string): boolean {
    const lease = block.free.pop();
    if (lease === undefined) return false;
    block.inUse.set(deliveryId, lease);
    block.used = true;
    return true;
  }

  /**
   * Grows the host's block by as many slots as were asked for in this turn,
   * plus as many again (a burst asks for more next turn), within the cap.
   * Answers whether the host was clean.
   */
  private readonly takeBatched = createTickBatcher<number, boolean>(async (host, asks) => {
    const now = Math.max(...asks);
    const wanted = Array.from({ length: Math.min(asks.length * 2, this.options.concurrency) }, () => this.nextLease());
    const held = this.blocks.get(host);
    const granted = await this.redis.relayHostBlockTake(
      ...this.scriptHead(host, now),
      held ? held.free.length + held.inUse.size : 0,
      ...wanted,
    );
    const block = this.blockOf(host, now);
    block.checkedAt = now;
    block.clean = granted >= 0;
    block.full = granted >= 0 && granted < wanted.length;
    if (granted > 0) block.free.push(...wanted.slice(0, granted));
    this.startChecks();
    return asks.map(() => block.clean);
  });

  private blockOf(host: string, now: number): Block {
    let block = this.blocks.get(host);
    if (!block) {
      block = { free: [], inUse: new Map(), clean: true, checkedAt: now, used: false, full: false };
      this.blocks.set(host, block);
    }
    return block;
  }

  private nextLease(): string {
    this.leaseSeq = (this.leaseSeq + 1) % Number.MAX_SAFE_INTEGER;
    return `${this.leasePrefix}${this.leaseSeq}`;
  }

  private startChecks(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.checking ??= this.check(Date.now())
        .catch((error: unknown) => this.options.onError(error))
        .finally(() => (this.checking = undefined));
    }, this.options.checkMs);
    this.timer.unref();
  }

  /**
   * Renews every block's leases and re-reads its host. An idle block (no
   * slot taken since the last check) gives its free slots back, so a host
   * this process no longer sends to leaves no capacity held here. Runs every
   * `checkMs`; callable directly (tests pass their own time).
   */
  async check(now = Date.now()): Promise<void> {
    await Promise.all(
      [...this.blocks].map(async ([host, block]) => {
        const inUse = [...block.inUse.values()];
        // The free slots are out of use while the script decides which stay: one handed out
        // meanwhile could be given back under its delivery. Slots released meanwhile join
        // block.free (renewed as in use, judged at the next check).
        const offered = block.free;
        block.free = [];
        const keepAll = block.clean && block.used;
        block.used = false;
        if (inUse.length === 0 && offered.length === 0) {
          this.blocks.delete(host);
          return;
        }
        const keep = keepAll ? offered : [];
        const giveBack = keepAll ? [] : offered;
        let answer: [number, number, string[], number];
        try {
          answer = await this.redis.relayHostBlockCheck(
            ...this.scriptHead(host, now),
            inUse.length,
            keep.length,
            ...inUse,
            ...keep,
            ...giveBack,
          );
        } catch (error) {
          // Nothing was decided: the slots are still this block's leases (until they expire).
          block.free.push(...offered);
          throw error;
        }
        const [clean, lost, wake, kept] = answer;
        block.checkedAt = now;
        block.full = false;
        block.clean = clean === 1 && lost === 0;
        // The first `kept` stay; the script gave back the rest (not clean, past this process's
        // share, or a lease of the block had expired).
        block.free.push(...keep.slice(0, kept));
        if (wake.length > 0) await this.options.wake(wake);
      }),
    );
  }

  /**
   * What both block scripts start with: the host's keys, the time, the lease
   * length, the cap, this process as an owner and how long its owner entry
   * lasts (a process that stops checking, gone or holding nothing, leaves
   * the owners within three checks).
   */
  private scriptHead(host: string, now: number): Array<string | number> {
    return [
      this.keys.hostLeases(host),
      this.keys.hostCircuit(host),
      this.keys.hostParked(host),
      this.keys.hostBlockOwners(host),
      now,
      this.options.leaseMs,
      this.options.concurrency,
      this.leasePrefix,
      this.options.checkMs * 3,
    ];
  }
}

/** The block is not used until a check or a take, `checkMs` from now, finds the host clean again. */
function stop(block: Block, now: number): void {
  block.clean = false;
  block.checkedAt = now;
}
