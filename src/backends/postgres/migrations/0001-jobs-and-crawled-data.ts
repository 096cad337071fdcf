/** Version 1: crawl jobs and their pages (S1's crawled_data, with every PageRecord field). */
import type { PgMigration } from './index.js';

export const migration0001: PgMigration = {
  version: 1,
  name: 'crawl_jobs and crawled_data',
  sql: `
  CREATE TABLE crawl_jobs (
    task_id text PRIMARY KEY,
    spec jsonb NOT NULL,
    status text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    stats jsonb
  );

  CREATE TABLE crawled_data (
    id bigserial PRIMARY KEY,
    task_id text NOT NULL,
    url text NOT NULL,
    final_url text,
    status int,
    title text,
    depth int NOT NULL,
    content_type text,
    crawled_at timestamptz NOT NULL,
    error text,
    error_message text,
    attempts int NOT NULL,
    etag text,
    last_modified text,
    content_hash text,
    content_length bigint,
    charset text,
    canonical_url text,
    link_count int NOT NULL,
    duration_ms int,
    headers jsonb NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{}',
    content bytea,
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (task_id, url)
  );
  -- A job's pages in first-stored order (scanPages' keyset pagination).
  CREATE INDEX crawled_data_task_id_id ON crawled_data (task_id, id);

  COMMENT ON COLUMN crawled_data.crawled_at IS 'PageRecord.fetchedAt: when the fetch started';
  COMMENT ON COLUMN crawled_data.metadata IS
    'For consumers of the S1 shape: {status, finalUrl, contentType, charset, linkCount, error}, '
    'null members left out. Derived from the columns on every write; the columns are the truth';
  COMMENT ON COLUMN crawled_data.content IS 'The decoded body, when the crawl stores bodies';
  `,
};
