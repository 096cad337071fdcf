--[[
  job-open: creates a job's frontier or updates its settings (a resumed job may bring a
  larger page budget: the hosts parked for want of budget are filed again).

  KEYS[1]  the job hash (jobKeys(job).job)
  ARGV[1]  now, epoch ms, or "" for Redis TIME
  ARGV[2..] settings as name, value pairs: delay, hostc, conc, maxp (-1: none), robots
            (1/0), rmaxage, rretry, rmaxretries, lease, maxstream, dedup, bloom_capacity,
            bloom_fpr, spec (the job spec as JSON)

  Returns  1 when the job was created, 0 when it existed (its settings are updated and it
           is running again; dedup settings are kept: a seen-set cannot change its shape)
]]
--@include lib/keys
--@include lib/common
--@include lib/seen
--@include lib/hosts

local B = string.sub(KEYS[1], 1, -4)
local created = redis.call('EXISTS', k_job(B)) == 0
local now = clock_now(ARGV[1])
for i = 2, #ARGV, 2 do
  local name, value = ARGV[i], ARGV[i + 1]
  local fixed = name == 'dedup' or name == 'bloom_capacity' or name == 'bloom_fpr'
  if created or not fixed then redis.call('HSET', k_job(B), name, value) end
end
if created then
  redis.call('HSET', k_job(B), 'state', 'running', 'created', now)
  redis.call('HSET', k_counters(B), 'qn', 0, 'qu', 0, 'inflight', 0, 'ok', 0, 'failed', 0,
    'retries', 0, 'bytes', 0, 'known', 0, 'started', 0, 'tok', 0, 'produced', 0,
    'written', 0, 'expired', 0)
  return 1
end
-- Submitted again: it runs again (a finished job with nothing new is done at once).
redis.call('HSET', k_job(B), 'state', 'running')
local ctx = ctx_open(B, now)
if ctx_budget(ctx) > 0 then
  local parked = redis.call('SMEMBERS', k_parked(B))
  redis.call('DEL', k_parked(B))
  for _, host in ipairs(parked) do host_refile(ctx, ctx_host(ctx, host)) end
end
return 0
