-- Queueing entries on their host's lanes, adding discovered links, reclaiming expired
-- leases. Every function works on a ctx (lib/hosts.lua); the caller flushes it.

-- An unstarted page, in its host's normal lane for its priority.
local function queue_normal(ctx, entry, host, prio)
  -- The lane's first entry files its priority (RPUSH answers the new length).
  if redis.call('RPUSH', k_normal(ctx.B, host, prio), entry) == 1 then
    redis.call('ZADD', k_prios(ctx.B, host), -prio, prio)
  end
  ctx_count(ctx, 'qn', 1)
  local h = ctx_host(ctx, host)
  h.q = h.q + 1
  ctx_touch(ctx, h)
end

-- Started work in its host's urgent lane: now (at the back, or at the front for a
-- released lease), or via the delayed set at notBefore.
local function queue_urgent(ctx, entry, host, not_before, front)
  ctx_count(ctx, 'qu', 1)
  if not_before ~= nil and not_before > ctx.now then
    redis.call('ZADD', k_delayed(ctx.B), not_before, entry)
    return
  end
  redis.call(front and 'LPUSH' or 'RPUSH', k_urgent(ctx.B, host), entry)
  local h = ctx_host(ctx, host)
  h.u = h.u + 1
  ctx_touch(ctx, h)
end

-- Retries whose time has come move to their host's urgent lane (at most `limit`).
local function queue_promote(ctx, limit)
  local due = redis.call('ZRANGEBYSCORE', k_delayed(ctx.B), '-inf', ctx.now, 'LIMIT', 0, limit)
  for _, entry in ipairs(due) do
    redis.call('ZREM', k_delayed(ctx.B), entry)
    local host = url_host(entry_parse(entry).fetch)
    redis.call('RPUSH', k_urgent(ctx.B, host), entry)
    local h = ctx_host(ctx, host)
    h.u = h.u + 1
    ctx_touch(ctx, h)
  end
end

-- Entries of `stride` values each from args[from], the first a fingerprint (16 hex digits);
-- `count` of them. Records them in the seen-set and calls queue_one(at) for each never
-- seen (at: where its values start); returns how many that was.
local function queue_unseen(ctx, args, from, count, stride, queue_one)
  if count == 0 then return 0 end
  local fps = {}
  for i = 0, count - 1 do fps[i + 1] = fp_bytes(args[from + i * stride]) end
  local new = seen_add_many(ctx.B, fps)
  local added = 0
  for i = 0, count - 1 do
    if new[i + 1] == 1 then
      queue_one(from + i * stride)
      added = added + 1
    end
  end
  if added > 0 then ctx_count(ctx, 'known', added) end
  return added
end

-- Links given as 5 consecutive values from args[from]: fingerprint (16 hex digits), url, host,
-- depth, priority; `count` links. Queues those never seen; returns how many.
local function queue_links(ctx, args, from, count)
  return queue_unseen(ctx, args, from, count, 5, function(at)
    local prio = tonumber(args[at + 4])
    queue_normal(ctx, entry_new('p', args[at + 3], prio, args[at + 1]), args[at + 2], prio)
  end)
end

-- Origins whose sitemap walk starts the job, as `count` pairs at args[from]: fingerprint
-- (hex), origin ("scheme://host[:port]"). Each origin is walked once per job (the walk
-- waits for the origin's robots.txt like any request). Returns how many were new.
local function queue_sitemaps(ctx, args, from, count)
  return queue_unseen(ctx, args, from, count, 2, function(at)
    local origin = args[at + 1]
    queue_urgent(ctx, entry_new('s', 0, 0, origin), url_host(origin), nil, false)
  end)
end

-- Leases past their deadline go back (at most `limit`): their holder is presumed dead or
-- stalled. A page or walk returns to its host's urgent lane with one more attempt; a
-- robots.txt fetch is handed out again. The host keeps its gap, as if contacted now.
local function queue_reclaim(ctx, limit)
  local B = ctx.B
  local expired = redis.call('ZRANGEBYSCORE', k_deadlines(B), '-inf', ctx.now, 'LIMIT', 0, limit)
  for _, token in ipairs(expired) do
    local rec = redis.call('HGET', k_leases(B), token)
    redis.call('ZREM', k_deadlines(B), token)
    redis.call('HDEL', k_leases(B), token)
    if rec then
      local l = lease_parse(rec)
      ctx_count(ctx, 'inflight', -1)
      ctx_count(ctx, 'expired', 1)
      local h = ctx_host(ctx, l.host)
      h.n = h.n - 1
      host_contacted(h, 0, ctx.now)
      ctx_touch(ctx, h)
      if l.kind == 'r' then
        redis.call('HSET', k_robots(B, l.payload), 'fetching', '')
        h.blk = false
      else
        local e = entry_parse(l.payload)
        e.attempts = e.attempts + 1
        queue_urgent(ctx, entry_format(e), l.host, nil, false)
      end
    end
  end
  return #expired
end
