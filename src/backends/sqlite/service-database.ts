/**
 * The service database of `trawl serve` on the embedded default: `service.db` in the data
 * dir, holding what the service itself keeps (jobs, API keys, schedules, webhook
 * deliveries). Each job's crawl has its own database in its own directory.
 *
 * Unlike a crawl's database it is not locked exclusively: `trawl keys` writes API keys
 * while the server runs (WAL readers and a short busy wait make that safe).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { UsageError } from '../../core/errors.js';

export const SERVICE_DATABASE_FILE = 'service.db';

/** Schema versions, applied in order. Never edit a shipped one; append. */
const SERVICE_MIGRATIONS: readonly string[] = [
  // 1: jobs.
  `
  CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    spec TEXT NOT NULL,
    meta TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    counts TEXT,
    error TEXT
  );
  CREATE INDEX jobs_state ON jobs (state);
  `,
  // 2: API keys (trawl keys) and webhook deliveries (one row per attempt).
  `
  CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,          -- the key's public id, part of the key a client sends
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,         -- comma-separated: read, write, admin
    hash TEXT NOT NULL,           -- scrypt of the key's secret, with its salt and parameters
    webhook_secret TEXT NOT NULL, -- signs the webhooks of this key's jobs (HMAC-SHA256)
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
  );
  CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL,
    event TEXT NOT NULL,
    url TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL,         -- delivered, retrying, failed
    http_status INTEGER,
    error TEXT,
    duration_ms INTEGER,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id, id);
  `,
  // 3: how far each job's webhook deliveries got (survives restarts), leased to one dispatcher.
  `
  CREATE TABLE webhook_progress (
    job_id TEXT PRIMARY KEY,
    sent TEXT NOT NULL DEFAULT '',       -- lifecycle events handled, comma-separated
    page_position TEXT,                  -- results position the current page batch starts after
    page_offset INTEGER NOT NULL DEFAULT 0, -- pages of that batch handled
    done INTEGER NOT NULL DEFAULT 0,     -- 1: every event handled
    owner TEXT,                          -- the dispatcher holding the lease
    lease_until INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX webhook_progress_open ON webhook_progress (lease_until) WHERE done = 0;
  `,
  // 4: schedules (a job spec plus a cron expression) and the jobs each one created.
  `
  CREATE TABLE schedules (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    cron TEXT NOT NULL,
    timezone TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    overlap TEXT NOT NULL,          -- skip, queue
    spec TEXT NOT NULL,             -- JSON
    meta TEXT NOT NULL,             -- JSON, given to each job's meta
    next_run_at INTEGER,            -- epoch ms; the claim compares and sets it
    last_run_at INTEGER,
    last_job_id TEXT,
    runs INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX schedules_due ON schedules (next_run_at) WHERE enabled = 1;
  CREATE TABLE schedule_jobs (
    seq INTEGER PRIMARY KEY,
    schedule_id TEXT NOT NULL,
    job_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX schedule_jobs_schedule ON schedule_jobs (schedule_id, seq);
  `,
];

export interface ServiceDatabase {
  readonly db: Database.Database;
  close(): Promise<void>;
}

export function openServiceDatabase(dataDir: string): ServiceDatabase {
  let db: Database.Database;
  try {
    mkdirSync(dataDir, { recursive: true });
    db = new Database(join(dataDir, SERVICE_DATABASE_FILE), { timeout: 5_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  } catch (err) {
    throw new UsageError(
      `cannot open the service database in ${dataDir}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SERVICE_MIGRATIONS.length) {
    db.close();
    throw new UsageError(
      `the service database in ${dataDir} was written by a newer trawl (schema ${version})`,
    );
  }
  for (let v = version; v < SERVICE_MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(SERVICE_MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return {
    db,
    async close() {
      db.close();
    },
  };
}
