/**
 * The jobs of a Redis deployment: submitting one (its frontier, its results stream and
 * consumer group, its seeds, its place in the registry), finding the active ones, their
 * status, and their end. The registry is one SET outside every job's hash tag; a job's
 * own keys all share its tag.
 */
import type { DiscoveredLink, PageRecord } from '../../core/types.js';
import type { FrontierSettings, FrontierStats } from '../../frontier/frontier.js';
import { globalKeys, jobKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';
import { callScript, defineScripts } from './redis-scripts.js';
import { GroupCommit } from '../../core/group-commit.js';
import {
  jobSettingFields,
  linkArgs,
  redisFrontier,
  redisJobStats,
  sitemapArgs,
  type DedupSettings,
} from './redis-frontier.js';

/** The consumer group of the result writers on every job's results stream. */
export const WRITERS_GROUP = 'writers';

export interface SubmitRedisJobOptions {
  redis: RedisClient;
  jobId: string;
  prefix?: string;
  settings: FrontierSettings;
  /** The job spec (JSON), read by every worker that serves the job. */
  spec: unknown;
  seeds: DiscoveredLink[];
  /** Origins whose sitemaps seed the job. */
  sitemapOrigins: string[];
  dedup?: DedupSettings;
  maxStreamLength?: number;
  /**
   * Queues more of the job's start (an incremental recrawl's baseline pages) through the
   * frontier's add, before the seeds and before any worker can see the job.
   */
  queueMore?: (add: (links: DiscoveredLink[]) => Promise<number>) => Promise<unknown>;
}

export interface SubmittedRedisJob {
  /** False when the job existed (a resumed crawl). */
  created: boolean;
  /** Seeds queued that the job had not seen. */
  newSeeds: number;
  /** What this submission queued, as the job's queued count has it: seeds, sitemap walks, queueMore's pages. */
  queued: number;
}

/**
 * Creates (or resumes) a job and queues its seeds; workers pick it up from the registry.
 * One job-submit.lua step, shared with the jobs submitted meanwhile on the same client
 * (a burst of API submissions is one script call and one SADD), then the job's place in
 * the registry: another slot, which must not show the job before it exists.
 */
export async function submitRedisJob(options: SubmitRedisJobOptions): Promise<SubmittedRedisJob> {
  const { redis, jobId, prefix } = options;
  if (options.queueMore === undefined) {
    const submitted = await submitterOf(redis, prefix).add(submission(options, true));
    if (submitted instanceof Error) throw submitted;
    return submitted;
  }
  // An incremental recrawl: the baseline's pages go in before the seeds.
  const opened = await submitterOf(redis, prefix).add(submission(options, false));
  if (opened instanceof Error) throw opened;
  const frontier = redisFrontier(options);
  let queued = 0;
  await options.queueMore(async (links) => {
    const added = await frontier.add(links);
    queued += added;
    return added;
  });
  const [newSeeds, walks] = await Promise.all([
    frontier.add(options.seeds),
    frontier.addSitemapSources(options.sitemapOrigins),
  ]);
  await redis.sadd(globalKeys(prefix).jobs, jobId);
  return { created: opened.created, newSeeds, queued: queued + newSeeds + walks };
}

/** One job of a job-submit.lua call. */
interface Submission {
  jobId: string;
  key: string;
  /** The job's part of ARGV. */
  args: (string | number | Buffer)[];
  /** Put it in the registry once submitted (false: the caller does, after more steps). */
  register: boolean;
}

function submission(options: SubmitRedisJobOptions, withStart: boolean): Submission {
  const fields = jobSettingFields(options);
  const seeds = withStart ? linkArgs(options.seeds) : [];
  const sitemaps = withStart ? sitemapArgs(options.sitemapOrigins) : [];
  return {
    jobId: options.jobId,
    key: jobKeys(options.jobId, options.prefix).job,
    args: [
      fields.length / 2,
      ...fields,
      seeds.length / 5,
      ...seeds,
      sitemaps.length / 2,
      ...sitemaps,
    ],
    register: withStart,
  };
}

/** Most jobs in one job-submit.lua call. */
const MAX_SUBMIT_BATCH = 64;

/** One group commit of submissions per client and key prefix. */
const submitters = new WeakMap<
  RedisClient,
  Map<string, GroupCommit<Submission, SubmittedRedisJob | Error>>
>();

function submitterOf(
  redis: RedisClient,
  prefix: string | undefined,
): GroupCommit<Submission, SubmittedRedisJob | Error> {
  let byPrefix = submitters.get(redis);
  if (byPrefix === undefined) submitters.set(redis, (byPrefix = new Map()));
  const name = prefix ?? '';
  let submitter = byPrefix.get(name);
  if (submitter === undefined) {
    // Under Redis Cluster a script's keys must share a slot, and two jobs rarely do: one
    // job per call there.
    const max = 'nodes' in redis ? 1 : MAX_SUBMIT_BATCH;
    defineScripts(redis);
    submitter = new GroupCommit((batch) => submitBatch(redis, prefix, batch), max);
    byPrefix.set(name, submitter);
  }
  return submitter;
}

/**
 * Submits a batch; each job's reply, or the error it failed with (one job's error does
 * not stop the others: job-submit.lua). The call failing as a whole fails every job.
 */
async function submitBatch(
  redis: RedisClient,
  prefix: string | undefined,
  batch: Submission[],
): Promise<(SubmittedRedisJob | Error)[]> {
  const argv: (string | number | Buffer)[] = ['', WRITERS_GROUP];
  for (const job of batch) argv.push(...job.args);
  const reply = (await callScript(
    redis,
    'job-submit',
    batch.map((job) => job.key),
    argv,
  )) as (number | string)[];
  const failed = (i: number): boolean => reply[i * 3] === -1;
  const registered = batch.filter((job, i) => job.register && !failed(i)).map((job) => job.jobId);
  if (registered.length > 0) await redis.sadd(globalKeys(prefix).jobs, ...registered);
  return batch.map((job, i) => {
    if (failed(i)) return new Error(`job ${job.jobId}: ${String(reply[i * 3 + 1])}`);
    const newSeeds = Number(reply[i * 3 + 1]);
    return { created: reply[i * 3] === 1, newSeeds, queued: newSeeds + Number(reply[i * 3 + 2]) };
  });
}

/** Ids of the jobs not finished (or whose results are not all written yet). */
export async function activeRedisJobs(redis: RedisClient, prefix?: string): Promise<string[]> {
  return redis.smembers(globalKeys(prefix).jobs);
}

export interface RedisJobInfo {
  spec: unknown;
  /** Bumped by every submission: workers restart a job whose spec changed. */
  version: number;
  state: string;
}

export async function readRedisJob(
  redis: RedisClient,
  jobId: string,
  prefix?: string,
): Promise<RedisJobInfo | null> {
  const [spec, version, state] = await redis.hmget(
    jobKeys(jobId, prefix).job,
    'spec',
    'specv',
    'state',
  );
  if (spec === null || spec === undefined) return null;
  return {
    spec: JSON.parse(spec) as unknown,
    version: Number(version ?? 0),
    state: state ?? 'running',
  };
}

export interface RedisJobStatus {
  stats: FrontierStats;
  /** Nothing queued and nothing in flight on any worker (or the page budget is spent). */
  done: boolean;
  /** Results not yet written to PostgreSQL. */
  unwritten: number;
  /** Results the writers gave up on (see the job's dead-letter stream). */
  deadLetters: number;
  state: string;
}

export async function redisJobStatus(
  redis: RedisClient,
  jobId: string,
  prefix?: string,
): Promise<RedisJobStatus> {
  const keys = jobKeys(jobId, prefix);
  const [stats, counters, job, unwritten, deadLetters] = await Promise.all([
    redisJobStats(redis, jobId, prefix),
    redis.hmget(keys.counters, 'qn', 'qu', 'started'),
    redis.hmget(keys.job, 'maxp', 'state'),
    redis.xlen(keys.results),
    redis.xlen(keys.deadLetters),
  ]);
  const [qn, qu, started] = counters.map((v) => Number(v ?? 0)) as [number, number, number];
  const maxPages = Number(job[0] ?? -1);
  const budgetSpent = maxPages >= 0 && started >= maxPages;
  const done = stats.inFlight === 0 && qu === 0 && (qn === 0 || budgetSpent);
  return { stats, done, unwritten, deadLetters, state: job[1] ?? 'gone' };
}

/**
 * Completes the job if it is over and its results are all written, and takes it out of
 * the registry. Returns false when it is not over. A job resubmitted meanwhile stays (or
 * is put back) in the registry.
 */
export async function finishRedisJob(
  redis: RedisClient,
  jobId: string,
  prefix?: string,
): Promise<boolean> {
  const keys = jobKeys(jobId, prefix);
  const finished = await callScript(redis, 'job-finish', [keys.job], ['']);
  if (finished !== 1) return false;
  await redis.srem(globalKeys(prefix).jobs, jobId);
  // The registry lives on another slot than the job: re-check, so a submission that came
  // between the two steps is not lost from it.
  const state = await redis.hget(keys.job, 'state');
  if (state === 'running') await redis.sadd(globalKeys(prefix).jobs, jobId);
  return true;
}

/**
 * Moves the job to `to` if it is in one of `from` (atomically); returns its state after
 * the call, or null when Redis has no such job.
 */
export async function setRedisJobState(
  redis: RedisClient,
  jobId: string,
  to: 'running' | 'paused' | 'cancelled',
  from: string[],
  prefix?: string,
): Promise<string | null> {
  const state = (await callScript(
    redis,
    'job-state',
    [jobKeys(jobId, prefix).job],
    [to, ...from],
  )) as string;
  return state === '' ? null : state;
}

/**
 * Takes a cancelled job out of the registry once nothing of it is in flight and every
 * result it produced is written (what was crawled stays readable). Returns whether it did.
 */
export async function retireCancelledRedisJob(
  redis: RedisClient,
  jobId: string,
  prefix?: string,
): Promise<boolean> {
  const status = await redisJobStatus(redis, jobId, prefix);
  if (status.state !== 'cancelled' || status.stats.inFlight > 0 || status.unwritten > 0) {
    return false;
  }
  await redis.srem(globalKeys(prefix).jobs, jobId);
  return true;
}

/**
 * Deletes every key of the job (--fresh), its hash last: while any other key of the job
 * is left (a deletion cut short), the job hash is too, so a job whose hash is missing has
 * no keys at all (job-submit.lua creates such a job without reading any).
 */
export async function deleteRedisJob(
  redis: RedisClient,
  jobId: string,
  prefix?: string,
): Promise<void> {
  await redis.srem(globalKeys(prefix).jobs, jobId);
  const keys = jobKeys(jobId, prefix);
  const pattern = `${keys.base.replace(/[*?[\]\\]/g, '\\$&')}*`;
  const nodes = 'nodes' in redis ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const others = found.filter((key) => key !== keys.job);
      if (others.length > 0) await node.unlink(...others);
    } while (cursor !== '0');
  }
  await redis.unlink(keys.job);
}

/** The records of a job's dead letters, with the error each failed with (for reports). */
export async function readDeadLetters(
  redis: RedisClient,
  jobId: string,
  prefix?: string,
  max = 100,
): Promise<{ error: string; record: PageRecord | null }[]> {
  const entries = await redis.xrange(jobKeys(jobId, prefix).deadLetters, '-', '+', 'COUNT', max);
  return entries.map(([, fields]) => {
    const get = (name: string): string | undefined => fields[fields.indexOf(name) + 1];
    let record: PageRecord | null = null;
    try {
      record = JSON.parse(get('r') ?? 'null') as PageRecord | null;
    } catch {
      record = null;
    }
    return { error: get('error') ?? '', record };
  });
}
