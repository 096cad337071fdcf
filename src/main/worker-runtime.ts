/**
 * A worker process's duties in the distributed mode: serve every job of the cluster
 * (a crawl loop per job, sharing this process's concurrency fairly), write results from
 * the jobs' streams into PostgreSQL (unless it is a crawl-only worker), and, while it
 * holds the reaper lock, the singleton duties: reclaim leases of jobs nobody is leasing
 * from, and finish jobs that are over once their results are written.
 *
 * Graceful stop: leasing stops, requests in flight get a deadline to finish, the rest
 * are handed back to the frontier (leased again first by whoever is left), the writer
 * writes the batch in hand, and the reaper lock is released.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { sleep } from '../core/clock.js';
import type pg from 'pg';
import type { TrawlMetrics } from '../metrics/metrics.js';
import { runResultWriter } from '../storage/result-writer.js';
import { finishCrawlJob } from '../backends/postgres/crawl-jobs.js';
import {
  createPostgresPageSink,
  isTransientPgError,
} from '../backends/postgres/postgres-page-sink.js';
import { globalKeys, jobKeys } from '../backends/redis/keys.js';
import type { RedisClient } from '../backends/redis/redis-connection.js';
import {
  activeRedisJobs,
  finishRedisJob,
  readRedisJob,
  redisJobStatus,
  retireCancelledRedisJob,
} from '../backends/redis/redis-jobs.js';
import { JobGoneError } from '../backends/redis/redis-frontier.js';
import { runSingleton } from '../backends/redis/redis-lock.js';
import { createRedisResultQueue } from '../backends/redis/redis-result-queue.js';
import { callScript } from '../backends/redis/redis-scripts.js';
import { JobRunner } from './job-runner.js';

export interface WorkerRuntimeOptions {
  redis: RedisClient;
  pool: pg.Pool;
  prefix: string;
  /** Requests in flight in this process, over all the jobs it serves. */
  concurrency: number;
  /** Run a result writer in this process. */
  writer: boolean;
  writerBatchSize: number;
  /** Unacknowledged results older than this on another writer are taken over, ms. @default 30_000 */
  writerClaimIdleMs?: number;
  log: Logger;
  metrics?: TrawlMetrics;
  /** How often the registry is read for new or finished jobs, ms. @default 1000 */
  discoverEveryMs?: number;
  /** Serve only these jobs (an in-process worker of `trawl crawl --workers N`); all when absent. */
  onlyJobs?: ReadonlySet<string>;
  /** Where jobs' screenshots and PDFs go when a spec names no `artifacts` (TRAWL_ARTIFACTS). */
  artifactsTarget?: string;
}

/** Reaper lock TTL: how long a dead holder keeps the duty from the others, ms. */
const REAPER_TTL_MS = 10_000;
const REAPER_EVERY_MS = 1_000;

export class WorkerRuntime {
  /** This process's name as a stream consumer and in logs. */
  readonly workerId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly runners = new Map<string, { runner: JobRunner; done: Promise<void> }>();
  /** Jobs this process finished serving, by spec version: not restarted unless resubmitted. */
  private readonly finishedVersions = new Map<string, number>();
  private readonly stopDiscovery = new AbortController();
  private readonly stopWriter = new AbortController();
  private readonly stopReaper = new AbortController();
  private background: Promise<unknown>[] = [];
  private stopped: Promise<void> | null = null;

  constructor(private readonly options: WorkerRuntimeOptions) {}

  /** Starts serving; resolves once the first discovery pass is done. */
  async start(): Promise<void> {
    const { redis, log, prefix } = this.options;
    log.info({ worker: this.workerId, concurrency: this.options.concurrency }, 'worker started');
    await this.discover();
    this.background.push(this.discoverLoop());
    if (this.options.writer) {
      const writerLog = log.child({ duty: 'writer' });
      const queue = createRedisResultQueue({
        redis,
        prefix,
        consumer: this.workerId,
        onUnreadable: (jobId, id, error) => {
          this.options.metrics?.writerDeadLettersTotal.inc();
          writerLog.error({ job: jobId, id, error }, 'unreadable result moved to the dead letters');
        },
      });
      this.background.push(
        runResultWriter({
          queue,
          sink: createPostgresPageSink(this.options.pool),
          isTransient: isTransientPgError,
          jobs: () => this.jobsToDrain(),
          batchSize: this.options.writerBatchSize,
          claimIdleMs: this.options.writerClaimIdleMs,
          signal: this.stopWriter.signal,
          log: writerLog,
          metrics: this.options.metrics,
        }),
      );
    }
    this.background.push(
      runSingleton({
        redis,
        key: globalKeys(prefix).lock('reaper'),
        ttlMs: REAPER_TTL_MS,
        intervalMs: REAPER_EVERY_MS,
        duty: (signal) => this.reap(signal),
        signal: this.stopReaper.signal,
        log: log.child({ duty: 'reaper' }),
      }),
    );
  }

  /** The jobs served now, for metrics and progress. */
  get jobs(): JobRunner[] {
    return [...this.runners.values()].map((r) => r.runner);
  }

  /**
   * Stops: no new leases; in-flight requests get `timeoutMs` to finish, then are handed
   * back; the writer flushes; the reaper lock is released. Called again while stopping,
   * it resolves with the first call, and a `timeoutMs` of 0 hands the rest back at once.
   */
  stop(timeoutMs: number): Promise<void> {
    if (this.stopped !== null) {
      if (timeoutMs === 0) this.handBack();
      return this.stopped;
    }
    this.stopped = this.shutdown(timeoutMs);
    return this.stopped;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.stopDiscovery.abort();
    const runs = [...this.runners.values()];
    for (const { runner } of runs) runner.stop('drain');
    const timer = setTimeout(() => {
      this.options.log.warn('shutdown deadline passed: handing back the requests still in flight');
      this.handBack();
    }, timeoutMs);
    await Promise.allSettled(runs.map((r) => r.done));
    clearTimeout(timer);
    // The writer flushes the batch in hand (results of the requests just finished too).
    this.stopWriter.abort();
    this.stopReaper.abort();
    await Promise.allSettled(this.background);
    this.options.log.info({ worker: this.workerId }, 'worker stopped');
  }

  private handBack(): void {
    for (const { runner } of this.runners.values()) runner.stop('abort');
  }

  private async discoverLoop(): Promise<void> {
    const every = this.options.discoverEveryMs ?? 1_000;
    const signal = this.stopDiscovery.signal;
    while (!signal.aborted) {
      await sleep(every, signal);
      if (signal.aborted) break;
      await this.discover().catch((err: unknown) =>
        this.options.log.warn({ err }, 'reading the job registry failed; retrying'),
      );
    }
  }

  /** Starts runners for new (or resubmitted) jobs and shares the concurrency among them. */
  private async discover(): Promise<void> {
    const { redis, prefix, log } = this.options;
    const ids = await activeRedisJobs(redis, prefix);
    for (const jobId of ids) {
      if (this.stopped !== null) return;
      if (this.options.onlyJobs !== undefined && !this.options.onlyJobs.has(jobId)) continue;
      const info = await readRedisJob(redis, jobId, prefix);
      const current = this.runners.get(jobId);
      if (info === null || info.state !== 'running') {
        // Paused: requests in flight finish and commit; cancelled: they are handed back.
        current?.runner.stop(info?.state === 'paused' ? 'drain' : 'abort');
        continue;
      }
      if (current !== undefined) {
        // Resubmitted with another spec: finish this loop; the next pass starts the new one.
        if (current.runner.version !== info.version) current.runner.stop('drain');
        continue;
      }
      if (this.finishedVersions.get(jobId) === info.version) continue;
      let runner: JobRunner;
      try {
        runner = new JobRunner({
          jobId,
          info,
          redis,
          prefix,
          concurrency: 1,
          log,
          metrics: this.options.metrics,
          pool: this.options.pool,
          ...(this.options.artifactsTarget === undefined
            ? {}
            : { artifactsTarget: this.options.artifactsTarget }),
        });
      } catch (err) {
        log.error({ err, job: jobId }, 'cannot serve job: its spec is invalid');
        this.finishedVersions.set(jobId, info.version);
        continue;
      }
      const done = runner.run().then(
        () => this.ended(runner),
        (err: unknown) => {
          if (err instanceof JobGoneError) log.error({ job: jobId }, err.message);
          else log.error({ err, job: jobId }, 'job loop failed');
          this.ended(runner);
        },
      );
      this.runners.set(jobId, { runner, done });
      log.info({ job: jobId, version: info.version }, 'serving job');
    }
    this.rebalance();
  }

  private ended(runner: JobRunner): void {
    this.runners.delete(runner.jobId);
    if (runner.isDone) this.finishedVersions.set(runner.jobId, runner.version);
    this.rebalance();
  }

  /** Every job served gets an equal share of this process's concurrency (at least 1). */
  private rebalance(): void {
    const n = this.runners.size;
    if (n === 0) return;
    let i = 0;
    const share = Math.floor(this.options.concurrency / n);
    const extra = this.options.concurrency % n;
    for (const { runner } of this.runners.values()) {
      runner.setConcurrency(Math.min(runner.spec.concurrency, share + (i++ < extra ? 1 : 0)));
    }
  }

  /** The writer drains every registered job, served here or not. */
  private jobsToDrain(): Promise<string[]> {
    return activeRedisJobs(this.options.redis, this.options.prefix);
  }

  /** The reaper's turn: reclaim expired leases; finish jobs that are over and written. */
  private async reap(signal: AbortSignal): Promise<void> {
    const { redis, prefix, pool, log } = this.options;
    for (const jobId of await activeRedisJobs(redis, prefix)) {
      if (signal.aborted) return;
      const [reclaimed] = (await callScript(
        redis,
        'reap',
        [jobKeys(jobId, prefix).job],
        ['', 1_000],
      )) as [number, number];
      if (reclaimed > 0) {
        this.options.metrics?.leasesExpiredTotal.inc(reclaimed);
        log.warn({ job: jobId, reclaimed }, 'expired leases went back to the queue');
      }
      const status = await redisJobStatus(redis, jobId, prefix);
      if (status.state === 'cancelled') {
        if (await retireCancelledRedisJob(redis, jobId, prefix)) {
          log.info({ job: jobId, ...status.stats }, 'cancelled job retired');
        }
        continue;
      }
      if (!status.done || status.unwritten > 0) continue;
      if (!(await finishRedisJob(redis, jobId, prefix))) continue;
      await finishCrawlJob(pool, jobId, 'completed', {
        ...status.stats,
        deadLetters: status.deadLetters,
      }).catch((err: unknown) => log.warn({ err, job: jobId }, 'could not record the job end'));
      log.info({ job: jobId, ...status.stats }, 'job completed');
    }
  }
}
