/**
 * The job service of the distributed mode: `trawl serve` only schedules. A job is a row
 * of crawl_jobs (PostgreSQL) plus its frontier in Redis; `trawl worker` processes crawl
 * it, write its results to PostgreSQL and record its end (their reaper). Counts are read
 * live from Redis while the job's keys exist, so they are exact across every worker.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { CrawlSpec } from '../../config/crawl-spec.js';
import type { PageChange } from '../../core/types.js';
import {
  JobNotFoundError,
  JobStateError,
  JobSubmitError,
  JOB_SUBMIT_FAILED,
  ServiceUnavailableError,
  isFinalState,
  type CreateJobInput,
  type JobCounts,
  type JobInfo,
  type JobResults,
  type JobResultsQuery,
  type JobService,
  type JobState,
  type ListJobsQuery,
} from '../../jobs/job-service.js';
import type { JobRecord, JobRegistry } from '../../jobs/job-registry.js';
import { createPostgresJobRegistry } from '../../backends/postgres/postgres-job-registry.js';
import { createPostgresPageStore } from '../../backends/postgres/postgres-page-store.js';
import type { RedisClient } from '../../backends/redis/redis-connection.js';
import {
  redisJobStatus,
  setRedisJobState,
  type RedisJobStatus,
} from '../../backends/redis/redis-jobs.js';
import { submitCrawlJob } from '../submit-job.js';
import { jobCounts, ZERO_COUNTS } from './job-counts.js';

export interface DistributedJobServiceOptions {
  redis: RedisClient;
  pool: pg.Pool;
  prefix: string;
  maxStreamLength: number;
}

export class DistributedJobService implements JobService {
  readonly mode = 'distributed' as const;
  private readonly registry: JobRegistry;
  /** Status reads under way, by job id (see get). */
  private readonly reading = new Map<string, Promise<JobInfo | null>>();

  constructor(private readonly options: DistributedJobServiceOptions) {
    this.registry = createPostgresJobRegistry(options.pool);
  }

  async create(input: CreateJobInput): Promise<JobInfo> {
    const now = Date.now();
    const record: JobRecord = {
      id: randomUUID(),
      kind: input.kind ?? 'crawl',
      state: 'running',
      spec: input.spec,
      meta: input.meta ?? {},
      createdAt: now,
      startedAt: now,
      finishedAt: null,
      counts: null,
      error: null,
    };
    const { id } = record;
    await this.registry.insert(record);
    let queued: number;
    try {
      // Fail fast: while Redis is away the client would queue the commands (and the
      // request hang) until it is back.
      this.assertRedisReady();
      ({ queued } = await submitCrawlJob({
        redis: this.options.redis,
        jobId: id,
        prefix: this.options.prefix,
        spec: input.spec,
        maxStreamLength: this.options.maxStreamLength,
        ...(input.spec.baseline === null
          ? {}
          : { baseline: createPostgresPageStore(this.options.pool, input.spec.baseline.jobId) }),
      }));
    } catch (err) {
      // The row says what a client may read; Redis's own message (scripts, hashes) is not that.
      const message = JOB_SUBMIT_FAILED;
      await this.registry.update(id, { state: 'failed', finishedAt: Date.now(), error: message });
      throw new JobSubmitError(id, message, { cause: err });
    }
    // As submitted, without reading it back (a status read would cost two more round
    // trips): no worker has reported on it yet, so it is queued with its seeds.
    return this.infoOf(record, 'queued', { ...ZERO_COUNTS, queued }, null);
  }

  /**
   * Status reads of a job that arrive while one is under way share it (clients polling one
   * job cost one registry row and one Redis status per round, not one each). A change this
   * process makes drops the shared read (mustGet), so a read after it never joins one that
   * began before it.
   */
  get(id: string): Promise<JobInfo | null> {
    const under = this.reading.get(id);
    if (under !== undefined) return under;
    const read = this.registry.get(id).then((r) => (r === null ? null : this.info(r)));
    this.reading.set(id, read);
    const settled = (): void => {
      if (this.reading.get(id) === read) this.reading.delete(id);
    };
    read.then(settled, settled);
    return read;
  }

  async list(query: ListJobsQuery): Promise<JobInfo[]> {
    // Live states can differ from the rows (a job completes in Redis before its row says
    // so): filter after reading the live state.
    const records = await this.registry.list({ ...query, states: undefined });
    const infos = await Promise.all(records.map((r) => this.info(r)));
    const states = query.states;
    return states === undefined || states.length === 0
      ? infos
      : infos.filter((j) => states.includes(j.state));
  }

  async pause(id: string): Promise<JobInfo> {
    const job = await this.mustGet(id);
    if (job.state === 'paused') return job;
    if (isFinalState(job.state)) throw new JobStateError(id, job.state, 'pause');
    const state = await setRedisJobState(
      this.options.redis,
      id,
      'paused',
      ['running'],
      this.options.prefix,
    );
    if (state !== 'paused') return this.refused(id, 'pause');
    await this.registry.update(id, { state: 'paused' }, ['running', 'queued']);
    return this.mustGet(id);
  }

  async resume(id: string): Promise<JobInfo> {
    const job = await this.mustGet(id);
    if (job.state === 'running' || job.state === 'queued') return job;
    if (job.state !== 'paused') throw new JobStateError(id, job.state, 'resume');
    const state = await setRedisJobState(
      this.options.redis,
      id,
      'running',
      ['paused'],
      this.options.prefix,
    );
    if (state !== 'running') return this.refused(id, 'resume');
    await this.registry.update(id, { state: 'running' }, ['paused']);
    return this.mustGet(id);
  }

  async cancel(id: string): Promise<JobInfo> {
    const job = await this.mustGet(id);
    if (job.state === 'cancelled') return job;
    if (job.state === 'completed' || job.state === 'failed') {
      throw new JobStateError(id, job.state, 'cancel');
    }
    this.assertRedisReady();
    const state = await setRedisJobState(
      this.options.redis,
      id,
      'cancelled',
      ['running', 'paused'],
      this.options.prefix,
    );
    if (state !== 'cancelled' && state !== null) return this.refused(id, 'cancel');
    await this.registry.update(id, { state: 'cancelled', finishedAt: Date.now() }, [
      'running',
      'queued',
      'paused',
    ]);
    return this.mustGet(id);
  }

  async results(id: string, query: JobResultsQuery): Promise<JobResults> {
    await this.mustGetRecord(id);
    return createPostgresPageStore(this.options.pool, id).queryPages(query);
  }

  async errorCounts(id: string): Promise<{ code: string; count: number }[]> {
    await this.mustGetRecord(id);
    return createPostgresPageStore(this.options.pool, id).countErrors();
  }

  async changeCounts(id: string): Promise<Record<PageChange, number>> {
    await this.mustGetRecord(id);
    return createPostgresPageStore(this.options.pool, id).countChanges();
  }

  readiness(): { name: string; check(signal: AbortSignal): Promise<unknown> }[] {
    const { redis, pool } = this.options;
    return [
      {
        name: 'redis',
        check: () =>
          redis.status === 'ready'
            ? redis.ping()
            : Promise.reject(new Error(`not connected (${redis.status})`)),
      },
      { name: 'postgres', check: () => pool.query('SELECT 1') },
    ];
  }

  async close(): Promise<void> {
    // The clients belong to whoever opened them.
  }

  private assertRedisReady(): void {
    if (this.options.redis.status !== 'ready') {
      throw new ServiceUnavailableError('the job queue (Redis) is unavailable; retry later');
    }
  }

  /** The move lost a race (the job completed meanwhile): report what it is now. */
  private async refused(id: string, action: string): Promise<never> {
    const now = await this.mustGet(id);
    throw new JobStateError(id, now.state, action);
  }

  private async mustGetRecord(id: string): Promise<JobRecord> {
    const record = await this.registry.get(id);
    if (record === null) throw new JobNotFoundError(id);
    return record;
  }

  private async mustGet(id: string): Promise<JobInfo> {
    this.reading.delete(id);
    return this.info(await this.mustGetRecord(id));
  }

  private async info(record: JobRecord): Promise<JobInfo> {
    let state: JobState = record.state;
    let counts: JobCounts = record.counts ?? ZERO_COUNTS;
    let finishedAt = record.finishedAt;
    let status: RedisJobStatus | null = null;
    // Redis unreachable: the row's snapshot is the best answer (and answers at once).
    if (this.options.redis.status === 'ready') {
      try {
        status = await redisJobStatus(this.options.redis, record.id, this.options.prefix);
      } catch {
        status = null;
      }
    }
    if (status !== null && status.state !== 'gone') {
      const finished = status.stats.succeeded + status.stats.failed;
      const ranMs = (finishedAt ?? Date.now()) - (record.startedAt ?? record.createdAt);
      counts = jobCounts(status.stats, Math.max(0, finished - status.unwritten), ranMs);
      if (status.state === 'completed' && !isFinalState(state)) {
        // The reaper marks the job in Redis first, then its row.
        state = 'completed';
        finishedAt ??= Date.now();
      } else if (state === 'running' && finished === 0 && status.stats.inFlight === 0) {
        state = 'queued';
      }
    }
    return this.infoOf(record, state, counts, finishedAt);
  }

  private infoOf(
    record: JobRecord,
    state: JobState,
    counts: JobCounts,
    finishedAt: number | null,
  ): JobInfo {
    return {
      id: record.id,
      kind: record.kind,
      state,
      spec: record.spec as CrawlSpec,
      meta: record.meta,
      createdAt: record.createdAt,
      startedAt: record.startedAt,
      finishedAt,
      counts,
      error: record.error,
    };
  }
}
