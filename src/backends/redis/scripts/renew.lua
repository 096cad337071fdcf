--[[
  renew: extends leases by the job's lease time from now.

  KEYS[1]  the job hash (jobKeys(job).job)
  ARGV[1]  now, epoch ms, or "" for Redis TIME
  ARGV[2..] lease tokens

  Returns  an array: 1 where the lease was held and is extended, 0 where it was not (it
           expired and went back, or was committed)
]]
--@include lib/keys
--@include lib/common

local B = string.sub(KEYS[1], 1, -4)
local job = job_settings(B)
local now = clock_now(ARGV[1])
local out = {}
for i = 2, #ARGV do
  if job and redis.call('ZSCORE', k_deadlines(B), ARGV[i]) then
    redis.call('ZADD', k_deadlines(B), 'XX', now + job.lease, ARGV[i])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
