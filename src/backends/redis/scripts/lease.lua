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
  ARGV[3]  a random nonce of the caller's, part of every token it gets: the token counter
           can go back when Redis restarts from a persistence file that missed its last
           writes, and a token handed out before the restart must never name a lease
           handed out after it

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
local ctx = ctx_open(B, clock_now(ARGV[1]))
if not ctx then return { -1, -1, 0 } end
local job, now = ctx.job, ctx.now
local want = tonumber(ARGV[2])

queue_reclaim(ctx, 100)
queue_promote(ctx, 200)
-- File the hosts these touched before leasing reads the ready set.
ctx_flush(ctx)

local function finish(wait, out, leased)
  ctx_flush(ctx)
  table.insert(out, 1, leased)
  table.insert(out, 1, wait)
  table.insert(out, 1, ctx_done(ctx) and 1 or 0)
  return out
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

local limit = math.min(want, job.conc - ctx.inflight)
if job.state ~= 'running' then limit = 0 end
-- Back-pressure: a results stream the writers have not drained holds new work back (a
-- full stream slows the workers down; nothing is ever dropped).
if limit > 0 and job.maxstream > 0 and redis.call('XLEN', k_results(B)) >= job.maxstream then
  return finish(100, {}, 0)
end
if limit <= 0 then return finish(-1, {}, 0) end

local out = {}
local leased = 0
local first_token = nil
local function hold(kind, h, payload, version, prev)
  local token = ARGV[3] .. redis.call('HINCRBY', k_counters(B), 'tok', 1)
  redis.call('HSET', k_leases(B), token,
    kind .. ' ' .. h.name .. ' ' .. prev .. ' ' .. h.next .. ' ' .. payload)
  redis.call('ZADD', k_deadlines(B), now + job.lease, token)
  h.n = h.n + 1
  ctx_count(ctx, 'inflight', 1)
  out[#out + 1] = token
  out[#out + 1] = kind
  out[#out + 1] = h.name
  out[#out + 1] = payload
  out[#out + 1] = version
  out[#out + 1] = h.d
  leased = leased + 1
  return token
end

-- robots.txt state of the origins met in this call.
local origins = {}
local function robots_state(origin)
  local r = origins[origin]
  if r then return r end
  local v = redis.call('HMGET', k_robots(B, origin), 'fetching', 'expires', 'kind', 'fails', 'fetched')
  r = { fetching = v[1] or '', expires = tonumber(v[2]), kind = v[3], fails = tonumber(v[4]) or 0, fetched = v[5] }
  origins[origin] = r
  return r
end

-- Takes what one host may give now: several leases at once when it has no delay.
local function take_from(h)
  while leased < limit and h.n < h.m and not h.blk do
    local urgent = h.u > 0
    if not urgent and (h.q == 0 or ctx_budget(ctx) <= 0) then return end
    local entry, prio, lane
    if urgent then
      lane = k_urgent(B, h.name)
      entry = redis.call('LINDEX', lane, 0)
      if not entry then h.u = 0 end
    else
      prio = redis.call('ZRANGE', k_prios(B, h.name), 0, 0)[1]
      if not prio then
        h.q = 0
      else
        lane = k_normal(B, h.name, prio)
        entry = redis.call('LINDEX', lane, 0)
        -- A priority whose lane is empty: forget it.
        if not entry then redis.call('ZREM', k_prios(B, h.name), prio) end
      end
    end
    if entry then
      local e = entry_parse(entry)
      local version = ''
      if job.robots then
        local origin = url_origin(e.fetch)
        local r = robots_state(origin)
        if r.fetching ~= '' then
          -- Another lease is fetching this origin's robots.txt: wait for its commit.
          h.blk = origin
          return
        elseif not r.expires or r.expires <= now then
          local prev = h.next
          if h.d > 0 then h.next = now + h.d end
          h.blk = origin
          r.fetching = hold('r', h, origin, '', prev)
          redis.call('HSET', k_robots(B, origin), 'fetching', r.fetching)
          return
        elseif r.kind == 'disallow-all' and r.fails <= job.rmaxretries then
          -- Unreachable, within its retry window: the host waits for the window.
          if r.expires > h.next then h.next = r.expires end
          return
        end
        version = r.fetched
      end
      redis.call('LPOP', lane)
      if urgent then
        h.u = h.u - 1
        ctx_count(ctx, 'qu', -1)
      else
        if redis.call('LLEN', lane) == 0 then redis.call('ZREM', k_prios(B, h.name), prio) end
        h.q = h.q - 1
        ctx_count(ctx, 'qn', -1)
        ctx_count(ctx, 'started', 1)
      end
      local prev = h.next
      if h.d > 0 then h.next = now + h.d end
      hold(e.kind, h, entry, version, prev)
      -- A spaced host gives one lease per turn of its gap.
      if h.d > 0 then return end
    end
  end
end

while leased < limit do
  local name = redis.call('ZRANGEBYSCORE', k_ready(B), '-inf', now, 'LIMIT', 0, 1)[1]
  if not name then break end
  local h = ctx_host(ctx, name)
  take_from(h)
  ctx_touch(ctx, h)
  -- Filed again now (not only at flush): the next turn of this loop must see where it is.
  host_refile(ctx, h)
end

-- At the job's concurrency only a commit frees a slot: no time to wait for (-1).
local wait = 0
if leased < want then wait = (leased == limit and limit < want) and -1 or wait_ms() end
return finish(wait, out, leased)
