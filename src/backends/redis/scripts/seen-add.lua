--[[
  Records URL fingerprints in a job's seen-set (lib/seen.lua) and says which were new.
  The frontier's own scripts include lib/seen.lua and call seen_add / seen_add_many
  themselves; this script exposes the set on its own, for tests and for measuring it.

  KEYS[1]     the job's hash key, `<prefix>:{<job>}:job` (jobKeys(job).job): names the
              slot, and the job's key base is this key without the trailing "job"
  ARGV[1..n]  URL fingerprints, 8 bytes each (fingerprint.ts urlFingerprint)

  Returns  an array of n integers: 1 where ARGV[i] was new and is now recorded, 0 where
           it had been seen (by an earlier call, or at an earlier ARGV of this call)
]]
--@include lib/seen
local job_key = KEYS[1]
if string.sub(job_key, -3) ~= 'job' then
  return redis.error_reply('ERR seen-add: KEYS[1] must be a job hash key ending in "job"')
end
return seen_add_many(string.sub(job_key, 1, -4), ARGV)
