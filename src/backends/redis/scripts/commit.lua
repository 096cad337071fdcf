--[[
  commit: the one atomic step that finishes a lease — the page record appended to the
  results stream, its new links queued, and the lease's outcome applied (finished,
  retried, the next redirect hop, a robots.txt answer, a sitemap walk's links, or handed
  back). A token the job no longer holds (the lease expired and went back) is refused
  and nothing is written, so a late worker never creates a duplicate.
  Mirrors FrontierState.commit (frontier/memory/frontier-state.ts).

  KEYS[1]  the job hash (jobKeys(job).job)
  ARGV[1]  now, epoch ms, or "" for Redis TIME
  ARGV[2]  the lease token
  ARGV[3]  outcome: page | retry | redirect | robots | sitemaps | release
  ARGV[4]  ms since the lease's last contact with its host ended; "" when no request was
           made (the host's turn is given back)
  ARGV[5..] by outcome:
    page      ok (1/0), wire bytes, record JSON, body ("" for none), link count n,
              then n links of 5 values: fingerprint (8 bytes), url, host, depth, priority
    retry     retry in ms, host pause ms ("" for none)
    redirect  target url, target host, target fingerprint, 3xx status, the record to
              store if the target is known under its own name (JSON)
    robots    kind (parsed | allow-all | disallow-all), status (""), error (""), text (""),
              Crawl-delay ms ("" for none)
    sitemaps  link count n, then n links as for page
    release   (nothing)

  Returns  0 when the token was not held (nothing written); otherwise 1, or for a redirect
           "hop" (the next hop is queued) or "known" (finished with the known record)
]]
--@include lib/keys
--@include lib/common
--@include lib/seen
--@include lib/hosts
--@include lib/queue

local B = string.sub(KEYS[1], 1, -4)
local job = job_settings(B)
local token = ARGV[2]
local rec = job and redis.call('HGET', k_leases(B), token)
if not rec then return 0 end
local now = clock_now(ARGV[1])
local outcome = ARGV[3]
local ago = ARGV[4] ~= '' and tonumber(ARGV[4]) or nil

redis.call('HDEL', k_leases(B), token)
redis.call('ZREM', k_deadlines(B), token)
count_add(B, 'inflight', -1)
local l = lease_parse(rec)
local h = host_load(B, job, l.host)
h.n = h.n - 1

local function store(record_json, body)
  if body ~= nil and body ~= '' then
    redis.call('XADD', k_results(B), '*', 'r', record_json, 'b', body)
  else
    redis.call('XADD', k_results(B), '*', 'r', record_json)
  end
  count_add(B, 'produced', 1)
end

local function contact()
  if outcome == 'release' then return end
  if ago == nil then
    -- No request was made (robots.txt forbade it): give the host its turn back.
    if h.next == l.next then h.next = l.prev end
  else
    host_contacted(h, ago, now)
  end
end

if l.kind == 'r' then
  local origin = l.payload
  if outcome == 'robots' then
    local kind = ARGV[5]
    local fails = 0
    if kind == 'disallow-all' then
      fails = (tonumber(redis.call('HGET', k_robots(B, origin), 'fails')) or 0) + 1
    end
    local ttl = kind == 'disallow-all' and job.rretry or job.rmaxage
    redis.call('HSET', k_robots(B, origin), 'kind', kind, 'status', ARGV[6], 'error', ARGV[7],
      'text', ARGV[8], 'fetched', now, 'expires', now + ttl, 'fails', fails, 'fetching', '')
    -- Crawl-delay raises the host's gap (never below the job's) and serialises it.
    local crawl_delay = tonumber(ARGV[9])
    if crawl_delay ~= nil and crawl_delay > job.delay then
      h.d, h.m = crawl_delay, 1
    else
      h.d, h.m = job.delay, job.hostc
    end
    host_contacted(h, ago, now)
  elseif outcome == 'release' then
    redis.call('HSET', k_robots(B, origin), 'fetching', '')
  else
    return redis.error_reply('ERR commit: a ' .. outcome .. ' outcome for a robots lease')
  end
  h.blk = false
  host_save(B, h)
  host_refile(B, job, h)
  return 1
end

local e = entry_parse(l.payload)
local result = 1
contact()
host_save(B, h)

if outcome == 'page' then
  store(ARGV[7], ARGV[8])
  if ARGV[5] == '1' then count_add(B, 'ok', 1) else count_add(B, 'failed', 1) end
  count_add(B, 'bytes', tonumber(ARGV[6]))
  queue_links(B, job, ARGV, 10, tonumber(ARGV[9]))
elseif outcome == 'sitemaps' then
  queue_links(B, job, ARGV, 6, tonumber(ARGV[5]))
elseif outcome == 'retry' then
  local pause = tonumber(ARGV[6])
  if pause ~= nil and now + pause > h.next then
    h.next = now + pause
    host_save(B, h)
  end
  e.attempts = e.attempts + 1
  count_add(B, 'retries', 1)
  queue_urgent(B, job, entry_format(e), url_host(e.fetch), now, now + math.max(0, tonumber(ARGV[5])), false)
elseif outcome == 'redirect' then
  local target, target_host, target_fp, status = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
  local owner = redis.call('HGET', k_claims(B), target)
  if seen_has(B, target_fp) == 1 and owner ~= e.url then
    -- Known under its own name: crawled once, there.
    store(ARGV[9], '')
    count_add(B, 'ok', 1)
    result = 'known'
  else
    if not owner then
      if seen_add(B, target_fp) == 1 then count_add(B, 'known', 1) end
      redis.call('HSET', k_claims(B), target, e.url)
    end
    e.fetch = target
    e.status = status
    e.hops[#e.hops + 1] = target
    queue_urgent(B, job, entry_format(e), target_host, now, nil, false)
    result = 'hop'
  end
elseif outcome == 'release' then
  queue_urgent(B, job, l.payload, l.host, now, nil, true)
else
  return redis.error_reply('ERR commit: unknown outcome ' .. tostring(outcome))
end

host_refile(B, job, host_load(B, job, l.host))
return result
