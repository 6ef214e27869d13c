-- The RedisStore's scripts, one per section; each runs whole or not at all (EVALSHA).
-- Every key of a workspace shares its {hash tag}, so each script touches one Redis Cluster slot.

--- admit
-- Count one request in its fixed window (or peek at it), then, within the limit, store a batch:
-- every link or none. Everything is checked before the first write, because a script that
-- fails halfway keeps what it already wrote.
-- KEYS: links (shortId -> record), externalIds (externalId -> shortId), order (shortIds, oldest
--   first), window (start, count).
-- ARGV: the window's mode ('count' a request, 'peek' at it, '' to skip it), limit, window
--   (microseconds), now (microseconds; '' reads Redis TIME), links total ('' for no cap), the
--   batch as JSON ('' for none).
-- Returns: count, window end (microseconds, as text), outcome ('stored', 'peeked', 'limited',
--   'taken', 'total', 'collision'), then the taken externalIds or the number of links stored.
local count, resets_at = 0, '0'
if ARGV[1] ~= '' then
  local now = tonumber(ARGV[4])
  if now == nil then
    local time = redis.call('TIME')
    now = tonumber(time[1]) * 1000000 + tonumber(time[2])
  end
  local length = tonumber(ARGV[3])
  local start = now - now % length
  local started = string.format('%.0f', start)
  resets_at = string.format('%.0f', start + length)
  local current = redis.call('HGET', KEYS[4], 'start') == started
  if ARGV[1] == 'peek' then
    if current then
      count = tonumber(redis.call('HGET', KEYS[4], 'count'))
    end
    return {count, resets_at, 'peeked'}
  end
  if current then
    count = redis.call('HINCRBY', KEYS[4], 'count', 1)
  else
    redis.call('HSET', KEYS[4], 'start', started, 'count', 1)
    count = 1
  end
  -- The window's key expires at the window's end, measured on the clock that opened it.
  redis.call('PEXPIRE', KEYS[4], math.max(1, math.ceil((start + length - now) / 1000)))
  if count > tonumber(ARGV[2]) then
    return {count, resets_at, 'limited'}
  end
end
if ARGV[6] == '' then
  return {count, resets_at, 'stored'}
end
-- One JSON argument for the whole batch: [[shortId, externalId or null, record], ...].
local batch = cjson.decode(ARGV[6])
local taken, seen = {}, {}
for _, link in ipairs(batch) do
  local external = link[2]
  if external ~= cjson.null then
    if seen[external] or redis.call('HEXISTS', KEYS[2], external) == 1 then
      taken[#taken + 1] = external
    end
    seen[external] = true
  end
end
if #taken > 0 then
  return {count, resets_at, 'taken', unpack(taken)}
end
local stored = redis.call('HLEN', KEYS[1])
if ARGV[5] ~= '' and stored + #batch > tonumber(ARGV[5]) then
  return {count, resets_at, 'total', stored}
end
local short_ids = {}
for _, link in ipairs(batch) do
  if short_ids[link[1]] or redis.call('HEXISTS', KEYS[1], link[1]) == 1 then
    return {count, resets_at, 'collision'}
  end
  short_ids[link[1]] = true
end
-- Every check passed: write in chunks, as unpack() has a stack limit.
local chunk = 2000
for from = 1, #batch, chunk do
  local records, externals, order = {}, {}, {}
  for index = from, math.min(#batch, from + chunk - 1) do
    local short_id, external = batch[index][1], batch[index][2]
    records[#records + 1] = short_id
    records[#records + 1] = batch[index][3]
    order[#order + 1] = short_id
    if external ~= cjson.null then
      externals[#externals + 1] = external
      externals[#externals + 1] = short_id
    end
  end
  redis.call('HSET', KEYS[1], unpack(records))
  redis.call('RPUSH', KEYS[3], unpack(order))
  if #externals > 0 then
    redis.call('HSET', KEYS[2], unpack(externals))
  end
end
return {count, resets_at, 'stored'}

--- find_external
-- Return the shortId and record of the link an externalId names, if any.
-- KEYS: links, externalIds. ARGV: externalId.
local short_id = redis.call('HGET', KEYS[2], ARGV[1])
if not short_id then
  return false
end
return {short_id, redis.call('HGET', KEYS[1], short_id)}

--- journal
-- Append entries to the journal and keep its newest ones.
-- KEYS: journal. ARGV: most entries kept, then the entries, oldest first.
for from = 2, #ARGV, 1000 do
  redis.call('RPUSH', KEYS[1], unpack(ARGV, from, math.min(#ARGV, from + 999)))
end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
return #ARGV - 1

--- reset
-- Delete every key given: the workspace's fixed keys and the rate windows found by SCAN.
redis.call('DEL', unpack(KEYS))
return #KEYS
