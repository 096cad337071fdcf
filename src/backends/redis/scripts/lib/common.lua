-- Shared pieces of the frontier scripts: the clock, the job's settings, counters, URL
-- parts and the entry format. Names are prefixed by what they serve, since includes
-- share one chunk.

-- The frontier's one clock, epoch ms: Redis TIME (one clock for every worker), unless a
-- test passes its own (the contract suite drives time by hand).
local function clock_now(override)
  if override ~= nil and override ~= '' then return tonumber(override) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The job hash fields a script call works with, in the order job_settings_of takes them.
local JOB_SETTINGS = { 'delay', 'hostc', 'conc', 'maxp', 'robots', 'rmaxage', 'rretry',
  'rmaxretries', 'lease', 'maxstream', 'state' }

-- The job's settings from the values of JOB_SETTINGS, in order (as HMGET answers them).
local function job_settings_of(v)
  return {
    delay = tonumber(v[1]), hostc = tonumber(v[2]), conc = tonumber(v[3]),
    -- -1: no page budget
    maxp = tonumber(v[4]), robots = v[5] == '1',
    rmaxage = tonumber(v[6]), rretry = tonumber(v[7]), rmaxretries = tonumber(v[8]),
    lease = tonumber(v[9]), maxstream = tonumber(v[10]), state = v[11],
  }
end

-- The job's settings, read once per call.
local function job_settings(B)
  local v = redis.call('HMGET', k_job(B), unpack(JOB_SETTINGS))
  if not v[1] then return nil end
  return job_settings_of(v)
end

-- Counter names in the counters hash (see lib/hosts.lua ctx_count): qn unstarted pages
-- queued, qu urgent-lane and delayed entries, inflight, ok / failed pages, retries,
-- bytes, known URLs, started pages (what --max-pages counts), tok (lease token
-- sequence), produced (records added to the results stream), written (records stored by
-- the writers), expired (leases reclaimed).

-- Host (URL.host) of a canonical URL, as core/url/url-parts.ts hostOf.
local function url_host(url)
  local s = string.find(url, '//', 1, true)
  if not s then return url end
  s = s + 2
  local e = string.find(url, '/', s, true)
  local authority = e and string.sub(url, s, e - 1) or string.sub(url, s)
  local after_at = string.match(authority, '^.*@(.*)$')
  return after_at or authority
end

-- Origin ("scheme://host") of a canonical URL, as url-parts.ts originOf.
local function url_origin(url)
  local s = string.find(url, '//', 1, true)
  return string.sub(url, 1, s + 1) .. url_host(url)
end

-- An entry is one queued unit of work, as a string of space-separated fields (canonical
-- URLs never hold a raw space):
--   kind depth priority attempts url [fetchUrl redirectStatus hop1 hop2 ...]
-- kind: p (a page) or s (an origin's sitemap walk; url = the origin). The fields after
-- url are present for a redirect hop: the URL to fetch now, the status of the redirect
-- that led there and the targets followed so far. keys.ts/entry-codec.ts decodes them.
local function entry_new(kind, depth, prio, url)
  return kind .. ' ' .. depth .. ' ' .. prio .. ' 0 ' .. url
end

local function entry_parse(entry)
  local f = {}
  for w in string.gmatch(entry, '%S+') do f[#f + 1] = w end
  local e = {
    kind = f[1], depth = tonumber(f[2]), prio = tonumber(f[3]), attempts = tonumber(f[4]),
    url = f[5], fetch = f[6] or f[5], status = f[7], hops = {},
  }
  for i = 8, #f do e.hops[#e.hops + 1] = f[i] end
  return e
end

local function entry_format(e)
  local s = e.kind .. ' ' .. e.depth .. ' ' .. e.prio .. ' ' .. e.attempts .. ' ' .. e.url
  if #e.hops > 0 then
    s = s .. ' ' .. e.fetch .. ' ' .. e.status .. ' ' .. table.concat(e.hops, ' ')
  end
  return s
end

-- A lease record (the leases hash's value), space-separated:
--   kind host prevNext leaseNext payload
-- kind: p / s (payload = the entry) or r (a robots.txt fetch; payload = the origin).
-- prevNext / leaseNext: the host's next-contact time before and after the lease took its
-- turn, so a commit that made no request gives the turn back.
local function lease_parse(rec)
  local kind, host, prev, nxt, payload = string.match(rec, '^(%S+) (%S+) (%S+) (%S+) (.*)$')
  return { kind = kind, host = host, prev = tonumber(prev), next = tonumber(nxt), payload = payload }
end

-- A URL fingerprint as the frontier scripts receive it (16 hex digits: fingerprint.ts
-- urlFingerprintHex) turned into the 8 bytes lib/seen.lua keeps.
local function fp_bytes(hex)
  return (string.gsub(hex, '..', function(pair) return string.char(tonumber(pair, 16)) end))
end
