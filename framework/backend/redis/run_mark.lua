-- Marks a service's tick as run by a holder (contract.RunLeases.MarkRun), set-if-absent, with Redis's
-- clock. KEYS[1] is the service's marks, a sorted set: each mark's member is "<tick>:<holder>" and its
-- score the tick, ticks in µs since the Unix epoch as Go's strconv.FormatInt writes them (scores are exact
-- below 2^53 µs, the year 2255; a tick is told by its member's text, exact for any int64). ARGV[1] is the
-- tick, ARGV[2] the holder, ARGV[3] the run history's MaxAge in ms (> 0). It returns the holder of the
-- tick's mark after the call: ARGV[2] when it marked it or had. It reads the key before it writes: a Redis
-- error (WRONGTYPE) ends it with nothing written, and reaches the caller as an error reply. When it marks,
-- it drops the marks the run history no longer keeps records of (tick_ms < now_ms - MaxAge, as
-- history_append.lua), never one of a tick at or after the tick marked, and extends the key's expiry to
-- MaxAge from now or MaxAge after the tick, whichever is later: every mark lives at least as long as the
-- run history's records of its tick.
local tick, holder, age_ms = ARGV[1], ARGV[2], tonumber(ARGV[3])
local prefix = tick .. ':'
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], tick, tick)) do
  if string.sub(member, 1, #prefix) == prefix then
    return string.sub(member, #prefix + 1) -- marked already: by this holder (a re-send) or another
  end
end

local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local tick_us = tonumber(tick)
local below = math.min((now_ms - age_ms) * 1000, tick_us)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', below))
redis.call('ZADD', KEYS[1], tick, prefix .. holder)
local live_ms = math.max(age_ms, math.floor(tick_us / 1000) - now_ms + age_ms + 1)
if redis.call('PTTL', KEYS[1]) < live_ms then
  redis.call('PEXPIRE', KEYS[1], string.format('%d', live_ms))
end
return holder
