--[[
  Takes a singleton duty's lock, or extends it when this owner already holds it.

  Taking it again with the same token succeeds (and restarts the TTL) so that an owner
  whose earlier acquire or renew timed out on the client, but was applied by the server,
  gets its lock back instead of waiting for its own lock to expire.

  KEYS[1]  the lock key (globalKeys(prefix).lock(name)): a string holding the owner's token
  ARGV[1]  the owner's token (unique per owner, e.g. a random UUID)
  ARGV[2]  TTL in ms: how long the lock lasts without a renewal

  Returns  1 when the caller holds the lock for ARGV[2] ms from now, 0 when another
           owner holds it
]]
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if current then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
