-- Claims ticks atomically with Redis's clock: the rule of fence.claim in fence.go, step for step.
-- Claim i uses KEYS[i], its service's fence: a hash with "tick" (µs since the Unix epoch), "winner" (app
-- id), "def" (the winner's definition) and "live" (its LiveUntil, µs), never expiring, and the run lease
-- (contract.RunLeases): "rholder", "rtick" (µs) and "runtil" (µs, Redis's clock) while it is held.
-- ARGV[6i-5..6i] are the tick in µs, the app id, the hold time in µs, the definition, LiveUntil in µs and
-- the run lease's ttl in µs (0: the claim does not ask for it). A tick of "release" is not a claim: it
-- releases the run lease held by the app id (ARGV[6i-4]) for the tick in µs (ARGV[6i-3]), batched with
-- the claims; it returns 6 and 1 when it was held (and released), else 6 and 0.
-- (scriptEntry.appendArgs in batch.go writes these arguments; decodeScriptReply reads the replies.)
-- It returns, at 2i-1 and 2i: 0 and {app id, previous, busy holder, busy tick} when won, previous being
-- the fence's former tick (µs) when it had the claim's definition, else '', and the busy pair the run
-- that holds the run lease when the claim asked for it and could not take it, else '' and ''; a re-sent
-- claim asking for the lease of a tick it holds gets the same with previous ''; 1 and the holder when
-- the tick is already held (by this app or another); 2 and the fence's tick when the tick is older; 3
-- and Redis's now when now is outside [tick-hold, tick+hold]; 4 and the error of a Redis call of this
-- claim (redis.pcall: nothing is written for it, the other claims go on); 5 and {winner, definition,
-- live} on a definition conflict.
local function failure(reply)
  if type(reply) == 'table' and reply.err then
    return reply.err
  end
  return nil
end

-- lease decides the run lease of a claim of tick_us by app that won the tick (won) or holds it already,
-- as runLease.forClaim in run_lease.go; it returns the busy holder and tick ('' and '' when not busy),
-- or nil and an error.
local function lease(key, tick_us, app, lease_us, now_us, won)
  local held = redis.pcall('HMGET', key, 'rholder', 'rtick', 'runtil')
  local err = failure(held)
  if err then
    return nil, err
  end
  local holder, rtick, runtil = held[1] or '', tonumber(held[2]), tonumber(held[3]) or 0
  if holder ~= '' and holder == app and rtick == tick_us then
    return '', ''
  end
  if won and (holder == '' or now_us > runtil) then
    err = failure(redis.pcall('HSET', key, 'rholder', app, 'rtick', string.format('%d', tick_us),
      'runtil', string.format('%d', now_us + lease_us)))
    if err then
      return nil, err
    end
    return '', ''
  end
  if holder == '' then
    return '(a run that has ended)', '0'
  end
  return holder, held[2] or '0'
end

local function claim(key, tick_us, app, hold_us, def, live_us, lease_us, now_us)
  local fence = redis.pcall('HMGET', key, 'tick', 'winner', 'def', 'live')
  local err = failure(fence)
  if err then
    return 4, err
  end
  local fence_tick = tonumber(fence[1])
  local previous = ''
  if fence_tick and (fence[3] or '') == def then
    previous = fence[1]
  end
  if not fence_tick then
    -- no fence yet
  elseif tick_us == fence_tick and fence[2] == app then
    if lease_us > 0 then
      local busy, busy_tick = lease(key, tick_us, app, lease_us, now_us, false)
      if not busy then
        return 4, busy_tick
      end
      return 0, {app, '', busy, busy_tick}
    end
    return 1, app
  else
    -- PERSIST: keys written by versions that set a TTL must never expire
    err = failure(redis.pcall('PERSIST', key))
    if err then
      return 4, err
    end
    local fence_def = fence[3] or ''
    local fence_live = tonumber(fence[4]) or 0
    if def ~= fence_def and now_us <= fence_live then
      return 5, {fence[2] or '', fence_def, string.format('%d', fence_live)}
    elseif tick_us == fence_tick then
      return 1, fence[2] or ''
    elseif tick_us < fence_tick then
      return 2, fence[1]
    end
  end
  if now_us < tick_us - hold_us or now_us > tick_us + hold_us then
    return 3, string.format('%d', now_us)
  end
  err = failure(redis.pcall('HSET', key, 'tick', string.format('%d', tick_us), 'winner', app, 'def', def,
    'live', string.format('%d', live_us)))
  if err then
    return 4, err
  end
  local busy, busy_tick = '', ''
  if lease_us > 0 then
    busy, busy_tick = lease(key, tick_us, app, lease_us, now_us, true)
    if not busy then
      return 4, busy_tick
    end
  end
  return 0, {app, previous, busy, busy_tick}
end

-- release releases app's run lease of tick_us in the fence at key (a "release" entry).
local function release(key, app, tick_us)
  local held = redis.pcall('HMGET', key, 'rholder', 'rtick')
  local err = failure(held)
  if err then
    return 4, err
  end
  if held[1] ~= app or tonumber(held[2]) ~= tick_us then
    return 6, 0
  end
  err = failure(redis.pcall('HDEL', key, 'rholder', 'rtick', 'runtil'))
  if err then
    return 4, err
  end
  return 6, 1
end

local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local result = {}
for i = 1, #KEYS do
  local tick_arg = ARGV[6*i-5]
  if tick_arg == 'release' then
    result[2*i-1], result[2*i] = release(KEYS[i], ARGV[6*i-4], tonumber(ARGV[6*i-3]))
  else
    result[2*i-1], result[2*i] = claim(KEYS[i], tonumber(tick_arg), ARGV[6*i-4], tonumber(ARGV[6*i-3]),
      ARGV[6*i-2], tonumber(ARGV[6*i-1]), tonumber(ARGV[6*i]), now_us)
  end
end
return result
