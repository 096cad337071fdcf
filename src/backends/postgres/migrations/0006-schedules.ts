/**
 * Version 6: schedules (a job spec plus a cron expression) and the jobs each one created,
 * as in the embedded service.db (migration 4 there). Fire times are epoch ms (bigint), not
 * timestamptz: the claim compares next_run_at for equality with the value it read, and
 * milliseconds round-trip exactly.
 */
import type { PgMigration } from './index.js';

export const migration0006: PgMigration = {
  version: 6,
  name: 'schedules',
  sql: `
  CREATE TABLE schedules (
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    cron text NOT NULL,
    timezone text NOT NULL,
    enabled boolean NOT NULL,
    overlap text NOT NULL,
    spec jsonb NOT NULL,
    meta jsonb NOT NULL,
    next_run_at bigint,
    last_run_at bigint,
    last_job_id text,
    runs int NOT NULL DEFAULT 0,
    skipped int NOT NULL DEFAULT 0,
    created_at bigint NOT NULL
  );
  COMMENT ON COLUMN schedules.next_run_at IS 'epoch ms of the next fire; the claim compares and sets it';
  COMMENT ON COLUMN schedules.meta IS 'given to each job''s meta (the webhook)';
  CREATE INDEX schedules_due ON schedules (next_run_at) WHERE enabled;
  CREATE TABLE schedule_jobs (
    seq bigserial PRIMARY KEY,
    schedule_id text NOT NULL,
    job_id text NOT NULL,
    created_at bigint NOT NULL
  );
  CREATE INDEX schedule_jobs_schedule ON schedule_jobs (schedule_id, seq);
  `,
};
