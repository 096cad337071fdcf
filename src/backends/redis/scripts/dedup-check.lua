--[[
  dedup-check: looks a page up in the job's dedup index and records it, in one atomic
  step, so of all pages with the same content exactly one is ever answered "original"
  (redis-dedup-index.ts; the port's guarantee in src/pipeline/dedup/dedup-index.ts).

  KEYS[1]  the job's dedup meta hash, `<prefix>:{<job>}:dd:m` (jobKeys(job).dedupMeta):
           names the slot; bucket keys are this key with the final "m" replaced by a
           bucket number (jobKeys(job).dedupBucket)
  KEYS[2]  the job's originals hash, `<prefix>:{<job>}:dd:o` (id -> URL)
  ARGV[1]  the page's URL fingerprint, 16 hex (fingerprint.ts urlFingerprintHex)
  ARGV[2]  the page's URL (kept only if it is an original)
  ARGV[3]  the content hash's first 16 hex digits
  ARGV[4]  the SimHash, 16 hex
  ARGV[5]  near threshold in bits, 0-3; -1: no near look-up and no band records

  Returns  {0} for an original (new now, or an original when checked before);
           {1, 0, url} for an exact duplicate of url; {2, distance, url} for a near one.
           A URL checked before gets its first answer again.

  Records (all small, in buckets that stay listpack-encoded: ~12-16 bytes a record):
    'u' .. url fp (8 bytes)        -> id * 8 + code (0 original, 1 exact, 2 + distance near)
    'h' .. content hash (8 bytes)  -> id of the original with that content
    'b' .. band i (1 byte) .. simhash (8 bytes) -> id, for each band i = 0..3 of an original
  Buckets grow by linear hashing, as lib/seen.lua does (see there for why): a bucket is
  split from its own fields, which hold their address bits. A band record's address is
  its band value * 4 + i, so all originals sharing band i's 16 bits sit in one bucket
  and a look-up reads 4 buckets. That gives 2^18 addresses for band records: past ~1.5
  million originals a job's buckets outgrow the listpack limit and cost more per record.
]]
local DD_LOAD_FACTOR = 40

local meta, originals = KEYS[1], KEYS[2]
if string.sub(meta, -4) ~= 'dd:m' then
  return redis.error_reply('ERR dedup-check: KEYS[1] must be a dedup meta key ending in "dd:m"')
end
local base = string.sub(meta, 1, -2)

local function dd_bytes(hex, what)
  if type(hex) ~= 'string' or #hex ~= 16 or not string.match(hex, '^%x+$') then
    error('dedup-check: ' .. what .. ' must be 16 hex digits, got ' .. tostring(hex))
  end
  return (string.gsub(hex, '%x%x', function(h) return string.char(tonumber(h, 16)) end))
end

local url_fp = dd_bytes(ARGV[1], 'the URL fingerprint')
local url = ARGV[2]
local content = dd_bytes(ARGV[3], 'the content hash')
local sim = dd_bytes(ARGV[4], 'the simhash')
local threshold = tonumber(ARGV[5])
if threshold ~= -1 and threshold ~= 0 and threshold ~= 1 and threshold ~= 2 and threshold ~= 3 then
  return redis.error_reply('ERR dedup-check: threshold must be -1 or 0-3, got ' .. tostring(ARGV[5]))
end
if type(url) ~= 'string' or url == '' then
  return redis.error_reply('ERR dedup-check: empty URL')
end

local state = redis.call('HMGET', meta, 'L', 'S', 'n')
local L, S, n = tonumber(state[1]) or 0, tonumber(state[2]) or 0, tonumber(state[3]) or 0
local n_before = n
-- size = 2^L, kept beside L so addressing never calls pow().
local size = 1
for _ = 1, L do size = size * 2 end

-- The address bits of a record, from its field alone (so a split needs no other data).
local function dd_bits(field)
  if string.byte(field, 1) == 98 then -- 'b'
    local band = string.byte(field, 2)
    local hi, lo = string.byte(field, 3 + 2 * band, 4 + 2 * band)
    return (hi * 256 + lo) * 4 + band
  end
  local a, b, c, d = string.byte(field, 2, 5)
  return a + b * 256 + c * 65536 + d * 16777216
end

local function dd_key(bits)
  local a = bits % size
  if a < S then a = bits % (size * 2) end
  return base .. a
end

-- Splits bucket S: records whose address at level L + 1 is S + 2^L move there.
local function dd_split()
  local from, wide = S, size * 2
  local from_key = base .. from
  local all = redis.call('HGETALL', from_key)
  local moved, pairs_ = {}, {}
  for i = 1, #all, 2 do
    if dd_bits(all[i]) % wide ~= from then
      moved[#moved + 1] = all[i]
      pairs_[#pairs_ + 1] = all[i]
      pairs_[#pairs_ + 1] = all[i + 1]
    end
  end
  if #moved > 0 then
    redis.call('HDEL', from_key, unpack(moved))
    -- Bucket S + 2^L cannot exist yet: no address reached it before this split.
    redis.call('HSET', base .. (from + size), unpack(pairs_))
  end
  S = from + 1
  if S == size then L, size, S = L + 1, wide, 0 end
end

local function dd_put(field, value)
  if redis.call('HSETNX', dd_key(dd_bits(field)), field, value) == 0 then return end
  n = n + 1
  while n > DD_LOAD_FACTOR * (size + S) do dd_split() end
end

local function dd_save()
  if n ~= n_before then redis.call('HSET', meta, 'L', L, 'S', S, 'n', n) end
end

local function dd_answer(code, id)
  if code == 0 then return { 0 } end
  local original = redis.call('HGET', originals, id)
  if code == 1 then return { 1, 0, original } end
  return { 2, code - 2, original }
end

-- 1. This URL was checked before: its first answer.
local url_field = 'u' .. url_fp
local seen = redis.call('HGET', dd_key(dd_bits(url_field)), url_field)
if seen then
  local v = tonumber(seen)
  local code = v % 8
  return dd_answer(code, (v - code) / 8)
end

-- 2. An original with the same content.
local hash_field = 'h' .. content
local same = redis.call('HGET', dd_key(dd_bits(hash_field)), hash_field)
if same then
  local id = tonumber(same)
  dd_put(url_field, id * 8 + 1)
  dd_save()
  return dd_answer(1, id)
end

-- 3. The nearest original sharing a band (ties: the lowest id, the first kept).
-- Set bits of a nibble: a literal table, as building a byte table costs more per call than
-- the few candidates a look-up compares.
local POP4 = { [0] = 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4 }
local function dd_distance(other)
  local d = 0
  for i = 1, 8 do
    local x = bit.bxor(string.byte(sim, i), string.byte(other, i))
    d = d + POP4[x % 16] + POP4[math.floor(x / 16)]
  end
  return d
end

if threshold >= 0 then
  local best_id, best_d = nil, threshold + 1
  for band = 0, 3 do
    local head = 'b' .. string.char(band)
    local value = string.sub(sim, 1 + 2 * band, 2 + 2 * band)
    local bits = (string.byte(value, 1) * 256 + string.byte(value, 2)) * 4 + band
    local all = redis.call('HGETALL', dd_key(bits))
    for i = 1, #all, 2 do
      local field = all[i]
      if string.sub(field, 1, 2) == head and string.sub(field, 3 + 2 * band, 4 + 2 * band) == value then
        local d, id = dd_distance(string.sub(field, 3, 10)), tonumber(all[i + 1])
        if d < best_d or (best_id and d == best_d and id < best_id) then best_id, best_d = id, d end
      end
    end
  end
  if best_id then
    dd_put(url_field, best_id * 8 + 2 + best_d)
    dd_save()
    return dd_answer(2 + best_d, best_id)
  end
end

-- 4. An original: the first page with this content.
local id = redis.call('HINCRBY', meta, 'o', 1)
redis.call('HSET', originals, id, url)
dd_put(url_field, id * 8)
dd_put(hash_field, id)
if threshold >= 0 then
  for band = 0, 3 do dd_put('b' .. string.char(band) .. sim, id) end
end
dd_save()
return { 0 }
