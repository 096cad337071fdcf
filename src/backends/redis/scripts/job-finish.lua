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
--@include lib/hosts

local B = string.sub(KEYS[1], 1, -4)
local ctx = ctx_open(B, clock_now(ARGV[1]))
if not ctx or ctx.job.state ~= 'running' or not ctx_done(ctx) then return 0 end
if redis.call('XLEN', k_results(B)) > 0 then return 0 end
redis.call('HSET', k_job(B), 'state', 'completed', 'completed', ctx.now)
return 1
