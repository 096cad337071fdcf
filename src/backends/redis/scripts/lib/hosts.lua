-- A host's politeness state and its place in the ready set (Mercator's back queues:
-- per-host queues, and hosts ordered by the time they may next be contacted).
--
-- Host hash fields: n (leases in flight), next (epoch ms before which no request may
-- start), d (gap between request starts, ms), m (most leases in flight at once), blk
-- (the origin whose robots.txt the host waits for; absent when none).

local function host_load(B, job, host)
  local v = redis.call('HMGET', k_host(B, host), 'n', 'next', 'd', 'm', 'blk')
  return {
    name = host,
    n = tonumber(v[1]) or 0,
    next = tonumber(v[2]) or 0,
    d = tonumber(v[3]) or job.delay,
    m = tonumber(v[4]) or job.hostc,
    blk = v[5] or false,
  }
end

local function host_save(B, h)
  redis.call('HSET', k_host(B, h.name), 'n', h.n, 'next', h.next, 'd', h.d, 'm', h.m)
  if h.blk then
    redis.call('HSET', k_host(B, h.name), 'blk', h.blk)
  else
    redis.call('HDEL', k_host(B, h.name), 'blk')
  end
end

-- Files the host in the ready set when it may be leased from (scored by its next time),
-- takes it out when not: blocked on robots.txt, at its in-flight limit, empty, or
-- holding only unstarted pages while the page budget is spent (then it is parked, to be
-- filed again if a resumed job brings a larger budget).
local function host_refile(B, job, h)
  local ready = k_ready(B)
  if h.blk or h.n >= h.m then
    redis.call('ZREM', ready, h.name)
    return
  end
  if redis.call('LLEN', k_urgent(B, h.name)) == 0 then
    if redis.call('ZCARD', k_prios(B, h.name)) == 0 then
      redis.call('ZREM', ready, h.name)
      return
    end
    if budget_left(B, job) <= 0 then
      redis.call('ZREM', ready, h.name)
      redis.call('SADD', k_parked(B), h.name)
      return
    end
  end
  redis.call('ZADD', ready, h.next, h.name)
end

-- The end of a contact the commit reports, ms ago (nil: no request was made): the host's
-- next request starts at least its delay after it. +1: the clock counts whole
-- milliseconds, so a contact that ended at t+0.9 reads t.
local function host_contacted(h, ago, now)
  if ago == nil or h.d <= 0 then return end
  local at = now - math.max(0, ago) + h.d + 1
  if at > h.next then h.next = at end
end
