/** Per-host request rates (src/delivery/host-rate-limit.ts). */

// GCRA with reservations, on Redis's clock (workers' clocks may disagree):
// each call reserves the next free send time of the host and answers how
// many ms from now it is. The theoretical arrival time (TAT) only moves
// forward by one interval per reservation, so all workers together never
// send faster than the limit, and a backlog is spread evenly, not in bursts.
export const HOST_RATE_RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil(tat + interval - now) + 1000)
return math.floor(tat - now)
`;
