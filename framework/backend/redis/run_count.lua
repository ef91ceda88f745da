-- Counts a run of a service (contract.RunLeases.CountRun) by the rule of rules.RunCount.Add, step for
-- step. KEYS[1] is the service's run count, a hash with "count" (the runs counted) and "last" (the tick
-- counted last, µs since the Unix epoch, as Go's strconv.FormatInt wrote it), never expiring; a missing key
-- has counted none. ARGV[1] is the tick in µs, in the same form (ticks are compared as text, exact for
-- any int64), ARGV[2] the limit (>= 0). It returns {count, 1} when the run is counted, or was the tick
-- counted last (a re-send), else {count, 0}; it writes only when it counts.
local held = redis.call('HMGET', KEYS[1], 'count', 'last')
local count, last = tonumber(held[1]) or 0, held[2] or ''
local tick, limit = ARGV[1], tonumber(ARGV[2])
if limit == 0 then
  return {count, 0}
end
if count > 0 and last == tick then
  return {count, 1}
end
if count >= limit then
  return {count, 0}
end
count = count + 1
redis.call('HSET', KEYS[1], 'count', string.format('%d', count), 'last', tick)
return {count, 1}
