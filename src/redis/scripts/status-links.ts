/** Status links between the reports of one conversion (src/store/status-links.ts). */

// One key per conversion identity holding "<latest id>\n<the id before it>".
// For each identity key (KEYS) and new conversion id (ARGV[i + 1]): swap in
// the new id and answer the one it replaces. A re-run for the same
// conversion (the worker crashed after linking, before recording) finds
// itself as the latest and answers the id it was linked to the first time
// instead of linking to itself. On Redis Cluster each call holds one key.
export const LINK_CONVERSIONS = `
local out = {}
for i = 1, #KEYS do
  local id = ARGV[i + 1]
  local value = redis.call('GET', KEYS[i])
  local latest = ''
  local before = ''
  local relinked = false
  if value then
    local cut = string.find(value, '\\n', 1, true)
    if cut then
      latest = string.sub(value, 1, cut - 1)
      before = string.sub(value, cut + 1)
    else
      latest = value
    end
    if latest == id then
      out[i] = before
      relinked = true
    end
  end
  if not relinked then
    redis.call('SET', KEYS[i], id .. '\\n' .. latest, 'PX', ARGV[1])
    out[i] = latest
  end
end
return out
`;
