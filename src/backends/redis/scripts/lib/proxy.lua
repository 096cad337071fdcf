-- Helpers of the proxy pool's scripts (proxy-*.lua); the semantics are written in
-- src/antiblock/proxy/proxy-pool.ts and mirrored by memory-proxy-pool.ts.
--
-- A proxy's record (HASH proxyPoolKeys().proxies, field = id) is JSON:
--   u url, t tier, e decayed errors, n decayed outcomes, a epoch ms of e/n,
--   f consecutive failures, b consecutive benches, w bench end (0 never benched),
--   c consecutive failed checks, k last check (0 never), l claimed until, d 1 dead.

-- Epoch ms: the override (tests drive time by hand) or Redis TIME.
local function proxy_now(override)
  if override ~= nil and override ~= '' then return tonumber(override) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function proxy_get(key, id)
  local raw = redis.call('HGET', key, id)
  if not raw then return nil end
  return cjson.decode(raw)
end

local function proxy_put(key, id, p)
  redis.call('HSET', key, id, cjson.encode(p))
end

local function proxy_fresh(url, tier, now)
  return { u = url, t = tier, e = 0, n = 0, a = now, f = 0, b = 0, w = 0, c = 0, k = 0, l = 0, d = 0 }
end

-- The factor decaying a score kept since `at` to `now`.
local function proxy_decay(halflife, at, now)
  if now <= at then return 1 end
  return 2 ^ (-(now - at) / halflife)
end

local function proxy_rate(p, halflife, now)
  local f = proxy_decay(halflife, p.a, now)
  return (p.e * f) / (p.n * f + 1)
end

-- How long the (benches+1)-th consecutive bench lasts.
local function proxy_bench_ms(base, max, benches)
  return math.min(max, base * 2 ^ math.min(benches, 40))
end

-- Moves proxies whose bench is over from the bench set to the live set.
local function proxy_promote(k_p, k_live, k_bench, now)
  local due = redis.call('ZRANGEBYSCORE', k_bench, '-inf', now, 'LIMIT', 0, 1000)
  for _, id in ipairs(due) do
    redis.call('ZREM', k_bench, id)
    local p = proxy_get(k_p, id)
    if p and p.d ~= 1 then redis.call('ZADD', k_live, p.t, id) end
  end
end

-- Benches proxy `p` (already decoded) from `now`, moving it out of the live set. Its
-- error rate is cleared: back from the bench it competes on equal terms (is retried),
-- and its kept failure count benches it again at once if it still fails.
local function proxy_bench(k_live, k_bench, id, p, now, base, max)
  p.w = now + proxy_bench_ms(base, max, p.b)
  p.b = p.b + 1
  p.e = 0
  p.n = 0
  p.a = now
  redis.call('ZREM', k_live, id)
  redis.call('ZADD', k_bench, p.w, id)
end
