--[[
  commit: the one atomic step that finishes a lease — the page record appended to the
  results stream, its new links queued, and the lease's outcome applied (finished,
  retried, the next redirect hop, a robots.txt answer, a sitemap walk's links, or handed
  back). A token the job no longer holds (the lease expired and went back) is refused
  and nothing of that completion is written, so a late worker never creates a duplicate.
  Several completions may travel in one call (a worker's commits of one event-loop turn):
  each is applied in order, and the call as a whole is atomic.
  Mirrors FrontierState.commit (frontier/memory/frontier-state.ts).

  KEYS[1]  the job hash (jobKeys(job).job)
  ARGV[1]  now, epoch ms, or "" for Redis TIME
  ARGV[2]  how many completions follow
  then per completion: the number of values that follow for it, then those values:
           the lease token; the outcome (page | retry | redirect | robots | sitemaps |
           release); ms since the lease's last contact with its host ended ("" when no
           request was made: the host's turn is given back); then by outcome:
    page      ok (1/0), wire bytes, record JSON, body ("" for none), link count n,
              then n links of 5 values: fingerprint (16 hex digits), url, host, depth,
              priority
    retry     retry in ms, host pause ms ("" for none)
    redirect  target url, target host, target fingerprint (hex), 3xx status, the record to
              store if the target is known under its own name (JSON)
    robots    kind (parsed | allow-all | disallow-all), status (""), error (""), text (""),
              Crawl-delay ms ("" for none)
    sitemaps  link count n, then n links as for page
    release   (nothing)

  Returns  an array, one per completion: 0 when its token was not held (nothing of it
           written); otherwise 1, or for a redirect "hop" (the next hop is queued) or
           "known" (finished with the known record); "bad: <why>" for an outcome that
           does not fit its lease (a programming error; nothing of it written)
]]
--@include lib/keys
--@include lib/common
--@include lib/seen
--@include lib/hosts
--@include lib/queue

local B = string.sub(KEYS[1], 1, -4)
local ctx = ctx_open(B, clock_now(ARGV[1]))
local count = tonumber(ARGV[2])
local results = {}
if not ctx then
  for i = 1, count do results[i] = 0 end
  return results
end
local job, now = ctx.job, ctx.now

local PAGE_OUTCOMES = { page = true, retry = true, redirect = true, sitemaps = true, release = true }

local function store(record_json, body)
  if body ~= nil and body ~= '' then
    redis.call('XADD', k_results(B), '*', 'r', record_json, 'b', body)
  else
    redis.call('XADD', k_results(B), '*', 'r', record_json)
  end
  ctx_count(ctx, 'produced', 1)
end

-- One completion whose values start at ARGV[a] (the token).
local function commit_one(a)
  local token, outcome = ARGV[a], ARGV[a + 1]
  local ago = ARGV[a + 2] ~= '' and tonumber(ARGV[a + 2]) or nil
  local v = a + 3 -- the outcome's own values
  local rec = redis.call('HGET', k_leases(B), token)
  if not rec then return 0 end
  -- Checked before anything is written: a failing script is not rolled back.
  local robots_lease = string.sub(rec, 1, 2) == 'r '
  if robots_lease and outcome ~= 'robots' and outcome ~= 'release' then
    return 'bad: a ' .. outcome .. ' outcome for a robots lease'
  end
  if not robots_lease and not PAGE_OUTCOMES[outcome] then
    return 'bad: outcome ' .. tostring(outcome) .. ' for a ' .. string.sub(rec, 1, 1) .. ' lease'
  end
  redis.call('HDEL', k_leases(B), token)
  redis.call('ZREM', k_deadlines(B), token)
  ctx_count(ctx, 'inflight', -1)
  local l = lease_parse(rec)
  local h = ctx_host(ctx, l.host)
  h.n = h.n - 1
  ctx_touch(ctx, h)

  if l.kind == 'r' then
    local origin = l.payload
    if outcome == 'robots' then
      local kind = ARGV[v]
      local fails = 0
      if kind == 'disallow-all' then
        fails = (tonumber(redis.call('HGET', k_robots(B, origin), 'fails')) or 0) + 1
      end
      local ttl = kind == 'disallow-all' and job.rretry or job.rmaxage
      redis.call('HSET', k_robots(B, origin), 'kind', kind, 'status', ARGV[v + 1],
        'error', ARGV[v + 2], 'text', ARGV[v + 3], 'fetched', now, 'expires', now + ttl,
        'fails', fails, 'fetching', '')
      -- Crawl-delay raises the host's gap (never below the job's) and serialises it; it
      -- already governs the gap after this request.
      local crawl_delay = tonumber(ARGV[v + 4])
      if crawl_delay ~= nil and crawl_delay > job.delay then
        h.d, h.m = crawl_delay, 1
      else
        h.d, h.m = job.delay, job.hostc
      end
      host_contacted(h, ago, now)
    else
      redis.call('HSET', k_robots(B, origin), 'fetching', '')
    end
    h.blk = false
    return 1
  end

  local e = entry_parse(l.payload)
  if outcome ~= 'release' then
    if ago == nil then
      -- No request was made (robots.txt forbade it): give the host its turn back.
      if h.next == l.next then h.next = l.prev end
    else
      host_contacted(h, ago, now)
    end
  end

  if outcome == 'page' then
    store(ARGV[v + 2], ARGV[v + 3])
    ctx_count(ctx, ARGV[v] == '1' and 'ok' or 'failed', 1)
    ctx_count(ctx, 'bytes', tonumber(ARGV[v + 1]))
    queue_links(ctx, ARGV, v + 5, tonumber(ARGV[v + 4]))
  elseif outcome == 'sitemaps' then
    queue_links(ctx, ARGV, v + 1, tonumber(ARGV[v]))
  elseif outcome == 'retry' then
    local pause = tonumber(ARGV[v + 1])
    if pause ~= nil and now + pause > h.next then h.next = now + pause end
    e.attempts = e.attempts + 1
    ctx_count(ctx, 'retries', 1)
    queue_urgent(ctx, entry_format(e), url_host(e.fetch), now + math.max(0, tonumber(ARGV[v])), false)
  elseif outcome == 'redirect' then
    local target, target_host, target_fp, status = ARGV[v], ARGV[v + 1], fp_bytes(ARGV[v + 2]), ARGV[v + 3]
    local owner = redis.call('HGET', k_claims(B), target)
    if seen_has(B, target_fp) == 1 and owner ~= e.url then
      -- Known under its own name: crawled once, there.
      store(ARGV[v + 4], '')
      ctx_count(ctx, 'ok', 1)
      return 'known'
    end
    if not owner then
      if seen_add(B, target_fp) == 1 then ctx_count(ctx, 'known', 1) end
      redis.call('HSET', k_claims(B), target, e.url)
    end
    e.fetch = target
    e.status = status
    e.hops[#e.hops + 1] = target
    queue_urgent(ctx, entry_format(e), target_host, nil, false)
    return 'hop'
  else
    queue_urgent(ctx, l.payload, l.host, nil, true)
  end
  return 1
end

local at = 3
for i = 1, count do
  local n = tonumber(ARGV[at])
  results[i] = commit_one(at + 1)
  at = at + 1 + n
end
ctx_flush(ctx)
return results
