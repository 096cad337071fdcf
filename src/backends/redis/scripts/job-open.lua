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
--@include lib/job

local B = string.sub(KEYS[1], 1, -4)
if job_open(B, clock_now(ARGV[1]), ARGV, 2, (#ARGV - 1) / 2) then return 1 end
return 0
