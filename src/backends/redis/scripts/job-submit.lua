--[[
  job-submit: submits jobs in one step each: creates the job (or updates a resubmitted
  one, as job-open), bumps its spec version (workers restart a job whose spec changed),
  creates its results stream with the writers' consumer group, and queues its seeds and
  sitemap origins (as add). Several jobs per call so a burst of API submissions costs one
  script call; under Redis Cluster only jobs of one slot share a call.

  KEYS[1..N]  each job's hash (jobKeys(job).job)
  ARGV[1]     now, epoch ms, or "" for Redis TIME
  ARGV[2]     the writers' consumer group name
  ARGV[3..]   per job, in KEYS order: s, then s settings pairs (as job-open); n, then n
              seeds of 5 values (as add's pages); m, then m sitemap origins of 2 values
              (as add's sitemaps)

  Returns  per job, 3 values: 1 when it was created (0: it existed), seeds queued that it
           had not seen, sitemap origins queued that it had not seen; or -1, the error
           it failed with, 0 (the other jobs of the call are submitted all the same)
]]
--@include lib/keys
--@include lib/common
--@include lib/seen
--@include lib/hosts
--@include lib/queue
--@include lib/job

local now = clock_now(ARGV[1])
local group = ARGV[2]

-- One job's step, from its part of ARGV at `at`; returns created (1/0), new seeds, new
-- sitemap origins.
local function submit(B, at)
  local s = tonumber(ARGV[at])
  -- A new job (the common case: an API submission) is built without reading any of its
  -- keys (lib/job.lua job_create), in about half the calls; a resubmitted one is opened
  -- as job-open does.
  local created = redis.call('EXISTS', k_job(B)) == 0
  local ctx
  if created then
    ctx = job_create(B, now, ARGV, at + 1, s)
  else
    job_open(B, now, ARGV, at + 1, s)
    redis.call('HINCRBY', k_job(B), 'specv', 1)
  end
  local made = redis.pcall('XGROUP', 'CREATE', k_results(B), group, '0', 'MKSTREAM')
  if type(made) == 'table' and made.err and not string.find(made.err, 'BUSYGROUP', 1, true) then
    error(made)
  end
  if not created then ctx = ctx_open(B, now) end
  at = at + 1 + 2 * s
  local n = tonumber(ARGV[at])
  local seeds = queue_links(ctx, ARGV, at + 1, n)
  at = at + 1 + 5 * n
  local sitemaps = queue_sitemaps(ctx, ARGV, at + 1, tonumber(ARGV[at]))
  if created then job_create_flush(ctx) else ctx_flush(ctx) end
  return created and 1 or 0, seeds, sitemaps
end

-- Where each job's part of ARGV starts (the parts have their own lengths).
local at = 3
local out = {}
for j = 1, #KEYS do
  local start = at
  local s = tonumber(ARGV[at])
  at = at + 1 + 2 * s
  at = at + 1 + 5 * tonumber(ARGV[at])
  at = at + 1 + 2 * tonumber(ARGV[at])
  -- A job that fails (a key of the wrong type) fails alone: what it changed before the
  -- error stays, as with any script error, and the jobs after it are still submitted.
  local ok, created, seeds, sitemaps = pcall(submit, string.sub(KEYS[j], 1, -4), start)
  if ok then
    out[#out + 1] = created
    out[#out + 1] = seeds
    out[#out + 1] = sitemaps
  else
    out[#out + 1] = -1
    out[#out + 1] = type(created) == 'table' and (created.err or 'error') or tostring(created)
    out[#out + 1] = 0
  end
end
return out
