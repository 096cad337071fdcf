-- Opening a job: shared by job-open and job-submit.
-- Needs lib/keys, lib/common and lib/hosts.

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
