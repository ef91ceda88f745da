-- Appends run records and applies the retention, atomically, with Redis's clock (see history.go).
-- KEYS[1] is the job index (a sorted set: job name scored by its newest tick, ms), KEYS[2] the hash of
-- each job's widest "missed" span (ms), KEYS[3] the counter of the records appended, KEYS[4..] the history
-- keys of the jobs of the batch (sorted sets: record scored by its tick, ms). ARGV[1] is the number of
-- records kept per job, ARGV[2] the maximum age in ms, ARGV[3] the number of records of the batch; then,
-- for each job key in order: its job name, its widest missed span in the batch (ms, 0 when none), its
-- record count n, and n triples of score, place in the batch (0 for its first record) and record without
-- its place. A record's member is its place in the append order (the counter's value before the batch,
-- plus 1 plus its place in the batch), 16 digits, then the rest. Records with a tick older than now-age
-- are not added and are removed; each job keeps its newest records. Returns the number of records added.
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local per_job, max_age = tonumber(ARGV[1]), tonumber(ARGV[2])
local cutoff = string.format('%d', now_ms - max_age)
local index, spans, counter = KEYS[1], KEYS[2], KEYS[3]
local first_seq = redis.call('INCRBY', counter, tonumber(ARGV[3])) - tonumber(ARGV[3]) + 1
if redis.call('PTTL', counter) < max_age then
  redis.call('PEXPIRE', counter, max_age)
end

-- add adds the n records at ARGV[first..] younger than the cutoff, in ZADDs of at most 500, and returns
-- how many it added and the newest tick among them.
local function add(key, first, n)
  local args, added, newest = {}, 0, nil
  for i = first, first + 3 * n - 3, 3 do
    local score = tonumber(ARGV[i])
    if score >= tonumber(cutoff) then
      local member = string.format('%016d', first_seq + tonumber(ARGV[i + 1])) .. ARGV[i + 2]
      args[#args + 1], args[#args + 2] = ARGV[i], member
      added = added + 1
      if not newest or score > newest then
        newest = score
      end
    end
    if #args >= 1000 then
      redis.call('ZADD', key, unpack(args))
      args = {}
    end
  end
  if #args > 0 then
    redis.call('ZADD', key, unpack(args))
  end
  return added, newest
end

-- note records job's newest tick in the index and its widest missed span.
local function note(job, newest, span)
  local current = tonumber(redis.call('ZSCORE', index, job))
  if not current or newest > current then
    redis.call('ZADD', index, string.format('%d', newest), job)
  end
  if span > 0 and span > (tonumber(redis.call('HGET', spans, job)) or 0) then
    redis.call('HSET', spans, job, string.format('%d', span))
  end
end

local pos, total = 4, 0
for k = 4, #KEYS do
  local key, job, span, n = KEYS[k], ARGV[pos], tonumber(ARGV[pos + 1]), tonumber(ARGV[pos + 2])
  local added, newest = add(key, pos + 3, n)
  pos = pos + 3 + 3 * n
  if added > 0 then
    total = total + added
    note(job, newest, span)
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. cutoff)
    redis.call('ZREMRANGEBYRANK', key, 0, -per_job - 1)
    redis.call('PEXPIRE', key, max_age)
  end
end

-- forget the jobs without a record younger than the cutoff: their history keys expire by themselves
local gone = redis.call('ZRANGEBYSCORE', index, '-inf', '(' .. cutoff)
for i = 1, #gone, 500 do
  redis.call('HDEL', spans, unpack(gone, i, math.min(i + 499, #gone)))
end
redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. cutoff)
redis.call('PEXPIRE', index, max_age)
redis.call('PEXPIRE', spans, max_age)
return total
