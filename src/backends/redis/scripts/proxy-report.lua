--[[
  proxy-report: what happened to a request through a leased proxy. Updates the proxy's
  decayed error rate and consecutive failures (benching it at ARGV[7] of them), and the
  host's strikes and tier (escalating after ARGV[10] strikes through its tier to the next
  tier the pool has above the lease's).

  KEYS[1]  the proxies hash (proxyPoolKeys(pool).proxies)
  KEYS[2]  the live set (proxyPoolKeys(pool).live)
  KEYS[3]  the bench set (proxyPoolKeys(pool).bench)
  KEYS[4]  the tiers hash (proxyPoolKeys(pool).tiers)
  KEYS[5]  the host's hash (proxyPoolKeys(pool).host(host))
  ARGV[1]  now, epoch ms, or "" for Redis TIME
  ARGV[2]  the proxy's id
  ARGV[3]  the lease's tier
  ARGV[4]  the outcome: ok, proxy_failed or blocked
  ARGV[5]  the error rate's half-life, ms
  ARGV[6]  a block's weight in the error rate
  ARGV[7]  consecutive failures that bench a proxy
  ARGV[8]  first bench, ms (doubled per consecutive bench)
  ARGV[9]  longest bench, ms
  ARGV[10] strikes that escalate a host
  ARGV[11] how long a host's state is kept after its last strike, ms

  Returns  1 when the proxy is known, 0 when it is not (only the host was updated)
]]
--@include lib/proxy

local k_p, k_live, k_bench, k_tiers, k_host = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now = proxy_now(ARGV[1])
local id, lease_tier, outcome = ARGV[2], tonumber(ARGV[3]), ARGV[4]
local halflife, blocked_weight = tonumber(ARGV[5]), tonumber(ARGV[6])
local bench_after, bench_base, bench_max = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local escalate_after, host_ttl = tonumber(ARGV[10]), tonumber(ARGV[11])

-- The host: strikes and escalation.
local h = redis.call('HMGET', k_host, 't', 's', 'x')
local known = h[1] and tonumber(h[3]) > now
local host_tier = known and tonumber(h[1]) or 0
if lease_tier >= host_tier then
  if outcome == 'ok' then
    if known then redis.call('HSET', k_host, 's', 0) end
  else
    local strikes = (known and tonumber(h[2]) or 0) + 1
    if strikes >= escalate_after then
      strikes = 0
      local next_tier = nil
      local flat = redis.call('HGETALL', k_tiers)
      for j = 1, #flat, 2 do
        local t = tonumber(flat[j])
        if t > lease_tier and (next_tier == nil or t < next_tier) then next_tier = t end
      end
      if next_tier ~= nil then host_tier = next_tier end
    end
    redis.call('HSET', k_host, 't', host_tier, 's', strikes, 'x', now + host_ttl)
    -- Garbage collection in real time; the x field decides (tests drive the clock).
    redis.call('PEXPIRE', k_host, host_ttl)
  end
end

local p = proxy_get(k_p, id)
if not p then return 0 end
-- While benched only an ok counts: the bench already took the failures into account.
if p.w > now and outcome ~= 'ok' then return 1 end
local f = proxy_decay(halflife, p.a, now)
p.e = p.e * f
p.n = p.n * f + 1
p.a = now
if outcome == 'ok' then
  p.f = 0
  p.b = 0
elseif outcome == 'blocked' then
  p.e = p.e + blocked_weight
else
  p.e = p.e + 1
  p.f = p.f + 1
  if p.d ~= 1 and p.f >= bench_after then
    proxy_bench(k_live, k_bench, id, p, now, bench_base, bench_max)
  end
end
proxy_put(k_p, id, p)
return 1
