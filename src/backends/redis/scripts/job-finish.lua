--[[
  job-finish: marks a job completed if, atomically, it is running, nothing is queued or
  in flight on any worker (or its page budget is spent and nothing started is left), and
  every result is written (its results stream is empty). A job submitted again before
  this step keeps running.

  KEYS[1]  the job hash (jobKeys(job).job)
  ARGV[1]  now, epoch ms, or "" for Redis TIME

  Returns  1 when the job is now completed, 0 when it is not over (or already completed)
]]
--@include lib/keys
--@include lib/common

local B = string.sub(KEYS[1], 1, -4)
local job = job_settings(B)
if not job or job.state ~= 'running' then return 0 end
if count_get(B, 'inflight') > 0 or count_get(B, 'qu') > 0 then return 0 end
if count_get(B, 'qn') > 0 and budget_left(B, job) > 0 then return 0 end
if redis.call('XLEN', k_results(B)) > 0 then return 0 end
redis.call('HSET', k_job(B), 'state', 'completed', 'completed', clock_now(ARGV[1]))
return 1
