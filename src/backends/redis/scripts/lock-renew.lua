--[[
  Extends a lock its owner still holds. Checking the token and extending in one step is
  what makes this safe: a plain PEXPIRE after the lock expired and was taken by another
  owner would extend that owner's lock instead.

  KEYS[1]  the lock key (globalKeys(prefix).lock(name))
  ARGV[1]  the owner's token
  ARGV[2]  TTL in ms from now

  Returns  1 when the lock was the caller's and now lasts ARGV[2] ms more, 0 when it has
           expired or belongs to another owner (nothing is changed)
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
