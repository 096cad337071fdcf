/**
 * Version 3: what the service keeps with a job in crawl_jobs: which API made it (kind),
 * the API's own options (meta), when it started, why it failed; and a creation order for
 * listings (seq). status now takes every JobState: queued, running, paused, completed,
 * failed, cancelled.
 */
import type { PgMigration } from './index.js';

export const migration0003: PgMigration = {
  version: 3,
  name: 'service jobs',
  sql: `
  ALTER TABLE crawl_jobs ADD COLUMN seq bigserial;
  ALTER TABLE crawl_jobs ADD COLUMN kind text NOT NULL DEFAULT 'crawl';
  ALTER TABLE crawl_jobs ADD COLUMN meta jsonb NOT NULL DEFAULT '{}';
  ALTER TABLE crawl_jobs ADD COLUMN started_at timestamptz;
  ALTER TABLE crawl_jobs ADD COLUMN error text;
  CREATE UNIQUE INDEX crawl_jobs_seq ON crawl_jobs (seq);
  CREATE INDEX crawl_jobs_status ON crawl_jobs (status);
  `,
};
