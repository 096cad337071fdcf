/**
 * The schedule store of the embedded service: schedules and schedule_jobs in service.db.
 * One process serves the embedded mode, but the claim is the same compare-and-set as in
 * PostgreSQL, so the scheduler has one code path.
 */
import type { CrawlSpec } from '../../config/crawl-spec.js';
import type {
  Schedule,
  ScheduleListQuery,
  ScheduleOverlap,
  SchedulePatch,
  ScheduleStore,
} from '../../jobs/schedule-store.js';
import type { ServiceDatabase } from './service-database.js';

interface Row {
  id: string;
  cron: string;
  timezone: string;
  enabled: number;
  overlap: string;
  spec: string;
  meta: string;
  next_run_at: number | null;
  last_run_at: number | null;
  last_job_id: string | null;
  runs: number;
  skipped: number;
  created_at: number;
}

const scheduleOf = (r: Row): Schedule => ({
  id: r.id,
  cron: r.cron,
  timezone: r.timezone,
  enabled: r.enabled === 1,
  overlap: r.overlap as ScheduleOverlap,
  spec: JSON.parse(r.spec) as CrawlSpec,
  meta: JSON.parse(r.meta) as Record<string, unknown>,
  nextRunAt: r.next_run_at,
  lastRunAt: r.last_run_at,
  lastJobId: r.last_job_id,
  createdAt: r.created_at,
  runs: r.runs,
  skipped: r.skipped,
});

/** The caller owns `database` (closes it); the store holds only prepared statements. */
export function createSqliteScheduleStore(database: ServiceDatabase): ScheduleStore {
  const { db } = database;
  const insert = db.prepare(
    `INSERT INTO schedules (id, cron, timezone, enabled, overlap, spec, meta, next_run_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const get = db.prepare('SELECT * FROM schedules WHERE id = ?');
  const list = db.prepare(
    `SELECT * FROM schedules
     WHERE @before IS NULL OR seq < coalesce((SELECT seq FROM schedules WHERE id = @before), 0)
     ORDER BY seq DESC LIMIT @limit`,
  );
  const update = db.prepare(
    `UPDATE schedules SET enabled = coalesce(?, enabled), cron = coalesce(?, cron),
       timezone = coalesce(?, timezone), next_run_at = ?
     WHERE id = ? RETURNING *`,
  );
  const remove = db.prepare('DELETE FROM schedules WHERE id = ?');
  const removeJobs = db.prepare('DELETE FROM schedule_jobs WHERE schedule_id = ?');
  const due = db.prepare(
    `SELECT * FROM schedules WHERE enabled = 1 AND next_run_at <= ? ORDER BY next_run_at LIMIT ?`,
  );
  const claim = db.prepare(
    `UPDATE schedules SET next_run_at = ?, last_run_at = ?
     WHERE id = ? AND enabled = 1 AND next_run_at = ?`,
  );
  const addJob = db.prepare(
    'INSERT INTO schedule_jobs (schedule_id, job_id, created_at) VALUES (?, ?, ?)',
  );
  const ran = db.prepare(
    `UPDATE schedules SET last_job_id = ?, runs = runs + 1, last_run_at = max(coalesce(last_run_at, 0), ?)
     WHERE id = ?`,
  );
  const skip = db.prepare('UPDATE schedules SET skipped = skipped + 1 WHERE id = ?');
  const jobIds = db
    .prepare(
      `SELECT job_id FROM schedule_jobs WHERE schedule_id = @id
       AND (@before IS NULL OR seq < coalesce(
         (SELECT seq FROM schedule_jobs WHERE schedule_id = @id AND job_id = @before), 0))
       ORDER BY seq DESC LIMIT @limit`,
    )
    .pluck();
  const deleteBoth = db.transaction((id: string) => {
    removeJobs.run(id);
    return remove.run(id).changes > 0;
  });
  const recordRun = db.transaction((id: string, jobId: string, at: number) => {
    addJob.run(id, jobId, at);
    ran.run(jobId, at, id);
  });

  return {
    async insert(s: Schedule): Promise<void> {
      insert.run(
        s.id,
        s.cron,
        s.timezone,
        s.enabled ? 1 : 0,
        s.overlap,
        JSON.stringify(s.spec),
        JSON.stringify(s.meta),
        s.nextRunAt,
        s.createdAt,
      );
    },
    async get(id: string): Promise<Schedule | null> {
      const row = get.get(id) as Row | undefined;
      return row === undefined ? null : scheduleOf(row);
    },
    async list(query: ScheduleListQuery): Promise<Schedule[]> {
      return (list.all({ before: query.before ?? null, limit: query.limit }) as Row[]).map(
        scheduleOf,
      );
    },
    async update(id: string, p: SchedulePatch): Promise<Schedule | null> {
      const enabled = p.enabled === undefined ? null : p.enabled ? 1 : 0;
      const row = update.get(enabled, p.cron ?? null, p.timezone ?? null, p.nextRunAt, id) as
        Row | undefined;
      return row === undefined ? null : scheduleOf(row);
    },
    async delete(id: string): Promise<boolean> {
      return deleteBoth.immediate(id);
    },
    async due(now: number, limit: number): Promise<Schedule[]> {
      return (due.all(now, limit) as Row[]).map(scheduleOf);
    },
    async claim(id: string, dueAt: number, next: number | null, now: number): Promise<boolean> {
      return claim.run(next, now, id, dueAt).changes === 1;
    },
    async recordRun(id: string, jobId: string, at: number): Promise<void> {
      recordRun.immediate(id, jobId, at);
    },
    async recordSkip(id: string): Promise<void> {
      skip.run(id);
    },
    async jobIds(id: string, query: ScheduleListQuery): Promise<string[]> {
      return jobIds.all({ id, before: query.before ?? null, limit: query.limit }) as string[];
    },
  };
}
