import type { RedisClient } from '../redis/connection.js';
import type { RelayKeys } from '../store/keys.js';
import { createTickBatcher } from '../redis/tick-batcher.js';
import { defineScripts } from '../redis/scripts/index.js';

export type CircuitState = 'closed' | 'open' | 'half_open';
export type ParkReason = 'host_busy' | 'circuit_open' | 'paused';

export type Admission =
  | { granted: true }
  /** Not now: the delivery is in the host's parked set and is woken when a slot frees. */
  | { granted: false; reason: ParkReason; /** Earliest time a probe may run, for an open circuit. */ probeAt?: number };

export interface ReleaseResult {
  state: CircuitState;
  /** Set when this release opened the circuit: when the half-open probe is due. */
  openedUntil?: number;
  /** Parked deliveries that may go now (already removed from the parked set). */
  wake: string[];
}

export interface HostStatus {
  host: string;
  state: CircuitState;
  paused: boolean;
  inFlight: number;
  parked: number;
  consecutiveFailures: number;
  lastError?: string;
  lastErrorAt?: number;
  probeAt?: number;
}

export interface HostGateOptions {
  concurrency: number;
  failureThreshold: number;
  cooldownMs: number;
  /** A lease outlives a crashed worker by at most this long. */
  leaseMs: number;
}

/** What the delivery runner asks of a host gate: admission, release, and the parked set. */
export type DeliveryGate = Pick<HostGate, 'acquire' | 'release' | 'takeParked' | 'isParked'> & {
  /** One of the host's slots frees soon and this process will hear of it (see HostLeaseBlocks). */
  slotFreesSoon?(host: string): boolean;
};

type Scripted = RedisClient & {
  relayHostAcquire(
    leases: string,
    circuit: string,
    parked: string,
    ...args: Array<string | number>
  ): Promise<Array<string | number>>;
  relayHostRelease(
    leases: string,
    circuit: string,
    parked: string,
    ...args: Array<string | number>
  ): Promise<[string, number, string[]]>;
  relayHostTakeParked(parked: string, count: number): Promise<string[]>;
  relayHostReset(leases: string, circuit: string, parked: string, now: number, cap: number, resume: string): Promise<string[]>;
};

/**
 * Per-host isolation, enforced across every worker through Redis: a cap on
 * attempts in flight per tracker host and a circuit breaker per host. A
 * delivery that may not go now is parked (no attempt spent) and woken when a
 * slot frees, so one dead host never holds up the others.
 */
export class HostGate {
  private readonly redis: Scripted;
  private readonly knownHosts = new Set<string>();
  private readonly changeListeners: Array<(host: string) => void> = [];

  constructor(
    redis: RedisClient,
    private readonly keys: RelayKeys,
    private readonly options: HostGateOptions,
  ) {
    defineScripts(redis, 'relayHostAcquire', 'relayHostRelease', 'relayHostTakeParked', 'relayHostReset');
    this.redis = redis as Scripted;
  }

  /**
   * `park: false` (a caller that will retry in a moment) leaves a busy host's
   * delivery out of the parked set; closed circuits and pauses always park.
   * Admissions asked for in one turn of the event loop share one script call per host.
   */
  async acquire(host: string, deliveryId: string, now = Date.now(), options: { park?: boolean } = {}): Promise<Admission> {
    await this.remember(host);
    return this.acquireBatched(host, { deliveryId, now, park: options.park !== false });
  }

  /** Puts the host in the set the hosts API and metrics list (once per process and host). */
  async remember(host: string): Promise<void> {
    if (this.knownHosts.has(host)) return;
    await this.redis.sadd(this.keys.hosts, host);
    this.knownHosts.add(host);
  }

  private readonly acquireBatched = createTickBatcher<{ deliveryId: string; now: number; park: boolean }, Admission>(
    async (host, asks) => {
      const flat = await this.redis.relayHostAcquire(
        ...this.hostKeys(host),
        this.options.leaseMs,
        this.options.concurrency,
        ...asks.flatMap((ask) => [ask.deliveryId, ask.now, ask.park ? '1' : '0']),
      );
      return asks.map((_, index): Admission => {
        const verdict = String(flat[index * 2]);
        const probeAt = Number(flat[index * 2 + 1]);
        if (verdict === 'granted') return { granted: true };
        return { granted: false, reason: verdict as ParkReason, ...(probeAt ? { probeAt } : {}) };
      });
    },
  );

  /**
   * `ok`: the host answered (any status that is not retryable); `fail`: a
   * retryable failure (timeout, 5xx, refused); `neutral`: nothing was learnt
   * about the host (e.g. the address was refused before connecting).
   * Releases in one turn share one script call per host: each learns the
   * circuit's state; the first also gets the deliveries to wake and, when the
   * batch opened the circuit, the probe time (so they are acted on once).
   */
  release(
    host: string,
    deliveryId: string,
    outcome: 'ok' | 'fail' | 'neutral',
    error = '',
    now = Date.now(),
  ): Promise<ReleaseResult> {
    return this.releaseBatched(host, { deliveryId, outcome, error: error.slice(0, 200), now });
  }

  private readonly releaseBatched = createTickBatcher<
    { deliveryId: string; outcome: 'ok' | 'fail' | 'neutral'; error: string; now: number },
    ReleaseResult
  >(async (host, releases) => {
    const [state, openedUntil, wake] = await this.redis.relayHostRelease(
      ...this.hostKeys(host),
      this.options.failureThreshold,
      this.options.cooldownMs,
      this.options.concurrency,
      ...releases.flatMap((release) => [release.deliveryId, release.now, release.outcome, release.error]),
    );
    const first: ReleaseResult = {
      state: state as CircuitState,
      ...(Number(openedUntil) > 0 ? { openedUntil: Number(openedUntil) } : {}),
      wake,
    };
    return releases.map((_, index) => (index === 0 ? first : { state: first.state, wake: [] }));
  });

  /** Removes and returns up to `count` of the oldest parked deliveries of a host. */
  takeParked(host: string, count: number): Promise<string[]> {
    return this.redis.relayHostTakeParked(this.keys.hostParked(host), count);
  }

  async isParked(host: string, deliveryId: string): Promise<boolean> {
    return (await this.redis.zscore(this.keys.hostParked(host), deliveryId)) !== null;
  }

  async setPaused(host: string, paused: boolean): Promise<void> {
    await this.redis.sadd(this.keys.hosts, host);
    if (paused) await this.redis.hset(this.keys.hostCircuit(host), 'paused', '1');
    else await this.redis.hdel(this.keys.hostCircuit(host), 'paused');
    this.changed(host);
  }

  /**
   * Called after an operator's pause, resume or reset through this gate: an
   * in-process lease block (the worker of the same process) stops at once
   * instead of at its next check.
   */
  onChange(listener: (host: string) => void): void {
    this.changeListeners.push(listener);
  }

  private changed(host: string): void {
    for (const listener of this.changeListeners) listener(host);
  }

  /**
   * Closes the host's circuit now (failures counted from zero) and, with
   * `resume`, lifts its pause: answers the parked deliveries that may go at
   * once (removed from the parked set; the caller wakes them). A host still
   * paused wakes none. The probe job an open circuit scheduled still runs
   * later and finds nothing to probe.
   */
  async reset(host: string, options: { resume?: boolean } = {}, now = Date.now()): Promise<string[]> {
    await this.redis.sadd(this.keys.hosts, host);
    const wake = await this.redis.relayHostReset(
      ...this.hostKeys(host),
      now,
      this.options.concurrency,
      options.resume ? '1' : '0',
    );
    this.changed(host);
    return wake;
  }

  async listHosts(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.hosts)).sort();
  }

  async status(host: string, now = Date.now()): Promise<HostStatus> {
    const [leases, parked, circuit] = await Promise.all([
      this.redis.zcount(this.keys.hostLeases(host), now, '+inf'),
      this.redis.zcard(this.keys.hostParked(host)),
      this.redis.hgetall(this.keys.hostCircuit(host)),
    ]);
    return {
      host,
      state: (circuit.state as CircuitState | undefined) ?? 'closed',
      paused: circuit.paused === '1',
      inFlight: leases,
      parked,
      consecutiveFailures: Number(circuit.failures ?? 0),
      ...(circuit.last_error ? { lastError: circuit.last_error } : {}),
      ...(circuit.last_error_at ? { lastErrorAt: Number(circuit.last_error_at) } : {}),
      ...(circuit.state === 'open' && circuit.probe_at ? { probeAt: Number(circuit.probe_at) } : {}),
    };
  }

  private hostKeys(host: string): [string, string, string] {
    return [this.keys.hostLeases(host), this.keys.hostCircuit(host), this.keys.hostParked(host)];
  }
}
