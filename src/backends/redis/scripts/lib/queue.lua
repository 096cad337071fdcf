-- Queueing entries on their host's lanes, and adding discovered links.

-- An unstarted page, in its host's normal lane for its priority.
local function queue_normal(B, job, entry, host, prio)
  redis.call('RPUSH', k_normal(B, host, prio), entry)
  redis.call('ZADD', k_prios(B, host), -prio, prio)
  count_add(B, 'qn', 1)
  local h = host_load(B, job, host)
  host_refile(B, job, h)
end

-- Started work in its host's urgent lane: now (at the back, or at the front for a
-- released lease), or via the delayed set at notBefore.
local function queue_urgent(B, job, entry, host, now, not_before, front)
  count_add(B, 'qu', 1)
  if not_before ~= nil and not_before > now then
    redis.call('ZADD', k_delayed(B), not_before, entry)
    return
  end
  if front then
    redis.call('LPUSH', k_urgent(B, host), entry)
  else
    redis.call('RPUSH', k_urgent(B, host), entry)
  end
  local h = host_load(B, job, host)
  host_refile(B, job, h)
end

-- Retries whose time has come move to their host's urgent lane (at most `limit`).
local function queue_promote(B, job, now, limit)
  local due = redis.call('ZRANGEBYSCORE', k_delayed(B), '-inf', now, 'LIMIT', 0, limit)
  for _, entry in ipairs(due) do
    redis.call('ZREM', k_delayed(B), entry)
    local host = url_host(entry_parse(entry).fetch)
    redis.call('RPUSH', k_urgent(B, host), entry)
    host_refile(B, job, host_load(B, job, host))
  end
end

-- Links given as 5 consecutive values from args[from]: fingerprint (8 bytes), url, host,
-- depth, priority; `count` links. Queues those never seen; returns how many.
local function queue_links(B, job, args, from, count)
  local added = 0
  for i = 0, count - 1 do
    local at = from + i * 5
    if seen_add(B, args[at]) == 1 then
      local prio = tonumber(args[at + 4])
      queue_normal(B, job, entry_new('p', args[at + 3], prio, args[at + 1]), args[at + 2], prio)
      added = added + 1
    end
  end
  if added > 0 then count_add(B, 'known', added) end
  return added
end

-- Leases past their deadline go back (at most `limit`): their holder is presumed dead or
-- stalled. A page or walk returns to its host's urgent lane with one more attempt; a
-- robots.txt fetch is handed out again. The host keeps its gap, as if contacted now.
local function queue_reclaim(B, job, now, limit)
  local expired = redis.call('ZRANGEBYSCORE', k_deadlines(B), '-inf', now, 'LIMIT', 0, limit)
  for _, token in ipairs(expired) do
    local rec = redis.call('HGET', k_leases(B), token)
    redis.call('ZREM', k_deadlines(B), token)
    redis.call('HDEL', k_leases(B), token)
    if rec then
      local l = lease_parse(rec)
      count_add(B, 'inflight', -1)
      count_add(B, 'expired', 1)
      local h = host_load(B, job, l.host)
      h.n = h.n - 1
      host_contacted(h, 0, now)
      if l.kind == 'r' then
        redis.call('HSET', k_robots(B, l.payload), 'fetching', '')
        h.blk = false
        host_save(B, h)
        host_refile(B, job, h)
      else
        host_save(B, h)
        local e = entry_parse(l.payload)
        e.attempts = e.attempts + 1
        queue_urgent(B, job, entry_format(e), l.host, now, nil, false)
      end
    end
  end
  return #expired
end
