-- The job's seen-set: "have we seen this URL?" for the frontier's scripts, by 8-byte URL
-- fingerprints (fingerprint.ts: the first 8 bytes of SHA-1 of the canonical URL).
--
-- Two modes, chosen per job by the `dedup` field of the job hash (`base .. 'job'`), which
-- must be set when the job is created and never changed (the modes share nothing):
--
-- 'buckets' (the default): exact up to fingerprint collisions. Fingerprints are spread
--   over many small HASHes that each stay in listpack encoding (Redis keeps a hash in a
--   listpack while it has at most hash-max-listpack-entries = 128 fields), where one
--   entry costs 11 bytes; with the buckets' own overhead a seen URL costs ~14.5 bytes,
--   against ~88 in a SET of hex SHA-1s (bench/redis-dedup-memory.ts, a million URLs). The
--   bucket count follows the set's size by linear hashing, so a small crawl has one
--   bucket and a large one splits a bucket at a time, never rehashing everything.
--   Keys: base .. 'seen:meta' (HASH: L, S, n) and base .. 'seen:' .. address (HASH).
--   A new URL is wrongly taken for seen with probability about n / 2^56 (7 bytes are kept;
--   n = URLs in the set): 1.4e-11 per link at a million URLs.
--
-- 'bloom': fixed memory, sized up front from the job fields bloom_capacity (n URLs) and
--   bloom_fpr (p): m = ceil(-n ln p / (ln 2)^2) bits, k = round(m / n * ln 2) hashes;
--   ~9.6 bits per URL at p = 0.01. A new URL is wrongly taken for seen (and so never
--   crawled) with probability up to p while the set holds at most n URLs, more beyond.
--   m is at most 2^32 bits (512 MiB). Keys: base .. 'bloom:meta' (HASH: m, k, n) and
--   base .. 'bloom:' .. i (strings of at most 2^31 bits, created at full size on the first
--   add: SETBIT offsets must stay under 2^32, and a smaller string keeps a segment's
--   allocation and migration bounded).
--
-- Every key shares the base's {job} hash tag, so they live in the slot of KEYS[1] = the
-- job hash key that scripts including this file declare.
--
-- Lua 5.1 numbers are doubles: all the integer arithmetic below stays under 2^53 and is
-- exact. Local names start with seen_ because includes share one chunk.

-- A listpack hash with more than 128 fields is converted to a hashtable for good (Redis
-- never converts back), so buckets must stay well under that. With linear hashing an
-- unsplit bucket holds up to twice the average load (its split siblings hold the other
-- half): at 40 on average the fullest buckets average 80, and a bucket reaching 128 is a
-- Poisson tail below 1e-6 per bucket.
local SEEN_LOAD_FACTOR = 40
-- Bits per Bloom segment string: 2^31 (256 MiB).
local SEEN_SEGMENT_BITS = 2147483648

-- Settings and state of each job touched by this script call, keyed by base: read from
-- Redis on the first use in a call, then kept in step with every write this call makes.
-- A script runs alone, so nothing else can change them during the call.
local seen_jobs = {}

-- The unsigned 32-bit little-endian integer at bytes i..i+3 of s.
local function seen_u32le(s, i)
  local a, b, c, d = string.byte(s, i, i + 3)
  return a + b * 256 + c * 65536 + d * 16777216
end

-- The job's dedup state (see above), loaded once per call.
local function seen_job(base)
  local job = seen_jobs[base]
  if job then return job end
  local spec = redis.call('HMGET', base .. 'job', 'dedup', 'bloom_capacity', 'bloom_fpr')
  local mode = spec[1] or 'buckets'
  if mode == 'buckets' then
    local meta = base .. 'seen:meta'
    local state = redis.call('HMGET', meta, 'L', 'S', 'n')
    -- size = 2^L, kept beside L so addressing never calls pow().
    local level, size = tonumber(state[1]) or 0, 1
    for _ = 1, level do size = size * 2 end
    job = {
      mode = mode, meta = meta, prefix = base .. 'seen:',
      L = level, size = size, S = tonumber(state[2]) or 0, n = tonumber(state[3]) or 0,
    }
  elseif mode == 'bloom' then
    local meta = base .. 'bloom:meta'
    local sized = redis.call('HMGET', meta, 'm', 'k', 'n')
    -- The size is computed once and stored, so that editing bloom_capacity or bloom_fpr
    -- later (or a libm computing the logs a hair differently) cannot move every bit.
    local m, k = tonumber(sized[1]), tonumber(sized[2])
    local stored = m ~= nil
    if not stored then
      local n, p = tonumber(spec[2]), tonumber(spec[3])
      if not n or n < 1 or not p or p <= 0 or p >= 1 then
        error('seen: bloom dedup needs bloom_capacity >= 1 and 0 < bloom_fpr < 1 in ' .. base .. 'job')
      end
      local ln2 = math.log(2)
      m = math.ceil(-n * math.log(p) / (ln2 * ln2))
      k = math.max(1, math.floor(m / n * ln2 + 0.5))
      -- Positions come from two 32-bit halves of the fingerprint, so beyond 2^32 bits
      -- (512 MiB: ~448 million URLs at p = 0.01) they would crowd the filter's low end.
      if m > 4294967296 then
        error('seen: a bloom filter of ' .. m .. ' bits is over the 2^32 this hashing spreads over; lower bloom_capacity or raise bloom_fpr in ' .. base .. 'job')
      end
    end
    job = {
      mode = mode, meta = meta, prefix = base .. 'bloom:',
      m = m, k = k, stored = stored, n = tonumber(sized[3]) or 0,
    }
  else
    error('seen: unknown dedup mode "' .. tostring(mode) .. '" in ' .. base .. 'job')
  end
  seen_jobs[base] = job
  return job
end

-- A job created by this call in 'buckets' mode has an empty set: its state is known
-- without reading it (lib/job.lua job_create).
local function seen_new_buckets(base)
  seen_jobs[base] = {
    mode = 'buckets', meta = base .. 'seen:meta', prefix = base .. 'seen:',
    L = 0, size = 1, S = 0, n = 0,
  }
end

-- The fingerprint, checked: a wrong length would silently address the wrong bits.
local function seen_fp(fp)
  if type(fp) ~= 'string' or #fp ~= 8 then
    error('seen: a fingerprint is 8 bytes, got ' .. (type(fp) == 'string' and #fp or type(fp)))
  end
  return fp
end

-- Linear hashing: the bucket of address bits h (a 32-bit integer). Buckets below the
-- split pointer S are already split, so they use one more bit.
local function seen_address(job, h)
  local a = h % job.size
  if a < job.S then a = h % (job.size * 2) end
  return a
end

-- Splits bucket S: fields whose address at level L + 1 is S + 2^L move there. A field
-- holds the fingerprint's first 7 bytes, which contain the 32 address bits, so a bucket
-- is split from its own fields alone.
local function seen_split(job)
  local from, wide = job.S, job.size * 2
  local from_key = job.prefix .. from
  local moved, pairs_ = {}, {}
  for _, field in ipairs(redis.call('HKEYS', from_key)) do
    if seen_u32le(field, 1) % wide ~= from then
      moved[#moved + 1] = field
      pairs_[#pairs_ + 1] = field
      pairs_[#pairs_ + 1] = ''
    end
  end
  if #moved > 0 then
    redis.call('HDEL', from_key, unpack(moved))
    -- Bucket S + 2^L cannot exist yet: no address reached it before this split.
    redis.call('HSET', job.prefix .. (from + job.size), unpack(pairs_))
  end
  job.S = from + 1
  if job.S == job.size then
    job.L, job.size, job.S = job.L + 1, wide, 0
  end
  redis.call('HSET', job.meta, 'L', job.L, 'S', job.S)
end

-- The Bloom filter's k bit positions for fp by double hashing (Kirsch-Mitzenmacher):
-- h1 = low 32 bits, h2 = high 32 bits made odd, position i = (h1 + i * h2) mod m.
-- Each as {segment key, offset in it}.
local function seen_bloom_bits(job, fp)
  local h1, h2 = seen_u32le(fp, 1), seen_u32le(fp, 5)
  if h2 % 2 == 0 then h2 = h2 + 1 end
  local bits = {}
  for i = 0, job.k - 1 do
    local pos = (h1 + i * h2) % job.m
    local segment = math.floor(pos / SEEN_SEGMENT_BITS)
    bits[i + 1] = { job.prefix .. segment, pos - segment * SEEN_SEGMENT_BITS }
  end
  return bits
end

-- Stores the filter's size and creates its segments at full size, zero-filled. Creating
-- a string at its final size allocates it exactly once; growing it by SETBIT would
-- reallocate with Redis's greedy preallocation (up to twice the length, or 1 MiB more)
-- and leave the filter up to twice its size. A segment of 2^31 bits is 256 MiB zeroed in
-- one step: a one-off pause of some tens of ms when a huge filter's job starts.
local function seen_bloom_create(job)
  redis.call('HSET', job.meta, 'm', job.m, 'k', job.k)
  local segment = 0
  while segment * SEEN_SEGMENT_BITS < job.m do
    local key = job.prefix .. segment
    local bits = math.min(SEEN_SEGMENT_BITS, job.m - segment * SEEN_SEGMENT_BITS)
    -- Never over an existing segment: SETBIT 0 could clear a recorded bit.
    if redis.call('EXISTS', key) == 0 then redis.call('SETBIT', key, bits - 1, 0) end
    segment = segment + 1
  end
  job.stored = true
end

-- Records fp (checked) in the job's set; 1 if it was new, else 0. Counts new ones in
-- job.n but leaves writing n to the caller, so that a batch writes it once: a write per
-- URL costs about a fifth of an add's server time.
local function seen_insert(job, fp)
  if job.mode == 'buckets' then
    local key = job.prefix .. seen_address(job, seen_u32le(fp, 1))
    if redis.call('HSETNX', key, string.sub(fp, 1, 7), '') == 0 then return 0 end
    job.n = job.n + 1
    while job.n > SEEN_LOAD_FACTOR * (job.size + job.S) do seen_split(job) end
    return 1
  end
  if not job.stored then seen_bloom_create(job) end
  -- SETBIT answers the bit's old value, so testing and setting take k calls, not 2k.
  local new = 0
  for _, bit in ipairs(seen_bloom_bits(job, fp)) do
    if redis.call('SETBIT', bit[1], bit[2], 1) == 0 then new = 1 end
  end
  -- In bloom mode n only reports: a job past its bloom_capacity can be noticed.
  job.n = job.n + new
  return new
end

-- seen_add(base, fp): records fingerprint fp (an 8-byte string) in the seen-set of the
-- job whose keys start with base (e.g. "trawl:{job1}:"). Returns 1 if fp was new and is
-- now recorded, 0 if it had been seen (by an earlier call, or earlier in this one).
local function seen_add(base, fp)
  local job = seen_job(base)
  local new = seen_insert(job, seen_fp(fp))
  if new == 1 then redis.call('HSET', job.meta, 'n', job.n) end
  return new
end

-- seen_add_many(base, fps): seen_add for each fingerprint of the array fps, in order, but
-- cheaper (the count is written once). Returns an array of 1/0, one per fingerprint; a
-- fingerprint repeated in fps is new at most once.
local function seen_add_many(base, fps)
  local job = seen_job(base)
  local n_before = job.n
  -- All checked before any is recorded: a script is not rolled back when it fails, and
  -- a failure between the inserts and the write of n would leave n short.
  for i = 1, #fps do seen_fp(fps[i]) end
  local new = {}
  for i = 1, #fps do new[i] = seen_insert(job, fps[i]) end
  if job.n ~= n_before then redis.call('HSET', job.meta, 'n', job.n) end
  return new
end

-- seen_has(base, fp): 1 if fingerprint fp is in the job's seen-set, else 0. Writes
-- nothing (so it may run in read-only scripts).
local function seen_has(base, fp)
  local job = seen_job(base)
  fp = seen_fp(fp)
  if job.mode == 'buckets' then
    local key = job.prefix .. seen_address(job, seen_u32le(fp, 1))
    return redis.call('HEXISTS', key, string.sub(fp, 1, 7))
  end
  for _, bit in ipairs(seen_bloom_bits(job, fp)) do
    if redis.call('GETBIT', bit[1], bit[2]) == 0 then return 0 end
  end
  return 1
end
