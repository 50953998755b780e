import type { RedisClient } from '../redis/connection.js';
import type { RelayKeys } from '../store/keys.js';
import { createTickBatcher } from '../redis/tick-batcher.js';

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

// Admission of each (delivery, time, park flag) in ARGV, in order: expire
// dead leases, then grant a slot if the host is not paused, its circuit lets
// this attempt through and it is under its concurrency cap. Otherwise the
// delivery joins the parked set (FIFO by first park time). ARGV[1], ARGV[2]:
// lease length and cap; answers a (verdict, probe time) pair per delivery.
// The host's lease count, pause and circuit are read once per call and the
// grants counted here, then written in one ZADD (and one ZREM from the parked
// set when it has members): a call carries a turn's admissions for the host,
// and per-delivery reads and writes made this script the largest Redis cost
// per conversion.
const ACQUIRE = `
local leases, circuit, parked = KEYS[1], KEYS[2], KEYS[3]
local leaseMs, cap = tonumber(ARGV[1]), tonumber(ARGV[2])

-- The script runs after every ask was made: a lease past the latest ask's time is dead for all of them.
local latest = 0
for i = 4, #ARGV, 3 do latest = math.max(latest, tonumber(ARGV[i])) end
redis.call('ZREMRANGEBYSCORE', leases, '-inf', latest)
local count = redis.call('ZCARD', leases)
local c = redis.call('HMGET', circuit, 'paused', 'state', 'probe_at')
local paused = c[1] == '1'
local state = c[2] or 'closed'
local probeAt = tonumber(c[3] or '0')
local hasParked = redis.call('EXISTS', parked) == 1

local leased, grants, granted, parks = {}, {}, {}, {}
local function park(now, id)
  parks[#parks + 1] = now
  parks[#parks + 1] = id
end
local function grant(now, id)
  count = count + 1
  leased[id] = true
  grants[#grants + 1] = now + leaseMs
  grants[#grants + 1] = id
  granted[#granted + 1] = id
  return 'granted', 0
end

local function admit(id, now, flag)
  if leased[id] or (count > 0 and redis.call('ZSCORE', leases, id)) then
    leased[id] = true
    return 'granted', 0
  end
  if paused then
    park(now, id)
    return 'paused', 0
  end
  if state == 'open' then
    if now < probeAt then
      park(now, id)
      return 'circuit_open', probeAt
    end
    -- Cooldown over: this attempt is the single half-open probe.
    redis.call('HSET', circuit, 'state', 'half_open')
    state = 'half_open'
    return grant(now, id)
  end
  if state == 'half_open' then
    -- No lease: the probe's expired (its worker died), so this attempt probes instead.
    if count == 0 then return grant(now, id) end
    park(now, id)
    return 'circuit_open', probeAt
  end
  if count >= cap then
    -- A caller that will ask again shortly is not parked: a wake-up spent on it would be lost.
    if flag == '1' then park(now, id) end
    return 'host_busy', 0
  end
  return grant(now, id)
end

local out = {}
for i = 3, #ARGV, 3 do
  local verdict, at = admit(ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2])
  out[#out + 1] = verdict
  out[#out + 1] = at
end
-- Parked first, then unparked: an id parked and then granted in the same call ends up leased, not parked.
if #parks > 0 then redis.call('ZADD', parked, 'NX', unpack(parks)) end
if #grants > 0 then
  redis.call('ZADD', leases, unpack(grants))
  if hasParked or #parks > 0 then redis.call('ZREM', parked, unpack(granted)) end
end
return out
`;

// Release of each (delivery, time, outcome, error) in ARGV, in order: free
// the slot and move the circuit (success closes it; enough consecutive
// failures, or a failed probe, open it). Then hand back as many parked
// deliveries as there are free slots so they run without polling. ARGV[1..3]:
// failure threshold, cooldown, cap. Answers the circuit's state, when a
// release opened it the probe time, and the deliveries to wake.
// The common case, successes on a closed circuit with nothing parked, reads
// the circuit once and frees every slot in one ZREM: no write to the circuit.
const RELEASE = `
local leases, circuit, parked = KEYS[1], KEYS[2], KEYS[3]
local threshold, cooldown, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local c = redis.call('HMGET', circuit, 'state', 'failures', 'paused')
local state = c[1] or 'closed'
local failures = tonumber(c[2] or '0')
local openedUntil = 0
local now = 0
local ids = {}
for i = 4, #ARGV, 4 do
  local id, outcome, err = ARGV[i], ARGV[i + 2], ARGV[i + 3]
  now = tonumber(ARGV[i + 1])
  ids[#ids + 1] = id
  if outcome == 'ok' then
    if state ~= 'closed' or failures ~= 0 then
      redis.call('HSET', circuit, 'failures', 0, 'state', 'closed')
      state, failures = 'closed', 0
    end
  elseif outcome == 'fail' then
    failures = redis.call('HINCRBY', circuit, 'failures', 1)
    redis.call('HSET', circuit, 'last_error', err, 'last_error_at', now)
    if state == 'half_open' or (state == 'closed' and failures >= threshold) then
      openedUntil = now + cooldown
      redis.call('HSET', circuit, 'state', 'open', 'probe_at', openedUntil, 'opened_at', now)
      state = 'open'
    end
  end
end
redis.call('ZREM', leases, unpack(ids))
if state ~= 'open' then openedUntil = 0 end
local wake = {}
if state == 'closed' and c[3] ~= '1' and redis.call('EXISTS', parked) == 1 then
  redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
  local free = cap - redis.call('ZCARD', leases)
  if free > 0 then
    wake = redis.call('ZRANGE', parked, 0, free - 1)
    if #wake > 0 then redis.call('ZREM', parked, unpack(wake)) end
  end
end
return {state, openedUntil, wake}
`;

// Oldest parked deliveries, removed from the set: the caller wakes them.
const TAKE_PARKED = `
local wake = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #wake > 0 then redis.call('ZREM', KEYS[1], unpack(wake)) end
return wake
`;

// An operator's reset: close the circuit now (and, for a resume, lift the
// pause), then hand back as many parked deliveries as there are free slots,
// as a successful release would. ARGV: now, cap, '1' to lift the pause.
const RESET = `
local leases, circuit, parked = KEYS[1], KEYS[2], KEYS[3]
local now, cap = tonumber(ARGV[1]), tonumber(ARGV[2])
if ARGV[3] == '1' then redis.call('HDEL', circuit, 'paused') end
redis.call('HSET', circuit, 'state', 'closed', 'failures', 0)
redis.call('HDEL', circuit, 'probe_at', 'opened_at')
if redis.call('HGET', circuit, 'paused') == '1' then return {} end
redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
local free = cap - redis.call('ZCARD', leases)
if free <= 0 then return {} end
local wake = redis.call('ZRANGE', parked, 0, free - 1)
if #wake > 0 then redis.call('ZREM', parked, unpack(wake)) end
return wake
`;

type Scripted = RedisClient & {
  relayHostAcquire(leases: string, circuit: string, parked: string, ...args: Array<string | number>): Promise<Array<string | number>>;
  relayHostRelease(leases: string, circuit: string, parked: string, ...args: Array<string | number>): Promise<[string, number, string[]]>;
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

  constructor(
    redis: RedisClient,
    private readonly keys: RelayKeys,
    private readonly options: HostGateOptions,
  ) {
    redis.defineCommand('relayHostAcquire', { numberOfKeys: 3, lua: ACQUIRE });
    redis.defineCommand('relayHostRelease', { numberOfKeys: 3, lua: RELEASE });
    redis.defineCommand('relayHostTakeParked', { numberOfKeys: 1, lua: TAKE_PARKED });
    redis.defineCommand('relayHostReset', { numberOfKeys: 3, lua: RESET });
    this.redis = redis as Scripted;
  }

  /**
   * `park: false` (a caller that will retry in a moment) leaves a busy host's
   * delivery out of the parked set; closed circuits and pauses always park.
   * Admissions asked for in one turn of the event loop share one script call per host.
   */
  async acquire(host: string, deliveryId: string, now = Date.now(), options: { park?: boolean } = {}): Promise<Admission> {
    if (!this.knownHosts.has(host)) {
      await this.redis.sadd(this.keys.hosts, host);
      this.knownHosts.add(host);
    }
    return this.acquireBatched(host, { deliveryId, now, park: options.park !== false });
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
  release(host: string, deliveryId: string, outcome: 'ok' | 'fail' | 'neutral', error = '', now = Date.now()): Promise<ReleaseResult> {
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
    return this.redis.relayHostReset(...this.hostKeys(host), now, this.options.concurrency, options.resume ? '1' : '0');
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
