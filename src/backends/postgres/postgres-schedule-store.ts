/**
 * The schedule store of the distributed service: schedules and schedule_jobs in
 * PostgreSQL, shared by every `trawl serve` process. The claim is one conditional UPDATE
 * (next_run_at still the due time read): however many processes see a schedule due, the
 * row matches for exactly one of them.
 */
import type pg from 'pg';
import type { CrawlSpec } from '../../config/crawl-spec.js';
import type {
  Schedule,
  ScheduleListQuery,
  ScheduleOverlap,
  SchedulePatch,
  ScheduleStore,
} from '../../jobs/schedule-store.js';

interface Row {
  id: string;
  cron: string;
  timezone: string;
  enabled: boolean;
  overlap: string;
  spec: CrawlSpec;
  meta: Record<string, unknown>;
  // bigint columns arrive as strings.
  next_run_at: string | null;
  last_run_at: string | null;
  last_job_id: string | null;
  runs: number;
  skipped: number;
  created_at: string;
}

const ms = (v: string | null): number | null => (v === null ? null : Number(v));

const scheduleOf = (r: Row): Schedule => ({
  id: r.id,
  cron: r.cron,
  timezone: r.timezone,
  enabled: r.enabled,
  overlap: r.overlap as ScheduleOverlap,
  spec: r.spec,
  meta: r.meta,
  nextRunAt: ms(r.next_run_at),
  lastRunAt: ms(r.last_run_at),
  lastJobId: r.last_job_id,
  createdAt: Number(r.created_at),
  runs: r.runs,
  skipped: r.skipped,
});

/** Uses `pool`, which the caller owns and ends. */
export function createPostgresScheduleStore(pool: pg.Pool): ScheduleStore {
  return {
    async insert(s: Schedule): Promise<void> {
      await pool.query(
        `INSERT INTO schedules (id, cron, timezone, enabled, overlap, spec, meta, next_run_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          s.id,
          s.cron,
          s.timezone,
          s.enabled,
          s.overlap,
          JSON.stringify(s.spec),
          JSON.stringify(s.meta),
          s.nextRunAt,
          s.createdAt,
        ],
      );
    },
    async get(id: string): Promise<Schedule | null> {
      const { rows } = await pool.query<Row>('SELECT * FROM schedules WHERE id = $1', [id]);
      return rows.length === 0 ? null : scheduleOf(rows[0]!);
    },
    async list(query: ScheduleListQuery): Promise<Schedule[]> {
      const { rows } = await pool.query<Row>(
        `SELECT * FROM schedules
         WHERE $1::text IS NULL OR seq < coalesce((SELECT seq FROM schedules WHERE id = $1), 0)
         ORDER BY seq DESC LIMIT $2`,
        [query.before ?? null, query.limit],
      );
      return rows.map(scheduleOf);
    },
    async update(id: string, p: SchedulePatch): Promise<Schedule | null> {
      const { rows } = await pool.query<Row>(
        `UPDATE schedules SET enabled = coalesce($1, enabled), cron = coalesce($2, cron),
           timezone = coalesce($3, timezone), next_run_at = $4
         WHERE id = $5 RETURNING *`,
        [p.enabled ?? null, p.cron ?? null, p.timezone ?? null, p.nextRunAt, id],
      );
      return rows.length === 0 ? null : scheduleOf(rows[0]!);
    },
    async delete(id: string): Promise<boolean> {
      const { rows } = await pool.query<{ deleted: boolean }>(
        `WITH jobs AS (DELETE FROM schedule_jobs WHERE schedule_id = $1),
           gone AS (DELETE FROM schedules WHERE id = $1 RETURNING 1)
         SELECT EXISTS (SELECT 1 FROM gone) AS deleted`,
        [id],
      );
      return rows[0]!.deleted;
    },
    async due(now: number, limit: number): Promise<Schedule[]> {
      const { rows } = await pool.query<Row>(
        `SELECT * FROM schedules WHERE enabled AND next_run_at <= $1 ORDER BY next_run_at LIMIT $2`,
        [now, limit],
      );
      return rows.map(scheduleOf);
    },
    async claim(id: string, dueAt: number, next: number | null, now: number): Promise<boolean> {
      const result = await pool.query(
        `UPDATE schedules SET next_run_at = $1, last_run_at = $2
         WHERE id = $3 AND enabled AND next_run_at = $4`,
        [next, now, id, dueAt],
      );
      return result.rowCount === 1;
    },
    async recordRun(id: string, jobId: string, at: number): Promise<void> {
      await pool.query(
        `WITH added AS (INSERT INTO schedule_jobs (schedule_id, job_id, created_at) VALUES ($1, $2, $3))
         UPDATE schedules SET last_job_id = $2, runs = runs + 1,
           last_run_at = greatest(coalesce(last_run_at, 0), $3)
         WHERE id = $1`,
        [id, jobId, at],
      );
    },
    async recordSkip(id: string): Promise<void> {
      await pool.query('UPDATE schedules SET skipped = skipped + 1 WHERE id = $1', [id]);
    },
    async jobIds(id: string, query: ScheduleListQuery): Promise<string[]> {
      const { rows } = await pool.query<{ job_id: string }>(
        `SELECT job_id FROM schedule_jobs WHERE schedule_id = $1
         AND ($2::text IS NULL OR seq < coalesce(
           (SELECT seq FROM schedule_jobs WHERE schedule_id = $1 AND job_id = $2), 0))
         ORDER BY seq DESC LIMIT $3`,
        [id, query.before ?? null, query.limit],
      );
      return rows.map((r) => r.job_id);
    },
  };
}
