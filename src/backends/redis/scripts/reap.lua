--[[
  reap: the lease reaper's step for one job (a singleton duty, under a lock): expired
  leases go back to their hosts' urgent lanes (lease() does the same for the jobs it
  serves; the reaper covers jobs no live worker is leasing from).

  KEYS[1]  the job hash (jobKeys(job).job)
  ARGV[1]  now, epoch ms, or "" for Redis TIME
  ARGV[2]  most leases reclaimed in this call

  Returns  { reclaimed, done }: done = 1 when nothing is queued or in flight (or the page
           budget is spent and nothing started is left)
]]
--@include lib/keys
--@include lib/common
--@include lib/seen
--@include lib/hosts
--@include lib/queue

local B = string.sub(KEYS[1], 1, -4)
local ctx = ctx_open(B, clock_now(ARGV[1]))
if not ctx then return { 0, 1 } end
local reclaimed = queue_reclaim(ctx, tonumber(ARGV[2]))
ctx_flush(ctx)
return { reclaimed, ctx_done(ctx) and 1 or 0 }
