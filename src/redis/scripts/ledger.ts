/** The delivery ledger (src/store/ledger.ts). */

// A conversion's record is one hash (see src/store/ledger.ts). For each
// record in KEYS: sets fields, appends attempt lines
// (keeping the newest ARGV[2]) and renews the expiry, so a record never
// lacks one. ARGV: ttl ms, attempts kept, then per record: the number of
// field/value pairs, the number of (attempts field, line) appends, the
// pairs, the appends. The records written in one turn go in one call.
export const LEDGER_WRITE = `
local ttl, keep = ARGV[1], tonumber(ARGV[2])
local at = 3
for k = 1, #KEYS do
  local key = KEYS[k]
  local pairs, appends = tonumber(ARGV[at]), tonumber(ARGV[at + 1])
  at = at + 2
  if pairs > 0 then redis.call('HSET', key, unpack(ARGV, at, at + 2 * pairs - 1)) end
  at = at + 2 * pairs
  for i = at, at + 2 * appends - 1, 2 do
    local lines = redis.call('HGET', key, ARGV[i])
    lines = lines and (lines .. '\\n' .. ARGV[i + 1]) or ARGV[i + 1]
    local count = 1
    for _ in string.gmatch(lines, '\\n') do count = count + 1 end
    while count > keep do
      lines = string.sub(lines, string.find(lines, '\\n', 1, true) + 1)
      count = count - 1
    end
    redis.call('HSET', key, ARGV[i], lines)
  end
  at = at + 2 * appends
  redis.call('PEXPIRE', key, ttl)
end
return #KEYS
`;

// The search indexes of one turn's conversions (src/store/ledger.ts), on a
// single Redis: as separate commands the click id entries alone were two
// client commands per conversion, most of what the worker sent to Redis.
// KEYS: the click id sets (one per entry, repeats allowed), then the
// control-slot index sets. ARGV: retention ms, trim-before time (0: no trim),
// the number of click keys, then per click key its (score, member), then per
// index set: entry count n, '1' to renew its expiry, n (score, member) pairs.
// A cluster spreads these keys over slots: there the ledger sends commands.
export const SEARCH_INDEX_ADD = `
local retention, trimBefore, clicks = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local at = 4
for k = 1, clicks do
  redis.call('ZADD', KEYS[k], ARGV[at], ARGV[at + 1])
  redis.call('PEXPIRE', KEYS[k], retention)
  at = at + 2
end
for k = clicks + 1, #KEYS do
  local n, renew = tonumber(ARGV[at]), ARGV[at + 1]
  at = at + 2
  redis.call('ZADD', KEYS[k], unpack(ARGV, at, at + 2 * n - 1))
  at = at + 2 * n
  if renew == '1' then redis.call('PEXPIRE', KEYS[k], retention) end
  if trimBefore > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', trimBefore) end
end
return #KEYS
`;
