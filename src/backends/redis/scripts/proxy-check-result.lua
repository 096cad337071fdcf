--[[
  proxy-check-result: records a health check of one proxy. A pass resets its failed
  checks and consecutive failures; a failure benches it (first bench ARGV[5] ms, doubled
  per consecutive bench, at most ARGV[6]) and, at ARGV[4] consecutive failed checks,
  makes it dead: out of the live and bench sets, into the dead set.

  KEYS[1]  the proxies hash (proxyPoolKeys(pool).proxies)
  KEYS[2]  the live set (proxyPoolKeys(pool).live)
  KEYS[3]  the bench set (proxyPoolKeys(pool).bench)
  KEYS[4]  the dead set (proxyPoolKeys(pool).dead)
  ARGV[1]  now, epoch ms, or "" for Redis TIME
  ARGV[2]  the proxy's id
  ARGV[3]  1 the check passed, 0 it failed
  ARGV[4]  consecutive failed checks that make a proxy dead
  ARGV[5]  first bench, ms
  ARGV[6]  longest bench, ms

  Returns  the proxy's status after the check: "active", "benched" or "dead"; "" for an
           unknown id
]]
--@include lib/proxy

local k_p, k_live, k_bench, k_dead = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now = proxy_now(ARGV[1])
local id, healthy = ARGV[2], ARGV[3] == '1'
local dead_after, bench_base, bench_max = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])

local p = proxy_get(k_p, id)
if not p then return '' end
p.l = 0
p.k = now
if healthy then
  p.c = 0
  p.f = 0
elseif p.d ~= 1 then
  p.c = p.c + 1
  if p.c >= dead_after then
    p.d = 1
    redis.call('ZREM', k_live, id)
    redis.call('ZREM', k_bench, id)
    redis.call('ZADD', k_dead, p.t, id)
  else
    proxy_bench(k_live, k_bench, id, p, now, bench_base, bench_max)
  end
end
proxy_put(k_p, id, p)
if p.d == 1 then return 'dead' end
if p.w > now then return 'benched' end
return 'active'
