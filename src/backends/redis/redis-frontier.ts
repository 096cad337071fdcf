/**
 * The distributed frontier: the frontier port over Redis, shared by every worker of a
 * job. Each operation is one Lua script (scripts/*.lua) run atomically on the job's
 * slot; time comes from Redis TIME inside the scripts, so workers' clocks never matter.
 * What Lua cannot do cheaply stays here: robots.txt rules are parsed in TypeScript (the
 * same parser as the embedded mode) from the answer the job stores, cached per origin
 * and version, and each page lease gets its verdict.
 *
 * Connection trouble is absorbed by the client: it is created with an unbounded retry
 * and offline queue (see redis-connection.ts), so a call waits for Redis to come back
 * rather than failing the crawl. A job that vanished (Redis restarted without
 * persistence) is an error.
 */
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Clock } from '../../core/clock.js';
import type { DiscoveredLink, PageRecord } from '../../core/types.js';
import type {
  CommitResult,
  Completion,
  Frontier,
  FrontierSettings,
  FrontierStats,
  Lease,
  LeaseBatch,
  LeaseKind,
  RobotsFetch,
  RobotsVerdict,
} from '../../frontier/frontier.js';
import { createRobotsPolicy } from '../../frontier/robots/robots-policy.js';
import {
  RobotsRulesCache,
  robotsVerdict,
  type StoredRobots,
} from '../../frontier/robots/robots-rules.js';
import { GroupCommit } from '../../core/group-commit.js';
import { urlFingerprintHex } from './fingerprint.js';
import { jobKeys } from './keys.js';
import { callScript, defineScripts } from './redis-scripts.js';

/** How a job remembers the URLs it has seen (lib/seen.lua). */
export type DedupSettings =
  | { mode: 'buckets' }
  /** A Bloom filter: fixed memory; a new URL is wrongly taken for seen with probability up to `fpr`. */
  | { mode: 'bloom'; capacity: number; fpr: number };

export interface RedisFrontierOptions {
  redis: Redis | Cluster;
  jobId: string;
  /** Key prefix. @default 'trawl' */
  prefix?: string;
  settings: FrontierSettings;
  /**
   * Tests only: the scripts use this clock instead of Redis TIME (the contract suite
   * drives time by hand). Production leaves it unset: one clock for every worker.
   */
  clock?: Clock;
}

export interface RedisJobOptions {
  /** @default { mode: 'buckets' } */
  dedup?: DedupSettings;
  /**
   * Results not yet written to PostgreSQL beyond which lease() hands out nothing (a full
   * stream slows the workers down; it never drops data). 0: no limit. @default 100_000
   */
  maxStreamLength?: number;
  /** The job spec, stored with the job so every worker crawls it alike. */
  spec: unknown;
}

/** Parses `{-1,...}`: the job's keys are gone. */
export class JobGoneError extends Error {
  readonly code = 'job_gone';
  constructor(jobId: string) {
    super(
      `job ${jobId} is no longer in Redis (was Redis restarted without persistence, or the job deleted?)`,
    );
    this.name = 'JobGoneError';
  }
}

/**
 * Creates the job's frontier in Redis, or updates the settings of an existing one (a
 * resumed job may bring a larger page budget). Returns true when it was created.
 */
export async function openRedisJob(
  options: RedisFrontierOptions & RedisJobOptions,
): Promise<boolean> {
  const { redis } = options;
  defineScripts(redis);
  const fields = jobSettingFields(options);
  const keys = jobKeys(options.jobId, options.prefix);
  const created = await callScript(redis, 'job-open', [keys.job], [now(options.clock), ...fields]);
  return created === 1;
}

/**
 * A job's settings as job-open.lua and job-submit.lua take them: name, value pairs,
 * the spec last.
 */
export function jobSettingFields(
  options: Pick<RedisFrontierOptions, 'settings'> & RedisJobOptions,
): (string | number)[] {
  const { settings } = options;
  const dedup = options.dedup ?? { mode: 'buckets' };
  const fields: (string | number)[] = [
    'delay',
    settings.delayMs,
    'hostc',
    settings.hostConcurrency,
    'conc',
    settings.concurrency,
    'maxp',
    settings.maxPages ?? -1,
    'robots',
    settings.robots ? 1 : 0,
    'rmaxage',
    settings.robotsMaxAgeMs,
    'rretry',
    settings.robotsRetryMs,
    'rmaxretries',
    settings.robotsMaxRetries,
    'lease',
    settings.leaseMs,
    'maxstream',
    options.maxStreamLength ?? 100_000,
    'dedup',
    dedup.mode,
    'spec',
    JSON.stringify(options.spec),
  ];
  if (dedup.mode === 'bloom') fields.push('bloom_capacity', dedup.capacity, 'bloom_fpr', dedup.fpr);
  return fields;
}

/** The clock argument of a script: "" for Redis TIME. */
export function now(clock: Clock | undefined): string {
  return clock === undefined ? '' : String(clock.now());
}

/** A job's frontier in Redis; no I/O until called (the job must exist: openRedisJob). */
export function redisFrontier(options: RedisFrontierOptions): Frontier {
  const { redis, settings, clock, jobId } = options;
  defineScripts(redis);
  const keys = jobKeys(jobId, options.prefix);
  const rules = new RobotsRulesCache(settings.robotsAgent);
  /** Stored robots answers by origin, as of the version last seen. */
  const robotsByOrigin = new Map<string, StoredRobots>();

  const run = (name: string, args: (string | number | Buffer)[]): Promise<unknown> =>
    callScript(redis, name, [keys.job], args);
  // Commits travel to commit.lua in groups: the script applies each atomically, in order,
  // and reads the job's settings, counters and hosts once for all of them (most of a
  // commit's Redis time was that reading and writing back).
  const batcher = new GroupCommit<(string | number | Buffer)[], unknown>((batch) => {
    const argv: (string | number | Buffer)[] = [now(clock), batch.length];
    for (const args of batch) argv.push(args.length, ...args);
    return run('commit', argv) as Promise<unknown[]>;
  });

  async function robotsFor(origins: Map<string, string>): Promise<void> {
    const missing = [...origins].filter(
      ([origin, version]) => String(robotsByOrigin.get(origin)?.fetchedAt) !== version,
    );
    if (missing.length === 0) return;
    const answers = await Promise.all(
      missing.map(([origin]) =>
        redis.hmget(keys.robots(origin), 'kind', 'status', 'error', 'text', 'fetched', 'expires'),
      ),
    );
    missing.forEach(([origin], i) => {
      const [kind, status, error, text, fetched, expires] = answers[i]!;
      if (!kind || !fetched) return;
      robotsByOrigin.set(origin, {
        kind: kind as StoredRobots['kind'],
        status: status ? Number(status) : null,
        error: error || null,
        text: text || null,
        fetchedAt: Number(fetched),
        expiresAt: Number(expires),
      });
    });
    if (robotsByOrigin.size > 20_000) robotsByOrigin.clear();
  }

  function verdict(
    origin: string,
    fetchUrl: string,
  ): { robots: RobotsVerdict; sitemaps: string[] } {
    const stored = robotsByOrigin.get(origin);
    // Not stored (deleted under us): the lease script let it through, so treat as allowed.
    if (stored === undefined) return { robots: 'allowed', sitemaps: [] };
    const policy = rules.policy(origin, stored);
    return { robots: robotsVerdict(policy, fetchUrl), sitemaps: [...policy.sitemaps] };
  }

  return {
    leaseMs: settings.leaseMs,

    async add(links: DiscoveredLink[]): Promise<number> {
      if (links.length === 0) return 0;
      return (await run('add', ['pages', links.length, ...linkArgs(links)])) as number;
    },

    async addSitemapSources(origins: string[]): Promise<number> {
      if (origins.length === 0) return 0;
      return (await run('add', ['sitemaps', origins.length, ...sitemapArgs(origins)])) as number;
    },

    async lease(max: number): Promise<LeaseBatch> {
      const nonce = randomBytes(6).toString('base64url');
      const reply = (await run('lease', [now(clock), max, nonce])) as (string | number)[];
      const done = Number(reply[0]);
      if (done === -1) throw new JobGoneError(jobId);
      const waitMs = Number(reply[1]);
      const count = Number(reply[2]);
      const raw: RawLease[] = [];
      const origins = new Map<string, string>();
      for (let i = 0; i < count; i++) {
        const at = 3 + i * 6;
        const lease: RawLease = {
          token: String(reply[at]),
          kind: String(reply[at + 1]),
          host: String(reply[at + 2]),
          payload: String(reply[at + 3]),
          version: String(reply[at + 4]),
          delayMs: Number(reply[at + 5]),
        };
        raw.push(lease);
        if (lease.version !== '') origins.set(originOfPayload(lease.payload), lease.version);
      }
      if (origins.size > 0) await robotsFor(origins);
      const leases = raw.map((l) => toLease(l, verdict));
      return { leases, done: done === 1, waitMs: waitMs < 0 ? Infinity : waitMs };
    },

    async commit(completions: Completion[]): Promise<CommitResult[]> {
      const replies = await Promise.all(
        completions.map((c) => batcher.add(commitArgs(c, settings.robotsAgent))),
      );
      return replies.map((reply): CommitResult => {
        if (reply === 0) return { accepted: false };
        if (reply === 'hop' || reply === 'known') return { accepted: true, redirect: reply };
        if (typeof reply === 'string' && reply.startsWith('bad:')) {
          throw new Error(`commit.lua refused a completion: ${reply}`);
        }
        return { accepted: true };
      });
    },

    async renew(tokens: string[]): Promise<boolean[]> {
      if (tokens.length === 0) return [];
      const reply = (await run('renew', [now(clock), ...tokens])) as number[];
      return reply.map((r) => r === 1);
    },

    async stats(): Promise<FrontierStats> {
      return redisJobStats(redis, jobId, options.prefix);
    },

    async close(): Promise<void> {
      // The connection belongs to whoever created it.
    },
  };
}

/** The job's counters, as the frontier port reports them. */
export async function redisJobStats(
  redis: Redis | Cluster,
  jobId: string,
  prefix?: string,
): Promise<FrontierStats> {
  const c = await redis.hmget(
    jobKeys(jobId, prefix).counters,
    'qn',
    'qu',
    'inflight',
    'ok',
    'failed',
    'retries',
    'known',
    'bytes',
  );
  const n = (i: number): number => Number(c[i] ?? 0);
  return {
    queued: n(0) + n(1),
    inFlight: n(2),
    succeeded: n(3),
    failed: n(4),
    retries: n(5),
    known: n(6),
    bytes: n(7),
  };
}

interface RawLease {
  token: string;
  kind: string;
  host: string;
  payload: string;
  version: string;
  delayMs: number;
}

/** The origin of an entry's fetch URL (field 6 of a hop, else the url: scripts/lib/common.lua). */
function originOfPayload(entry: string): string {
  const fields = entry.split(' ');
  const url = fields[5] ?? fields[4]!;
  const scheme = url.indexOf('//');
  const pathAt = url.indexOf('/', scheme + 2);
  const authority = url.slice(scheme + 2, pathAt === -1 ? url.length : pathAt);
  return url.slice(0, scheme + 2) + authority.slice(authority.lastIndexOf('@') + 1);
}

const KINDS: Record<string, LeaseKind> = { p: 'page', s: 'sitemaps', r: 'robots' };

/** Decodes a lease the script returned (entry format: scripts/lib/common.lua). */
function toLease(
  raw: RawLease,
  verdict: (origin: string, url: string) => { robots: RobotsVerdict; sitemaps: string[] },
): Lease {
  const kind = KINDS[raw.kind];
  if (kind === undefined) throw new Error(`unknown lease kind ${raw.kind} from lease.lua`);
  const hostDelayMs = raw.delayMs;
  if (kind === 'robots') {
    const url = `${raw.payload}/robots.txt`;
    return {
      token: raw.token,
      kind,
      url,
      fetchUrl: url,
      redirects: [],
      redirectStatus: null,
      host: raw.host,
      depth: 0,
      attempts: 0,
      hostDelayMs,
      robots: 'allowed',
      sitemaps: [],
    };
  }
  const f = raw.payload.split(' ');
  const url = f[4]!;
  const fetchUrl = f[5] ?? url;
  const decided =
    raw.version === ''
      ? { robots: 'allowed' as const, sitemaps: [] }
      : verdict(originOfPayload(raw.payload), fetchUrl);
  return {
    token: raw.token,
    kind,
    url,
    fetchUrl,
    redirects: f.slice(7),
    redirectStatus: f[6] === undefined ? null : Number(f[6]),
    host: raw.host,
    depth: Number(f[1]),
    attempts: Number(f[3]),
    hostDelayMs,
    robots: kind === 'page' ? decided.robots : 'allowed',
    sitemaps: decided.sitemaps,
  };
}

/** Links as add.lua's pages (and job-submit.lua's seeds): 5 values each. */
export function linkArgs(links: DiscoveredLink[]): (string | number | Buffer)[] {
  const args: (string | number | Buffer)[] = [];
  for (const l of links) args.push(urlFingerprintHex(l.url), l.url, l.host, l.depth, l.priority);
  return args;
}

/** Origins as add.lua's sitemaps (and job-submit.lua's): fingerprint, origin. */
export function sitemapArgs(origins: string[]): string[] {
  const args: string[] = [];
  for (const origin of origins) args.push(urlFingerprintHex(origin), origin);
  return args;
}

/** The record as the results stream carries it: JSON without the body (sent apart, as bytes). */
export function recordJson(record: PageRecord): string {
  return JSON.stringify({ ...record, body: null });
}

/** One completion's values for commit.lua (its header says what each outcome takes). */
function commitArgs(c: Completion, agent: string): (string | number | Buffer)[] {
  const ago = 'contactAgoMs' in c && c.contactAgoMs !== null ? Math.round(c.contactAgoMs) : '';
  const head = [c.token, c.kind, ago];
  switch (c.kind) {
    case 'page':
      return [
        ...head,
        c.ok ? 1 : 0,
        c.wireBytes,
        recordJson(c.record),
        c.record.body ?? '',
        c.links.length,
        ...linkArgs(c.links),
      ];
    case 'sitemaps':
      return [...head, c.links.length, ...linkArgs(c.links)];
    case 'retry':
      return [...head, Math.round(c.retryInMs), c.hostPauseMs ?? ''];
    case 'redirect':
      return [
        ...head,
        c.target.url,
        c.target.host,
        urlFingerprintHex(c.target.url),
        c.status,
        recordJson(c.knownRecord),
      ];
    case 'robots': {
      const f = c.fetched;
      return [
        ...head,
        f.kind,
        f.status ?? '',
        f.error ?? '',
        f.text ?? '',
        crawlDelayOf(f, agent) ?? '',
      ];
    }
    case 'release':
      return head;
  }
}

function crawlDelayOf(fetched: RobotsFetch, agent: string): number | null {
  if (fetched.kind !== 'parsed' || fetched.text === null) return null;
  return createRobotsPolicy({
    origin: 'http://robots.invalid',
    kind: 'parsed',
    status: fetched.status,
    error: null,
    fetchedAt: 0,
    expiresAt: 0,
    agentToken: agent,
    text: fetched.text,
  }).crawlDelayMs;
}
