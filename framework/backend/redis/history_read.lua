-- Reads run records newest first (see history.go), with Redis's clock.
-- KEYS[1] is the hash of each job's widest "missed" span (ms), KEYS[2..] the history keys to read.
-- ARGV[1] is the maximum age in ms, ARGV[2] Since in ms (0 for none), ARGV[3] the outcome selected as a
-- JSON string ('' for any), ARGV[4] the limit per job (0 for none), ARGV[5] '"missed"', ARGV[6..] the
-- job names of KEYS[2..]. A record is 16 digits of its place in the append order, 13 of its last tick
-- (ms), its outcome as a JSON string, then its body; its score is its tick (ms). It returns, for each
-- key, a list of records and their scores (record, score, record, …), newest first (by tick, then
-- place): those at most the age old whose tick, or for "missed" whose last tick, is at or after Since,
-- and at most the limit.
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local cutoff = now_ms - tonumber(ARGV[1])
local since, outcome, limit, missed = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), ARGV[5]
local header = 29

local function selected(record, score)
  if outcome ~= '' and string.sub(record, header + 1, header + #outcome) ~= outcome then
    return false
  end
  if score >= since then
    return true
  end
  return string.sub(record, header + 1, header + #missed) == missed and
    tonumber(string.sub(record, 17, 29)) >= since
end

-- lowest returns the lowest tick to read of job: the cutoff, or Since less the job's widest missed span.
local function lowest(job)
  if since == 0 then
    return cutoff
  end
  local span = tonumber(redis.call('HGET', KEYS[1], job)) or 0
  return math.max(cutoff, since - span)
end

-- read returns the selected records of key, in pages when there is a limit.
local function read(key, low)
  local found, offset = {}, 0
  local page = math.max(limit, 100)
  while true do
    local rows
    if limit == 0 then
      rows = redis.call('ZREVRANGEBYSCORE', key, '+inf', low, 'WITHSCORES')
    else
      rows = redis.call('ZREVRANGEBYSCORE', key, '+inf', low, 'WITHSCORES', 'LIMIT', offset, page)
    end
    for i = 1, #rows, 2 do
      if selected(rows[i], tonumber(rows[i + 1])) then
        found[#found + 1], found[#found + 2] = rows[i], rows[i + 1]
        if limit > 0 and #found >= 2 * limit then
          return found
        end
      end
    end
    if limit == 0 or #rows < 2 * page then
      return found
    end
    offset = offset + page
  end
end

local result = {}
for k = 2, #KEYS do
  result[k - 1] = read(KEYS[k], string.format('%d', lowest(ARGV[4 + k])))
end
return result
