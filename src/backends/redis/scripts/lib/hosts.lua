-- A script call's view of one job (ctx): its settings, the counters the scripts branch
-- on, and the hosts touched — read once, changed in Lua, written back once by ctx_flush.
-- A script runs alone, so nothing else can change them meanwhile. This keeps a commit
-- at a handful of Redis calls instead of a few per link.
--
-- Host hash fields (Mercator's back queues: per-host state, hosts ordered in the ready
-- set by the time they may next be contacted): n (leases in flight), next (epoch ms
-- before which no request may start), d (gap between request starts, ms), m (most
-- leases in flight at once), u (urgent-lane entries), q (unstarted pages queued), blk
-- (the origin whose robots.txt the host waits for; absent when none).

local function ctx_open(B, now)
  local job = job_settings(B)
  if not job then return nil end
  local c = redis.call('HMGET', k_counters(B), 'qn', 'qu', 'inflight', 'started')
  return {
    B = B, job = job, now = now, hosts = {}, dirty = {}, delta = {},
    qn = tonumber(c[1]) or 0, qu = tonumber(c[2]) or 0,
    inflight = tonumber(c[3]) or 0, started = tonumber(c[4]) or 0,
  }
end

-- Adds n to a counter (written at flush); the four the scripts read stay current in ctx.
local function ctx_count(ctx, name, n)
  ctx.delta[name] = (ctx.delta[name] or 0) + n
  if name == 'qn' or name == 'qu' or name == 'inflight' or name == 'started' then
    ctx[name] = ctx[name] + n
  end
end

-- Pages that may still be started under the page budget (math.huge without one).
local function ctx_budget(ctx)
  if ctx.job.maxp < 0 then return math.huge end
  return ctx.job.maxp - ctx.started
end

-- Nothing queued or in flight on any worker, or the budget spent and nothing started left.
local function ctx_done(ctx)
  if ctx.inflight > 0 or ctx.qu > 0 then return false end
  return ctx.qn == 0 or ctx_budget(ctx) <= 0
end

local function ctx_host(ctx, name)
  local h = ctx.hosts[name]
  if h then return h end
  -- A new job has no hosts yet (lib/job.lua job_create): nothing to read.
  local v = ctx.new_job and {}
    or redis.call('HMGET', k_host(ctx.B, name), 'n', 'next', 'd', 'm', 'blk', 'u', 'q')
  h = {
    name = name,
    n = tonumber(v[1]) or 0,
    next = tonumber(v[2]) or 0,
    d = tonumber(v[3]) or ctx.job.delay,
    m = tonumber(v[4]) or ctx.job.hostc,
    blk = v[5] or false,
    u = tonumber(v[6]) or 0,
    q = tonumber(v[7]) or 0,
  }
  -- What the hash holds in blk, so that a flush deletes the field only when it is there.
  h.stored_blk = h.blk
  ctx.hosts[name] = h
  return h
end

local function ctx_touch(ctx, h)
  ctx.dirty[h.name] = h
end

-- Files the host in the ready set when it may be leased from (scored by its next time),
-- takes it out when not: blocked on robots.txt, at its in-flight limit, empty, or holding
-- only unstarted pages while the page budget is spent (then it is parked, to be filed
-- again if a resumed job brings a larger budget).
local function host_refile(ctx, h)
  local ready = k_ready(ctx.B)
  if h.blk or h.n >= h.m or (h.u == 0 and h.q == 0) then
    redis.call('ZREM', ready, h.name)
  elseif h.u == 0 and ctx_budget(ctx) <= 0 then
    redis.call('ZREM', ready, h.name)
    redis.call('SADD', k_parked(ctx.B), h.name)
  else
    redis.call('ZADD', ready, h.next, h.name)
  end
end

-- Writes back the counters and every touched host (and files each where it belongs).
local function ctx_flush(ctx)
  for name, n in pairs(ctx.delta) do
    if n ~= 0 then redis.call('HINCRBY', k_counters(ctx.B), name, n) end
  end
  ctx.delta = {}
  for name, h in pairs(ctx.dirty) do
    local key = k_host(ctx.B, name)
    redis.call('HSET', key, 'n', h.n, 'next', h.next, 'd', h.d, 'm', h.m, 'u', h.u, 'q', h.q)
    if h.blk then
      if h.blk ~= h.stored_blk then redis.call('HSET', key, 'blk', h.blk) end
    elseif h.stored_blk then
      redis.call('HDEL', key, 'blk')
    end
    h.stored_blk = h.blk
    host_refile(ctx, h)
  end
  ctx.dirty = {}
end

-- The end of a contact the commit reports, ms ago (nil: no request was made): the host's
-- next request starts at least its delay after it. +1: the clock counts whole
-- milliseconds, so a contact that ended at t+0.9 reads t.
local function host_contacted(h, ago, now)
  if ago == nil or h.d <= 0 then return end
  local at = now - math.max(0, ago) + h.d + 1
  if at > h.next then h.next = at end
end
