/** The crawl_jobs table: one row per job (S1's task status), kept by submitters and finishers. */
import type pg from 'pg';
import { storableText } from './pg-sanitize.js';

export type CrawlJobStatus = 'running' | 'completed' | 'failed' | 'cancelled';

/** Records a submitted (or resubmitted) job as running, with its spec. */
export async function upsertCrawlJob(pool: pg.Pool, jobId: string, spec: unknown): Promise<void> {
  await pool.query(
    `INSERT INTO crawl_jobs (task_id, spec, status) VALUES ($1, $2::jsonb, 'running')
     ON CONFLICT (task_id) DO UPDATE SET spec = excluded.spec, status = 'running',
       updated_at = now(), completed_at = NULL`,
    [storableText(jobId), JSON.stringify(spec)],
  );
}

/** Records the end of a job with its final counts. */
export async function finishCrawlJob(
  pool: pg.Pool,
  jobId: string,
  status: Exclude<CrawlJobStatus, 'running'>,
  stats: unknown,
): Promise<void> {
  await pool.query(
    `UPDATE crawl_jobs SET status = $2, stats = $3::jsonb, completed_at = now(), updated_at = now()
     WHERE task_id = $1`,
    [storableText(jobId), status, JSON.stringify(stats)],
  );
}

/** Deletes a job's rows (a fresh start of the same job). */
export async function deleteCrawlJob(pool: pg.Pool, jobId: string): Promise<void> {
  await pool.query('DELETE FROM crawled_data WHERE task_id = $1', [jobId]);
  await pool.query('DELETE FROM crawl_jobs WHERE task_id = $1', [jobId]);
}
