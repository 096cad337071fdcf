--[[
  add: queues URLs a job has not seen — seeds and links found outside a lease — or an
  origin's sitemap walk (each origin once per job; the walk waits for the origin's
  robots.txt like any request).

  KEYS[1]  the job hash (jobKeys(job).job)
  ARGV[1]  what: "pages" or "sitemaps"
  ARGV[2]  count n
  ARGV[3..] pages: n links of 5 values: fingerprint (16 hex digits: fingerprint.ts
            urlFingerprintHex), url, host, depth, priority; sitemaps: n pairs: the
            origin's fingerprint (hex), origin ("scheme://host[:port]")

  Returns  how many were new (and are now queued)
]]
--@include lib/keys
--@include lib/common
--@include lib/seen
--@include lib/hosts
--@include lib/queue

local B = string.sub(KEYS[1], 1, -4)
local ctx = ctx_open(B, clock_now(''))
if not ctx then return redis.error_reply('ERR add: no such job ' .. KEYS[1]) end
local n = tonumber(ARGV[2])
local added = 0
if ARGV[1] == 'pages' then
  added = queue_links(ctx, ARGV, 3, n)
else
  added = queue_sitemaps(ctx, ARGV, 3, n)
end
ctx_flush(ctx)
return added
