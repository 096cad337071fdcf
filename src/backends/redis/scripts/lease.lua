--[[
  lease: hands out up to ARGV[2] leases of a job whose hosts may be contacted now, within
  the job's concurrency, page budget and results back-pressure; expired leases are
  reclaimed and due retries promoted first. Mirrors frontier/memory/frontier-state.ts.

  A host's first lease for an origin whose robots.txt is unknown or stale is a robots
  lease (kind r), and the host waits (blocked) until it is committed. While an unreachable
  robots.txt is within its retry window (and has failed at most rmaxretries times) the
  host waits for the window.

  KEYS[1]  the job hash (jobKeys(job).job); the job's key base is KEYS[1] minus "job"
  ARGV[1]  now, epoch ms, or "" for Redis TIME (tests drive time by hand)
  ARGV[2]  most leases wanted

  Returns  { done, waitMs, n, lease1..., leaseN... } where each lease is 6 values:
           token, kind ("p" page, "s" sitemap walk, "r" robots.txt), host, payload (the
           entry, or the origin for "r"), robots version (the origin's robots.txt
           fetch time, "" when robots.txt is not obeyed or for "r"), the host's delay ms.
           done = 1 when nothing is queued or in flight (or the page budget is spent and
           nothing started is left); waitMs = ms until time alone may make something
           leasable, -1 when only a commit can. An unknown job (gone from Redis)
           returns { -1, -1, 0 }.
]]
--@include lib/keys
--@include lib/common
--@include lib/seen
--@include lib/hosts
--@include lib/queue

local B = string.sub(KEYS[1], 1, -4)
local job = job_settings(B)
if not job then return { -1, -1, 0 } end
local now = clock_now(ARGV[1])
local want = tonumber(ARGV[2])

queue_reclaim(B, job, now, 100)
queue_promote(B, job, now, 200)

local function is_done()
  if count_get(B, 'inflight') > 0 or count_get(B, 'qu') > 0 then return 0 end
  if count_get(B, 'qn') == 0 or budget_left(B, job) <= 0 then return 1 end
  return 0
end

-- ms until the earliest of: a ready host's next time, a retry, a lease deadline.
local function wait_ms()
  local at = nil
  for _, key in ipairs({ k_ready(B), k_delayed(B), k_deadlines(B) }) do
    local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    if first[2] then
      local t = tonumber(first[2])
      if at == nil or t < at then at = t end
    end
  end
  if at == nil then return -1 end
  return math.max(0, at - now)
end

local limit = math.min(want, job.conc - count_get(B, 'inflight'))
if job.state ~= 'running' then limit = 0 end
-- Back-pressure: a results stream the writers have not drained holds new work back (a
-- full stream slows the workers down; nothing is ever dropped).
if limit > 0 and job.maxstream > 0 and redis.call('XLEN', k_results(B)) >= job.maxstream then
  return { is_done(), 100, 0 }
end
if limit <= 0 then return { is_done(), -1, 0 } end

local out = {}
local leased = 0
local function hold(kind, h, payload, version, prev)
  local token = 't' .. count_add(B, 'tok', 1)
  redis.call('HSET', k_leases(B), token,
    kind .. ' ' .. h.name .. ' ' .. prev .. ' ' .. h.next .. ' ' .. payload)
  redis.call('ZADD', k_deadlines(B), now + job.lease, token)
  h.n = h.n + 1
  count_add(B, 'inflight', 1)
  out[#out + 1] = token
  out[#out + 1] = kind
  out[#out + 1] = h.name
  out[#out + 1] = payload
  out[#out + 1] = version
  out[#out + 1] = h.d
  leased = leased + 1
end

while leased < limit do
  local top = redis.call('ZRANGEBYSCORE', k_ready(B), '-inf', now, 'LIMIT', 0, 1)
  local name = top[1]
  if not name then break end
  local h = host_load(B, job, name)
  local urgent = redis.call('LINDEX', k_urgent(B, name), 0)
  local entry, prio = urgent, nil
  if not urgent then
    prio = redis.call('ZRANGE', k_prios(B, name), 0, 0)[1]
    entry = prio and redis.call('LINDEX', k_normal(B, name, prio), 0)
  end
  if prio and not entry then
    -- A priority whose lane is empty: forget it (refile below decides on the host).
    redis.call('ZREM', k_prios(B, name), prio)
    host_refile(B, job, h)
  elseif not entry or (not urgent and budget_left(B, job) <= 0) then
    -- Nothing leasable after all: refile takes the host out (or parks it).
    host_refile(B, job, h)
  else
    local e = entry_parse(entry)
    local version = ''
    local take = true
    if job.robots then
      local origin = url_origin(e.fetch)
      local r = redis.call('HMGET', k_robots(B, origin), 'fetching', 'expires', 'kind', 'fails', 'fetched')
      if r[1] and r[1] ~= '' then
        -- Another lease is fetching this origin's robots.txt: wait for its commit.
        take = false
        h.blk = origin
        host_save(B, h)
        redis.call('ZREM', k_ready(B), name)
      elseif not r[2] or tonumber(r[2]) <= now then
        take = false
        local prev = h.next
        if h.d > 0 then h.next = now + h.d end
        h.blk = origin
        hold('r', h, origin, '', prev)
        redis.call('HSET', k_robots(B, origin), 'fetching', out[#out - 5])
        host_save(B, h)
        redis.call('ZREM', k_ready(B), name)
      elseif r[3] == 'disallow-all' and tonumber(r[4]) <= job.rmaxretries then
        take = false
        local until_ = tonumber(r[2])
        if until_ > h.next then h.next = until_ end
        host_save(B, h)
        host_refile(B, job, h)
      else
        version = r[5]
      end
    end
    if take then
      if urgent then
        redis.call('LPOP', k_urgent(B, name))
        count_add(B, 'qu', -1)
      else
        local lane = k_normal(B, name, prio)
        redis.call('LPOP', lane)
        if redis.call('LLEN', lane) == 0 then redis.call('ZREM', k_prios(B, name), prio) end
        count_add(B, 'qn', -1)
        count_add(B, 'started', 1)
      end
      local prev = h.next
      if h.d > 0 then h.next = now + h.d end
      hold(e.kind, h, entry, version, prev)
      host_save(B, h)
      host_refile(B, job, h)
    end
  end
end

-- At the job's concurrency only a commit frees a slot: no time to wait for (-1).
local wait = 0
if leased < want then wait = (leased == limit and limit < want) and -1 or wait_ms() end
table.insert(out, 1, leased)
table.insert(out, 1, wait)
table.insert(out, 1, is_done())
return out
