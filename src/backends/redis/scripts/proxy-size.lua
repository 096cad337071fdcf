--[[
  proxy-size: a proxy pool's counts by status, for crawler_proxy_pool_size{status}.
  Proxies whose bench is over count as active (acquire moves them back).

  KEYS[1]  the live set (proxyPoolKeys(pool).live)
  KEYS[2]  the bench set (proxyPoolKeys(pool).bench)
  KEYS[3]  the dead set (proxyPoolKeys(pool).dead)
  ARGV[1]  now, epoch ms, or "" for Redis TIME

  Returns  { active, benched, dead, now }
]]
--@include lib/proxy

local now = proxy_now(ARGV[1])
local over = redis.call('ZCOUNT', KEYS[2], '-inf', now)
local benched = redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf')
return { redis.call('ZCARD', KEYS[1]) + over, benched, redis.call('ZCARD', KEYS[3]), now }
