-- Registers a live process with Redis's clock and reads the operators' orders (see processes.go and
-- control.go). KEYS[1] is the index of live processes (a sorted set: app id scored by its record's
-- expiry, ms), KEYS[2] the process's record key, KEYS[3] the set of paused jobs, KEYS[4] the requests (a
-- sorted set: a request's member scored by when it was made, µs), KEYS[5] the pause notes (a hash: job ->
-- note). ARGV[1] is the app id, ARGV[2] the record, ARGV[3] the ttl in ms, ARGV[4] how long a request
-- lives in µs. It sets the record to expire after the ttl, indexes it, drops the expired entries from the
-- index, keeps the index at least as long as the record and drops the requests made more than ARGV[4]
-- ago. Returns {paused jobs (in no order), the pause notes (HGETALL: job, note, …), the requests made
-- within ARGV[4] (oldest first)}.
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
redis.call('ZADD', KEYS[1], string.format('%d', now_ms + ttl), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', now_ms))
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
local oldest = string.format('%d', now_us - tonumber(ARGV[4]))
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. oldest)
return {redis.call('SMEMBERS', KEYS[3]), redis.call('HGETALL', KEYS[5]),
  redis.call('ZRANGEBYSCORE', KEYS[4], oldest, '+inf')}
