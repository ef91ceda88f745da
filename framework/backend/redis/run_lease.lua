-- Acquires or renews run leases (contract.RunLeases) with Redis's clock; releases go with the claims
-- (redis_claim.lua). A lease lives in its service's fence hash (KEYS[i]; see redis_claim.lua): "rholder",
-- "rtick" (µs), "runtil" (µs). ARGV[1] is the operation ("acquire" or "renew"), ARGV[2] the ttl in µs,
-- ARGV[2i+1] and ARGV[2i+2] the holder and tick (µs) of lease i. It returns, for each lease: "acquire":
-- {holder, tick} of the lease after the call (the caller's when it took it or held it); "renew": 1 when
-- the caller held it (renewed), else 0.
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local op, ttl_us = ARGV[1], tonumber(ARGV[2])
local result = {}
for i = 1, #KEYS do
  local holder, tick = ARGV[2*i+1], ARGV[2*i+2]
  local held = redis.call('HMGET', KEYS[i], 'rholder', 'rtick', 'runtil')
  local current, runtil = held[1] or '', tonumber(held[3]) or 0
  local mine = current == holder and tonumber(held[2]) == tonumber(tick)
  local live = current ~= '' and runtil >= now_us
  if op == 'acquire' then
    if mine or not live then
      redis.call('HSET', KEYS[i], 'rholder', holder, 'rtick', tick, 'runtil', string.format('%d', now_us + ttl_us))
      result[i] = {holder, tick}
    else
      result[i] = {current, held[2]}
    end
  elseif mine and live then -- renew
    redis.call('HSET', KEYS[i], 'runtil', string.format('%d', now_us + ttl_us))
    result[i] = 1
  else
    result[i] = 0
  end
end
return result
