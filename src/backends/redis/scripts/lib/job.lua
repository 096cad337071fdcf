-- Opening a job: shared by job-open and job-submit.
-- Needs lib/keys, lib/common, lib/seen and lib/hosts.

-- The counters of a new job, in the order its counters hash is created with.
local JOB_COUNTERS = { 'qn', 'qu', 'inflight', 'ok', 'failed', 'retries', 'bytes', 'known',
  'started', 'tok', 'produced', 'written', 'expired' }

-- Creates the job's counters hash: every counter, at what `counts` has for it or 0.
local function job_counters_create(B, counts)
  local fields = {}
  for _, name in ipairs(JOB_COUNTERS) do
    fields[#fields + 1] = name
    fields[#fields + 1] = counts[name] or 0
  end
  redis.call('HSET', k_counters(B), unpack(fields))
end

-- Creates a new job's hash from its `count` settings pairs at args[from] and returns its
-- ctx (lib/hosts.lua), built without reading anything: the job hash did not exist (the
-- caller checked), so neither does any other key of the job (deleteRedisJob removes the
-- job hash last). Its counters hash (with the counts its queueing adds, in one write)
-- and its hosts are written by job_create_flush.
local function job_create(B, now, args, from, count)
  local fields, settings = {}, {}
  for i = from, from + 2 * count - 1, 2 do
    fields[#fields + 1] = args[i]
    fields[#fields + 1] = args[i + 1]
    settings[args[i]] = args[i + 1]
  end
  settings.state = 'running'
  local values = {}
  for i, name in ipairs(JOB_SETTINGS) do values[i] = settings[name] end
  for _, f in ipairs({ 'state', 'running', 'created', now, 'specv', 1 }) do
    fields[#fields + 1] = f
  end
  redis.call('HSET', k_job(B), unpack(fields))
  if (settings.dedup or 'buckets') == 'buckets' then seen_new_buckets(B) end
  return {
    B = B, job = job_settings_of(values), now = now, hosts = {}, dirty = {}, delta = {},
    qn = 0, qu = 0, inflight = 0, started = 0, new_job = true,
  }
end

-- Writes what a new job's queueing left in its ctx (job_create): its counters hash (zero,
-- plus what was counted) and the hosts it touched.
local function job_create_flush(ctx)
  job_counters_create(ctx.B, ctx.delta)
  ctx.delta = {}
  ctx_flush(ctx)
end

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
    job_counters_create(B, {})
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
