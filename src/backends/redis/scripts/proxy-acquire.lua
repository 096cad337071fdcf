--[[
  proxy-acquire: picks a proxy for a request to a host: the lowest tier >= the host's
  tier with an eligible proxy (else the highest lower one); of that tier's proxies (in id
  order) the round robin's turn names two neighbours and the lower error rate wins
  (rates within ARGV[3] are equal: the first one). Proxies whose bench is over are moved
  back to the live set first.

  KEYS[1]  the proxies hash (proxyPoolKeys(pool).proxies)
  KEYS[2]  the live set (proxyPoolKeys(pool).live)
  KEYS[3]  the bench set (proxyPoolKeys(pool).bench)
  KEYS[4]  the meta hash (proxyPoolKeys(pool).meta)
  KEYS[5]  the host's hash (proxyPoolKeys(pool).host(host))
  ARGV[1]  now, epoch ms, or "" for Redis TIME
  ARGV[2]  the error rate's half-life, ms
  ARGV[3]  the rate tolerance (proxy-pool.ts RATE_TOLERANCE)

  Returns  { id, url, tier } or {} when no proxy is eligible
]]
--@include lib/proxy

local k_p, k_live, k_bench, k_meta, k_host = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now = proxy_now(ARGV[1])
local halflife = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])

proxy_promote(k_p, k_live, k_bench, now)

local host_tier = 0
local h = redis.call('HMGET', k_host, 't', 'x')
if h[1] and tonumber(h[2]) > now then host_tier = tonumber(h[1]) end

local tier = nil
local first = redis.call('ZRANGEBYSCORE', k_live, host_tier, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
if first[2] then
  tier = tonumber(first[2])
else
  local lower = redis.call('ZREVRANGEBYSCORE', k_live, '(' .. host_tier, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if lower[2] then tier = tonumber(lower[2]) end
end
if tier == nil then return {} end

local count = redis.call('ZCOUNT', k_live, tier, tier)
local turn = redis.call('HINCRBY', k_meta, 'rr', 1) - 1
local i = turn % count
local pick = redis.call('ZRANGEBYSCORE', k_live, tier, tier, 'LIMIT', i, 1)[1]
local p = proxy_get(k_p, pick)
if count > 1 then
  local other = redis.call('ZRANGEBYSCORE', k_live, tier, tier, 'LIMIT', (turn + 1) % count, 1)[1]
  local q = proxy_get(k_p, other)
  if proxy_rate(q, halflife, now) < proxy_rate(p, halflife, now) - tolerance then
    pick, p = other, q
  end
end
return { pick, p.u, tier }
