-- Opening a job and queueing its start: shared by job-open, add and job-submit.
-- Needs lib/keys, lib/common, lib/seen, lib/hosts and lib/queue.

-- Creates the job's hashes from `count` name, value pairs of settings at args[from], or
-- updates an existing job's (dedup settings are kept: a seen-set cannot change its shape)
-- and runs it again, filing again the hosts parked for want of budget. Returns true when
-- it created the job.
local function job_open(B, now, args, from, count)
  local created = redis.call('EXISTS', k_job(B)) == 0
  local fields = {}
  for i = from, from + 2 * count - 1, 2 do
    local name = args[i]
    local fixed = name == 'dedup' or name == 'bloom_capacity' or name == 'bloom_fpr'
    if created or not fixed then
      fields[#fields + 1] = name
      fields[#fields + 1] = args[i + 1]
    end
  end
  if created then
    fields[#fields + 1] = 'state'
    fields[#fields + 1] = 'running'
    fields[#fields + 1] = 'created'
    fields[#fields + 1] = now
    redis.call('HSET', k_job(B), unpack(fields))
    redis.call('HSET', k_counters(B), 'qn', 0, 'qu', 0, 'inflight', 0, 'ok', 0, 'failed', 0,
      'retries', 0, 'bytes', 0, 'known', 0, 'started', 0, 'tok', 0, 'produced', 0,
      'written', 0, 'expired', 0)
    return true
  end
  -- Submitted again: it runs again (a finished job with nothing new is done at once).
  fields[#fields + 1] = 'state'
  fields[#fields + 1] = 'running'
  redis.call('HSET', k_job(B), unpack(fields))
  local ctx = ctx_open(B, now)
  if ctx_budget(ctx) > 0 then
    local parked = redis.call('SMEMBERS', k_parked(B))
    redis.call('DEL', k_parked(B))
    for _, host in ipairs(parked) do host_refile(ctx, ctx_host(ctx, host)) end
  end
  return false
end

-- Origins whose sitemap walk starts the job, as `count` pairs at args[from]: fingerprint
-- (hex), origin ("scheme://host[:port]"). Each origin is walked once per job (the walk
-- waits for the origin's robots.txt like any request). Returns how many were new.
local function queue_sitemaps(ctx, args, from, count)
  if count == 0 then return 0 end
  local fps = {}
  for i = 0, count - 1 do fps[i + 1] = fp_bytes(args[from + i * 2]) end
  local new = seen_add_many(ctx.B, fps)
  local added = 0
  for i = 0, count - 1 do
    if new[i + 1] == 1 then
      local origin = args[from + 1 + i * 2]
      queue_urgent(ctx, entry_new('s', 0, 0, origin), url_host(origin), nil, false)
      added = added + 1
    end
  end
  if added > 0 then ctx_count(ctx, 'known', added) end
  return added
end
