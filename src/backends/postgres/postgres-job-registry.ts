/**
 * The job registry of the distributed service: crawl_jobs (task_id, status, spec, stats…),
 * the same table the CLI's distributed crawls and the workers' reapers keep, so a job
 * submitted by either shows in both.
 */
import type pg from 'pg';
import type { JobPatch, JobRecord, JobRegistry } from '../../jobs/job-registry.js';
import type { JobCounts, JobKind, JobState, ListJobsQuery } from '../../jobs/job-service.js';
import { GroupCommit } from '../../core/group-commit.js';
import { storableJsonText, storableText } from './pg-sanitize.js';

interface Row {
  task_id: string;
  kind: string;
  status: string;
  spec: unknown;
  meta: Record<string, unknown>;
  created_ms: number;
  started_ms: number | null;
  completed_ms: number | null;
  stats: Record<string, number> | null;
  error: string | null;
}

const SELECT = `SELECT task_id, kind, status, spec, meta,
  (extract(epoch FROM created_at) * 1000)::float8 AS created_ms,
  (extract(epoch FROM started_at) * 1000)::float8 AS started_ms,
  (extract(epoch FROM completed_at) * 1000)::float8 AS completed_ms,
  stats, error FROM crawl_jobs`;

const toTimestamp = (ms: number | null): string | null =>
  ms === null ? null : new Date(ms).toISOString();

const INSERT = `INSERT INTO crawl_jobs
  (task_id, kind, status, spec, meta, created_at, started_at, completed_at, stats, error)
  SELECT task_id, kind, status, spec, meta, created_at, started_at, completed_at, stats, error
  FROM jsonb_to_recordset($1::jsonb) AS t(task_id text, kind text, status text, spec jsonb,
    meta jsonb, created_at timestamptz, started_at timestamptz, completed_at timestamptz,
    stats jsonb, error text)`;

/**
 * A job as one element of INSERT's recordset, as JSON text: its spec and meta serialised
 * once each (a spec is ~1.3 KB of JSON, and a burst of submissions inserts thousands).
 */
function insertRow(job: JobRecord): string {
  const row = JSON.stringify({
    task_id: storableText(job.id),
    kind: job.kind,
    status: job.state,
    created_at: toTimestamp(job.createdAt),
    started_at: toTimestamp(job.startedAt),
    completed_at: toTimestamp(job.finishedAt),
    stats: job.counts,
    error: job.error === null ? null : storableText(job.error),
  });
  return `${row.slice(0, -1)},"spec":${storableJsonText(job.spec)},"meta":${storableJsonText(job.meta)}}`;
}

/**
 * Inserts a group of jobs in one statement (one round trip, one commit); each job's
 * reply is null or the error that job failed with. A statement that fails (a duplicate
 * id) is retried job by job, so only the faulty job's caller fails.
 */
async function insertJobs(pool: pg.Pool, jobs: JobRecord[]): Promise<(Error | null)[]> {
  const one = (batch: JobRecord[]): Promise<unknown> =>
    // Named: prepared once per connection, not parsed and planned for every group.
    pool.query({
      name: 'trawl-insert-jobs',
      text: INSERT,
      values: [`[${batch.map(insertRow).join(',')}]`],
    });
  try {
    await one(jobs);
    return jobs.map(() => null);
  } catch (err) {
    if (jobs.length === 1) return [err as Error];
  }
  return Promise.all(
    jobs.map((job) =>
      one([job]).then(
        () => null,
        (err: unknown) => err as Error,
      ),
    ),
  );
}

export function createPostgresJobRegistry(pool: pg.Pool): JobRegistry {
  // Group commit: the jobs created while a group is on its way go together in the next
  // one. One INSERT per job (a round trip and a commit each) held a distributed
  // POST /api/submit-crawl near 2,500/s.
  const inserts = new GroupCommit<JobRecord, Error | null>(
    (jobs) => insertJobs(pool, jobs),
    256,
    4,
  );
  return {
    async insert(job: JobRecord): Promise<void> {
      const failure = await inserts.add(job);
      if (failure !== null) throw failure;
    },

    async update(id: string, patch: JobPatch, ifState?: JobState[]): Promise<boolean> {
      const params: unknown[] = [id];
      const param = (value: unknown): string => `$${params.push(value)}`;
      const sets = ['updated_at = now()'];
      if (patch.state !== undefined) sets.push(`status = ${param(patch.state)}`);
      if (patch.startedAt !== undefined) {
        sets.push(`started_at = ${param(toTimestamp(patch.startedAt))}`);
      }
      if (patch.finishedAt !== undefined) {
        sets.push(`completed_at = ${param(toTimestamp(patch.finishedAt))}`);
      }
      if (patch.counts !== undefined) {
        sets.push(
          `stats = ${param(patch.counts === null ? null : JSON.stringify(patch.counts))}::jsonb`,
        );
      }
      if (patch.error !== undefined) {
        sets.push(`error = ${param(patch.error === null ? null : storableText(patch.error))}`);
      }
      const guard = ifState === undefined ? '' : ` AND status = ANY(${param(ifState)})`;
      const result = await pool.query(
        `UPDATE crawl_jobs SET ${sets.join(', ')} WHERE task_id = $1${guard}`,
        params,
      );
      return (result.rowCount ?? 0) > 0;
    },

    async get(id: string): Promise<JobRecord | null> {
      const { rows } = await pool.query<Row>(`${SELECT} WHERE task_id = $1`, [id]);
      return rows[0] === undefined ? null : fromRow(rows[0]);
    },

    async list(query: ListJobsQuery): Promise<JobRecord[]> {
      const params: unknown[] = [];
      const param = (value: unknown): string => `$${params.push(value)}`;
      const where: string[] = [];
      if (query.states !== undefined && query.states.length > 0) {
        where.push(`status = ANY(${param(query.states)})`);
      }
      if (query.kind !== undefined) where.push(`kind = ${param(query.kind)}`);
      if (query.before !== undefined) {
        where.push(
          `seq ${query.order === 'oldest' ? '>' : '<'} (SELECT seq FROM crawl_jobs WHERE task_id = ${param(query.before)})`,
        );
      }
      const { rows } = await pool.query<Row>(
        `${SELECT} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY seq ${query.order === 'oldest' ? 'ASC' : 'DESC'} LIMIT ${param(query.limit)}`,
        params,
      );
      return rows.map(fromRow);
    },
  };
}

/** stats is a JobCounts snapshot, or (written by a reaper) FrontierStats with retries. */
function countsOf(stats: Record<string, number> | null): JobCounts | null {
  if (stats === null) return null;
  const n = (v: number | undefined): number => (typeof v === 'number' ? v : 0);
  return {
    queued: n(stats.queued),
    inFlight: n(stats.inFlight),
    succeeded: n(stats.succeeded),
    failed: n(stats.failed),
    retried: n(stats.retried ?? stats.retries),
    bytes: n(stats.bytes),
    stored: n(stats.stored ?? n(stats.succeeded) + n(stats.failed)),
    pagesPerSec: n(stats.pagesPerSec),
  };
}

function fromRow(r: Row): JobRecord {
  const state = r.status as JobState;
  return {
    id: r.task_id,
    kind: r.kind as JobKind,
    state,
    spec: r.spec,
    meta: r.meta,
    createdAt: r.created_ms,
    startedAt: r.started_ms,
    finishedAt: r.completed_ms,
    counts: countsOf(r.stats),
    error: r.error,
  };
}
