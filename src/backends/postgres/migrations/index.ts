/**
 * Schema versions of the PostgreSQL backend, applied in order by migratePostgres.
 * Never edit a shipped migration (databases that already applied it would never see the
 * change); append a new module with the next version instead.
 */
import { migration0001 } from './0001-jobs-and-crawled-data.js';
import { migration0002 } from './0002-page-fields.js';
import { migration0003 } from './0003-service-jobs.js';
import { migration0004 } from './0004-keys-and-webhooks.js';
import { migration0005 } from './0005-webhook-progress.js';
import { migration0006 } from './0006-schedules.js';

export interface PgMigration {
  /** 1, 2, 3, … without gaps: the order of application. */
  version: number;
  /** Short description, recorded in trawl_migrations.name. */
  name: string;
  /**
   * SQL run inside the migration transaction. Unqualified names only: the objects go to the
   * first schema of the connection's search_path.
   */
  sql: string;
}

export const POSTGRES_MIGRATIONS: readonly PgMigration[] = [
  migration0001,
  migration0002,
  migration0003,
  migration0004,
  migration0005,
  migration0006,
];
