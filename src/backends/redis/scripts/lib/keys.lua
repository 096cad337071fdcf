-- Key builders of a job's frontier, from the job's key base B ("<prefix>:{<job>}:", see
-- keys.ts jobKeys): every key below shares the base's {job} hash tag, so a script that
-- declares one of the job's keys may touch them all on one Redis Cluster slot.
-- keys.ts builds the same names for the TypeScript side; a test checks they agree.

-- HASH: the job's settings (keys.ts jobKeys().job).
local function k_job(B) return B .. 'job' end
-- HASH: the job's counters (keys.ts jobKeys().counters).
local function k_counters(B) return B .. 'c' end
-- ZSET: hosts that may be leased from, scored by the epoch ms they may next be contacted.
local function k_ready(B) return B .. 'ready' end
-- SET: hosts holding only unstarted pages, passed over while the page budget is spent.
local function k_parked(B) return B .. 'parked' end
-- ZSET: retries waiting for their time; member = entry, score = not-before epoch ms.
local function k_delayed(B) return B .. 'delayed' end
-- ZSET: leases in flight; member = token, score = deadline epoch ms.
local function k_deadlines(B) return B .. 'leases' end
-- HASH: token -> lease record (lib/entry.lua).
local function k_leases(B) return B .. 'lease' end
-- HASH: redirect target URL -> the URL that claimed it.
local function k_claims(B) return B .. 'claims' end
-- STREAM: committed page records, drained into PostgreSQL by the result writers.
local function k_results(B) return B .. 'results' end
-- HASH: one host's politeness state (n in flight, next, d delay, m max in flight, blk).
local function k_host(B, host) return B .. 'h:' .. host end
-- LIST: a host's urgent lane (started work: hops, due retries, expired leases, sitemap walks).
local function k_urgent(B, host) return B .. 'qu:' .. host end
-- ZSET: the priorities present in a host's normal lane (score -priority: highest first).
local function k_prios(B, host) return B .. 'qp:' .. host end
-- LIST: a host's unstarted pages of one priority, FIFO.
local function k_normal(B, host, prio) return B .. 'qn:' .. host .. ':' .. prio end
-- HASH: one origin's robots.txt answer and gate state.
local function k_robots(B, origin) return B .. 'r:' .. origin end
