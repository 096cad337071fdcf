--[[
  proxy-sync: replaces a proxy pool's list. Proxies that stay keep their state (a new
  tier is applied), new ones start fresh and active, ones that left are forgotten.
  Duplicate ids: the first wins.

  KEYS[1]  the proxies hash (proxyPoolKeys(pool).proxies)
  KEYS[2]  the all set (proxyPoolKeys(pool).all)
  KEYS[3]  the live set (proxyPoolKeys(pool).live)
  KEYS[4]  the bench set (proxyPoolKeys(pool).bench)
  KEYS[5]  the dead set (proxyPoolKeys(pool).dead)
  KEYS[6]  the tiers hash (proxyPoolKeys(pool).tiers)
  ARGV[1]  now, epoch ms, or "" for Redis TIME
  ARGV[2..] the list: id, tier, id, tier, ... (the id is the normalised URL)

  Returns  { added, removed, kept }
]]
--@include lib/proxy

local k_p, k_all, k_live, k_bench, k_dead, k_tiers = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local now = proxy_now(ARGV[1])

local wanted = {}
local order = {}
for i = 2, #ARGV - 1, 2 do
  local id, tier = ARGV[i], tonumber(ARGV[i + 1])
  if wanted[id] == nil then
    wanted[id] = tier
    order[#order + 1] = id
  end
end

local removed = 0
for _, id in ipairs(redis.call('ZRANGE', k_all, 0, -1)) do
  if wanted[id] == nil then
    removed = removed + 1
    redis.call('HDEL', k_p, id)
    redis.call('ZREM', k_all, id)
    redis.call('ZREM', k_live, id)
    redis.call('ZREM', k_bench, id)
    redis.call('ZREM', k_dead, id)
  end
end

local added, kept = 0, 0
local tiers = {}
for _, id in ipairs(order) do
  local tier = wanted[id]
  tiers[tier] = (tiers[tier] or 0) + 1
  local p = proxy_get(k_p, id)
  if p then
    kept = kept + 1
    if p.t ~= tier then
      p.t = tier
      proxy_put(k_p, id, p)
      if redis.call('ZSCORE', k_live, id) then redis.call('ZADD', k_live, tier, id) end
      if redis.call('ZSCORE', k_dead, id) then redis.call('ZADD', k_dead, tier, id) end
    end
  else
    added = added + 1
    proxy_put(k_p, id, proxy_fresh(id, tier, now))
    redis.call('ZADD', k_all, 0, id)
    redis.call('ZADD', k_live, tier, id)
  end
end

redis.call('DEL', k_tiers)
for tier, count in pairs(tiers) do
  redis.call('HSET', k_tiers, tier, count)
end
return { added, removed, kept }
