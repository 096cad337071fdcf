--[[
  proxy-claim-checks: hands out up to ARGV[2] proxies due for a health check, most urgent
  first (then in id order): bench over and not checked since, never checked, not checked
  for ARGV[4] ms. Dead, benched and already claimed proxies are not due. Each proxy
  handed out is claimed for ARGV[3] ms, so other workers' checkers skip it meanwhile.

  KEYS[1]  the proxies hash (proxyPoolKeys(pool).proxies)
  KEYS[2]  the all set (proxyPoolKeys(pool).all)
  ARGV[1]  now, epoch ms, or "" for Redis TIME
  ARGV[2]  most proxies wanted
  ARGV[3]  how long each is claimed, ms
  ARGV[4]  an active proxy's re-check interval, ms

  Returns  { id1, url1, id2, url2, ... }
]]
--@include lib/proxy

local k_p, k_all = KEYS[1], KEYS[2]
local now = proxy_now(ARGV[1])
local limit, claim_ms, recheck_ms = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])

-- In id order (the all set's members share one score): each rank's list stays sorted.
local ranks = { {}, {}, {} }
for _, id in ipairs(redis.call('ZRANGE', k_all, 0, -1)) do
  local p = proxy_get(k_p, id)
  if p and p.d ~= 1 and p.l <= now and p.w <= now then
    local rank = nil
    if p.w > 0 and p.k < p.w then rank = 1
    elseif p.k == 0 then rank = 2
    elseif now - p.k >= recheck_ms then rank = 3 end
    if rank then
      local list = ranks[rank]
      list[#list + 1] = { id, p }
    end
  end
end

local out = {}
local taken = 0
for _, list in ipairs(ranks) do
  for _, item in ipairs(list) do
    if taken >= limit then return out end
    local id, p = item[1], item[2]
    p.l = now + claim_ms
    proxy_put(k_p, id, p)
    out[#out + 1] = id
    out[#out + 1] = p.u
    taken = taken + 1
  end
end
return out
