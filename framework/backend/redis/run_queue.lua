-- Queues a tick of a service whose ticks wait their turn and takes the service's run lease
-- (contract.RunLeases.QueueRun) by the rule of rules.RunQueue.Queue, step for step, with Redis's clock.
-- KEYS[1] is the service's fence (claim.lua), whose run lease is "rholder", "rtick" (µs) and "runtil"
-- (µs, Redis's clock) while held, as claim.lua and run_lease.lua keep it. KEYS[2] is the service's queue,
-- a hash never expiring: "waiting", the ticks waiting, oldest first, separated by spaces ("" or missing:
-- none), and "taken", the newest tick taken off the queue (missing: none). Ticks are µs since the Unix
-- epoch, as Go's strconv.FormatInt writes them, compared as numbers as in run_lease.lua (exact below 2^53
-- µs, the year 2255). ARGV[1] is the run's holder, ARGV[2] its tick, ARGV[3] max (0 to 1000: queue
-- nothing when that many wait) and ARGV[4] the lease's ttl in µs. It returns {holder, tick, waiting}: the
-- lease's holder after the call and its tick ('' and '' when free) and the ticks waiting after, oldest
-- first. It reads both keys before it writes either: a Redis error (WRONGTYPE) ends it with nothing
-- written, and reaches the caller as an error reply, never as an answer.
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local holder, tick, max, ttl_us = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local lease = redis.call('HMGET', KEYS[1], 'rholder', 'rtick', 'runtil')
local queue = redis.call('HMGET', KEYS[2], 'waiting', 'taken')
local current, rtick, runtil = lease[1] or '', lease[2] or '', tonumber(lease[3]) or 0
local waiting = {}
for waiting_tick in string.gmatch(queue[1] or '', '%S+') do
  waiting[#waiting + 1] = waiting_tick
end
if current ~= '' and current == holder and tonumber(rtick) == tonumber(tick) then
  return {current, rtick, waiting} -- a re-send of the call that took it
end

-- position returns where tick goes in waiting (oldest first), or nil when it waits already.
local function position(tick_us)
  for i, waiting_tick in ipairs(waiting) do
    local waiting_us = tonumber(waiting_tick)
    if waiting_us == tick_us then
      return nil
    elseif waiting_us > tick_us then
      return i
    end
  end
  return #waiting + 1
end

local tick_us, taken_us = tonumber(tick), tonumber(queue[2])
local at = nil
if #waiting < max and (taken_us == nil or tick_us > taken_us) then
  at = position(tick_us)
end
if at then
  table.insert(waiting, at, tick)
end
local free = current == '' or now_us > runtil
if not free or #waiting == 0 then
  if at then
    redis.call('HSET', KEYS[2], 'waiting', table.concat(waiting, ' '))
  end
  if free then
    return {'', '', waiting}
  end
  return {current, rtick, waiting}
end
local head = table.remove(waiting, 1)
redis.call('HSET', KEYS[1], 'rholder', holder, 'rtick', head, 'runtil', string.format('%d', now_us + ttl_us))
redis.call('HSET', KEYS[2], 'waiting', table.concat(waiting, ' '), 'taken', head)
return {holder, head, waiting}
