--[[
  add: queues URLs a job has not seen — seeds and links found outside a lease — or an
  origin's sitemap walk (each origin once per job; the walk waits for the origin's
  robots.txt like any request).

  KEYS[1]  the job hash (jobKeys(job).job)
  ARGV[1]  what: "pages" or "sitemaps"
  ARGV[2]  count n
  ARGV[3..] pages: n links of 5 values: fingerprint (8 bytes), url, host, depth, priority;
            sitemaps: n pairs: fingerprint of the origin, origin ("scheme://host[:port]")

  Returns  how many were new (and are now queued)
]]
--@include lib/keys
--@include lib/common
--@include lib/seen
--@include lib/hosts
--@include lib/queue

local B = string.sub(KEYS[1], 1, -4)
local job = job_settings(B)
if not job then return redis.error_reply('ERR add: no such job ' .. KEYS[1]) end
local n = tonumber(ARGV[2])
if ARGV[1] == 'pages' then return queue_links(B, job, ARGV, 3, n) end
local added = 0
for i = 0, n - 1 do
  local fp, origin = ARGV[3 + i * 2], ARGV[4 + i * 2]
  if seen_add(B, fp) == 1 then
    queue_urgent(B, job, entry_new('s', 0, 0, origin), url_host(origin), 0, nil, false)
    added = added + 1
  end
end
if added > 0 then count_add(B, 'known', added) end
return added
