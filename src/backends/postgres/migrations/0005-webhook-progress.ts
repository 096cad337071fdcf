/**
 * Version 5: how far each job's webhook deliveries got, as in the embedded service.db
 * (migration 3 there), leased to one dispatcher so several `trawl serve` processes never
 * deliver a job's events twice.
 */
import type { PgMigration } from './index.js';

export const migration0005: PgMigration = {
  version: 5,
  name: 'webhook_progress',
  sql: `
  CREATE TABLE webhook_progress (
    job_id text PRIMARY KEY,
    sent text NOT NULL DEFAULT '',
    page_position text,
    page_offset int NOT NULL DEFAULT 0,
    done boolean NOT NULL DEFAULT false,
    owner text,
    lease_until timestamptz NOT NULL DEFAULT 'epoch',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  );
  COMMENT ON COLUMN webhook_progress.sent IS 'lifecycle events handled, comma-separated';
  COMMENT ON COLUMN webhook_progress.page_position IS 'results position the current page batch starts after';
  COMMENT ON COLUMN webhook_progress.page_offset IS 'pages of that batch handled';
  CREATE INDEX webhook_progress_open ON webhook_progress (lease_until) WHERE NOT done;
  `,
};
