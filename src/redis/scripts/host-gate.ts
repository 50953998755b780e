/** The per-host gate: concurrency cap, circuit breaker, parked deliveries (src/delivery/host-gate.ts). */

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
export const HOST_ACQUIRE = `
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

// Shared by the scripts that free slots: removes and answers as many of the
// host's oldest parked deliveries as it has free slots (dead leases dropped
// first); the caller wakes them. Lua scripts cannot call each other, so the
// function is put at the head of each script that uses it.
const WAKE_PARKED = `
local function wakeParked(leases, parked, now, cap)
  redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
  local free = cap - redis.call('ZCARD', leases)
  if free <= 0 then return {} end
  local wake = redis.call('ZRANGE', parked, 0, free - 1)
  if #wake > 0 then redis.call('ZREM', parked, unpack(wake)) end
  return wake
end
`;

// Release of each (delivery, time, outcome, error) in ARGV, in order: free
// the slot and move the circuit (success closes it; enough consecutive
// failures, or a failed probe, open it). Then hand back as many parked
// deliveries as there are free slots so they run without polling. ARGV[1..3]:
// failure threshold, cooldown, cap. Answers the circuit's state, when a
// release opened it the probe time, and the deliveries to wake.
// The common case, successes on a closed circuit with nothing parked, reads
// the circuit once and frees every slot in one ZREM: no write to the circuit.
export const HOST_RELEASE = `${WAKE_PARKED}
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
  wake = wakeParked(leases, parked, now, cap)
end
return {state, openedUntil, wake}
`;

// Oldest parked deliveries, removed from the set: the caller wakes them.
export const HOST_TAKE_PARKED = `
local wake = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #wake > 0 then redis.call('ZREM', KEYS[1], unpack(wake)) end
return wake
`;

// An operator's reset: close the circuit now (and, for a resume, lift the
// pause), then hand back as many parked deliveries as there are free slots,
// as a successful release would. ARGV: now, cap, '1' to lift the pause.
export const HOST_RESET = `${WAKE_PARKED}
local leases, circuit, parked = KEYS[1], KEYS[2], KEYS[3]
local now, cap = tonumber(ARGV[1]), tonumber(ARGV[2])
if ARGV[3] == '1' then redis.call('HDEL', circuit, 'paused') end
redis.call('HSET', circuit, 'state', 'closed', 'failures', 0)
redis.call('HDEL', circuit, 'probe_at', 'opened_at')
if redis.call('HGET', circuit, 'paused') == '1' then return {} end
return wakeParked(leases, parked, now, cap)
`;

// Lease blocks (src/delivery/host-lease-blocks.ts): a worker process takes
// several of a host's slots at once and hands them out in process, so a
// healthy host costs no script call per delivery. A block is granted only
// while the host is clean: circuit closed with no failure counted, not
// paused, nothing parked (parked deliveries go first, through the
// per-delivery gate). The processes holding or asking for blocks of a host
// are in its owners set (expiring unless renewed), and each block stays
// within a fair share of the cap, cap ÷ owners rounded up: a second worker
// gets half the slots instead of parking behind the first one's block.
const BLOCK_SHARE = `
local function blockShare(owners, owner, now, ttl, cap)
  redis.call('ZREMRANGEBYSCORE', owners, '-inf', now)
  redis.call('ZADD', owners, now + ttl, owner)
  return math.ceil(cap / redis.call('ZCARD', owners))
end
`;

// KEYS: leases, circuit, parked, owners. ARGV: now, lease length, cap, owner,
// owner entry lifetime, slots the owner's block holds, then the lease ids it
// would like. Answers -1 when the host is not clean, else how many of those
// ids (the first ones) are now leases.
export const HOST_BLOCK_TAKE = `${BLOCK_SHARE}
local leases, circuit, parked, owners = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, leaseMs, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local c = redis.call('HMGET', circuit, 'paused', 'state', 'failures')
if c[1] == '1' or (c[2] or 'closed') ~= 'closed' or tonumber(c[3] or '0') ~= 0 then return -1 end
if redis.call('EXISTS', parked) == 1 then return -1 end
local share = blockShare(owners, ARGV[4], now, tonumber(ARGV[5]), cap)
redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
local n = math.min(cap - redis.call('ZCARD', leases), share - tonumber(ARGV[6]), #ARGV - 6)
if n <= 0 then return 0 end
local grants = {}
for i = 1, n do
  grants[#grants + 1] = now + leaseMs
  grants[#grants + 1] = ARGV[6 + i]
end
redis.call('ZADD', leases, unpack(grants))
return n
`;

// A block's periodic check: renews the leases of the slots in use and of the
// free ones kept, gives back the free ones not kept, and says whether the host
// is still clean (see HOST_BLOCK_TAKE). Free slots are kept while the host is
// clean and within the owner's share (the first ones, in the order sent); a
// host that is not clean gets every free slot back, so the per-delivery gate
// (and its parked deliveries) has them. A lease that expired meanwhile (the
// process stalled past the lease length) may have been taken by another
// process, so then the free slots are given back too rather than renewed over
// the cap. Slots given back wake as many parked deliveries as the cap allows,
// as a release would. An owner left with nothing leaves the owners set.
// KEYS: leases, circuit, parked, owners. ARGV: now, lease length, cap, owner,
// owner entry lifetime, count in use, count of free offered, then the in-use
// ids, the free ids offered, the ids given back.
// Answers {clean (1/0), lost (1/0), ids of parked deliveries to wake, free kept}.
export const HOST_BLOCK_CHECK = `${WAKE_PARKED}${BLOCK_SHARE}
local leases, circuit, parked, owners = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, leaseMs, cap, owner = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local inUse, offered = tonumber(ARGV[6]), tonumber(ARGV[7])
local c = redis.call('HMGET', circuit, 'paused', 'state', 'failures')
local closed = (c[2] or 'closed') == 'closed'
local clean = c[1] ~= '1' and closed and tonumber(c[3] or '0') == 0 and redis.call('EXISTS', parked) == 0
local share = blockShare(owners, owner, now, tonumber(ARGV[5]), cap)
local keep = 0
if clean then keep = math.max(0, math.min(offered, share - inUse)) end
local renew, giveBack = {}, {}
for i = 8, 7 + inUse do renew[#renew + 1] = ARGV[i] end
for i = 8 + inUse, 7 + inUse + offered do
  if i < 8 + inUse + keep then renew[#renew + 1] = ARGV[i] else giveBack[#giveBack + 1] = ARGV[i] end
end
for i = 8 + inUse + offered, #ARGV do giveBack[#giveBack + 1] = ARGV[i] end
local lost = 0
if #renew > 0 then
  local scored, alive = {}, 0
  for _, id in ipairs(renew) do
    if redis.call('ZSCORE', leases, id) then alive = alive + 1 end
    scored[#scored + 1] = now + leaseMs
    scored[#scored + 1] = id
  end
  redis.call('ZADD', leases, 'XX', unpack(scored))
  if alive < #renew then
    lost = 1
    for i = 8 + inUse, 7 + inUse + keep do giveBack[#giveBack + 1] = ARGV[i] end
    keep = 0
  end
end
if inUse + keep == 0 then redis.call('ZREM', owners, owner) end
local wake = {}
if #giveBack > 0 then
  redis.call('ZREM', leases, unpack(giveBack))
  if c[1] ~= '1' and closed and redis.call('EXISTS', parked) == 1 then wake = wakeParked(leases, parked, now, cap) end
end
return {clean and 1 or 0, lost, wake, keep}
`;
