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
local job = job_settings(B)
if not job then return { 0, 1 } end
local now = clock_now(ARGV[1])
local reclaimed = queue_reclaim(B, job, now, tonumber(ARGV[2]))
local done = 0
if count_get(B, 'inflight') == 0 and count_get(B, 'qu') == 0 and
   (count_get(B, 'qn') == 0 or budget_left(B, job) <= 0) then
  done = 1
end
return { reclaimed, done }
