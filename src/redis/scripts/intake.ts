/** The receiver's intake (src/queue/intake.ts). */

// For each dedupe key: the id it already holds, or, when free, the new id
// it now holds for the window. Keys of one batch are checked in order, so a
// duplicate inside the batch answers the first one's id too.
export const CLAIM_DEDUPE = `
local window = ARGV[1]
local out = {}
for i = 1, #KEYS do
  local first = redis.call('GET', KEYS[i])
  if first then
    out[i] = first
  else
    redis.call('SET', KEYS[i], ARGV[i + 1], 'PX', window)
    out[i] = ARGV[i + 1]
  end
end
return out
`;
