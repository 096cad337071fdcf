--[[
  Gives a lock up so another owner can take it at once instead of after its TTL. Only the
  owner may: an owner whose lock expired and was taken by another must not delete the
  new owner's lock.

  KEYS[1]  the lock key (globalKeys(prefix).lock(name))
  ARGV[1]  the owner's token

  Returns  1 when the lock was the caller's and is now deleted, 0 when it had expired or
           belongs to another owner (nothing is changed)
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
