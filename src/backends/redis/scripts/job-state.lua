--[[
  job-state: moves a job to another state if it is in one of the states allowed, in one
  step (a pause cannot overwrite a completion that happened meanwhile). Leasing stops at
  once for any state but running (lease.lua); workers stop their loops for the job at
  their next look at the registry.

  KEYS[1]  the job hash (jobKeys(job).job)
  ARGV[1]  the new state: running, paused or cancelled
  ARGV[2..] the states the job may be in for the move

  Returns  the job's state after the call ("" when there is no such job)
]]
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return '' end
for i = 2, #ARGV do
  if state == ARGV[i] then
    redis.call('HSET', KEYS[1], 'state', ARGV[1])
    return ARGV[1]
  end
end
return state
