/** Brings the backend's schema (in the connection's search_path) up to this code's version. */
import type pg from 'pg';
import { POSTGRES_MIGRATIONS, type PgMigration } from './migrations/index.js';
import { withTransaction } from './pg-transaction.js';

/** The schema version this code knows: the highest migration it ships. */
export const POSTGRES_SCHEMA_VERSION = latestVersion(POSTGRES_MIGRATIONS);

/** The database's schema is newer than this code: an older Trawl must not write into it. */
export class PgSchemaTooNewError extends Error {
  readonly code = 'pg_schema_too_new';
  constructor(
    readonly databaseVersion: number,
    readonly codeVersion: number,
    schema: string,
  ) {
    super(
      `PostgreSQL schema "${schema}" is at version ${databaseVersion}, newer than this Trawl ` +
        `(which knows up to version ${codeVersion}); upgrade Trawl or point it at another schema`,
    );
    this.name = 'PgSchemaTooNewError';
  }
}

/**
 * Applies the pending migrations in one transaction and records them in `trawl_migrations`.
 * Idempotent, and safe when several processes run it at once: a transaction-scoped advisory
 * lock (keyed by schema, so other schemas are not held up) makes them take turns, and each
 * sees what the previous one applied. The transaction-scoped lock also works behind
 * PgBouncer in transaction mode, where a session lock could be taken on one server
 * connection and released on another.
 *
 * @param migrations the migrations to apply; tests pass their own. @default POSTGRES_MIGRATIONS
 * @returns the versions this call applied (empty when the schema was already current)
 * @throws PgSchemaTooNewError when the database records a version this code does not know
 */
export async function migratePostgres(
  pool: pg.Pool,
  migrations: readonly PgMigration[] = POSTGRES_MIGRATIONS,
): Promise<{ applied: number[] }> {
  const latest = latestVersion(migrations);
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ schema: string | null }>(
      'SELECT current_schema() AS schema',
    );
    const schema = rows[0]?.schema ?? null;
    if (schema === null) {
      throw new Error(
        'no PostgreSQL schema to migrate: the first schema of search_path does not exist',
      );
    }
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `trawl.migrate:${schema}`,
    ]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS trawl_migrations (
        version int PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const done = await client.query<{ version: number }>('SELECT version FROM trawl_migrations');
    const have = new Set(done.rows.map((r) => r.version));
    const newest = Math.max(0, ...have);
    if (newest > latest) throw new PgSchemaTooNewError(newest, latest, schema);

    const applied: number[] = [];
    for (const m of migrations) {
      if (have.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO trawl_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    return { applied };
  });
}

function latestVersion(migrations: readonly PgMigration[]): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`PostgreSQL migrations must be numbered 1, 2, …: #${i} is ${m.version}`);
    }
  });
  return migrations.length;
}
