/**
 * Every Redis key Trawl uses is built here (the Lua side builds its per-host and
 * per-bucket keys in scripts/lib/keys.lua from the job base made here; a test checks
 * the two agree).
 *
 * Cluster: all keys of one job carry the job id as a hash tag, `trawl:{<job>}:...`, so a
 * job's multi-key scripts run on one slot and different jobs spread over the shards.
 * Keys shared by every job (the job registry, locks) live outside any job's tag and are
 * never touched in the same script as a job's keys.
 */

/** Default prefix of every key; several Trawl deployments can share a server with others. */
export const DEFAULT_KEY_PREFIX = 'trawl';

/** A job id as it may appear in keys: no braces (they would break the hash tag). */
export function assertJobId(jobId: string): string {
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(jobId)) {
    throw new Error(
      `invalid job id ${JSON.stringify(jobId)}: use 1-128 letters, digits, ".", "_", ":" or "-"`,
    );
  }
  return jobId;
}

/** Keys shared by the whole deployment. */
export function globalKeys(prefix = DEFAULT_KEY_PREFIX) {
  return {
    /** SET of the ids of jobs that are not finished (or whose results are not all written). */
    jobs: `${prefix}:jobs`,
    /** A singleton duty's lock (string holding the owner's token, with a TTL). */
    lock: (name: string): string => `${prefix}:lock:${name}`,
    /** Prefix of the API rate limiter's counters (@fastify/rate-limit adds key and window). */
    rateLimit: `${prefix}:ratelimit:`,
  };
}

/** The keys of one job; all share the `{job}` hash tag. */
export function jobKeys(jobId: string, prefix = DEFAULT_KEY_PREFIX) {
  const base = `${prefix}:{${assertJobId(jobId)}}:`;
  return {
    /** Prefix of every key of the job; scripts derive per-host keys from it. */
    base,
    /** HASH: the job's spec and the settings the scripts read (lib/keys.lua k_job). */
    job: `${base}job`,
    /** HASH: the job's counters (k_counters). */
    counters: `${base}c`,
    /** ZSET: leasable hosts by next-contact time (k_ready). */
    ready: `${base}ready`,
    /** ZSET: lease tokens by deadline (k_deadlines). */
    deadlines: `${base}leases`,
    /** STREAM: committed page records for the result writers (k_results). */
    results: `${base}results`,
    /** STREAM: records a writer could not store after every retry, with the error. */
    deadLetters: `${base}dead`,
    /** HASH: one origin's robots.txt answer (k_robots). */
    robots: (origin: string): string => `${base}r:${origin}`,
    /** HASH: one host's politeness state (k_host). */
    host: (host: string): string => `${base}h:${host}`,
    /** HASH: the dedup index's state (scripts/dedup-check.lua): L and S (linear hashing
     * of the buckets), n (records in the buckets), o (originals so far, the last id). */
    dedupMeta: `${base}dd:m`,
    /** HASH: dedup original id -> its URL, what a duplicate's `duplicateOf` names. */
    dedupOriginals: `${base}dd:o`,
    /** HASH: one bucket of the dedup index's records; dedup-check.lua builds these from
     * dedupMeta (this key without its final "m"), as this function does. */
    dedupBucket: (address: number): string => `${base}dd:${address}`,
  };
}

/** A proxy pool's name as it may appear in keys: no braces (they would break the hash tag). */
export function assertProxyPoolName(name: string): string {
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(name)) {
    throw new Error(
      `invalid proxy pool name ${JSON.stringify(name)}: use 1-64 letters, digits, ".", "_", ":" or "-"`,
    );
  }
  return name;
}

/**
 * The keys of one proxy pool (backends/redis/proxy-pool, scripts/proxy-*.lua), shared by
 * every worker and job that uses the pool; all share the `{proxies:<pool>}` hash tag, so
 * each script's keys are on one Cluster slot. Every key a script touches is passed in
 * its KEYS (none is derived in Lua).
 */
export function proxyPoolKeys(pool = 'default', prefix = DEFAULT_KEY_PREFIX) {
  const base = `${prefix}:{proxies:${assertProxyPoolName(pool)}}:`;
  return {
    base,
    /** HASH: proxy id -> its state, JSON (scripts/lib/proxy.lua). */
    proxies: `${base}p`,
    /** ZSET: every listed proxy, score 0, so members are in id (byte) order. */
    all: `${base}all`,
    /** ZSET: proxies that may be leased (not benched, not dead), scored by tier. */
    live: `${base}live`,
    /** ZSET: benched proxies, scored by the epoch ms their bench ends. */
    bench: `${base}bench`,
    /** ZSET: dead proxies, scored by tier. */
    dead: `${base}dead`,
    /** HASH: tier -> how many listed proxies have it. */
    tiers: `${base}tiers`,
    /** HASH: the pool's counters (rr: the round robin's turn). */
    meta: `${base}m`,
    /** HASH: one host's tier state (t tier, s strikes, x expiry epoch ms), with a TTL. */
    host: (host: string): string => `${base}h:${host}`,
  };
}
