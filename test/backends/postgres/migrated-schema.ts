/** A fresh test schema with the backend's tables, and a pool into it; for the tests here. */
import type pg from 'pg';
import { migratePostgres } from '../../../src/backends/postgres/migrate.js';
import { createPgPool } from '../../../src/backends/postgres/pg-pool.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';

export interface MigratedSchema extends TestSchema {
  pool: pg.Pool;
}

/** Creates the schema, migrates it and opens a pool; cleanup ends the pool, then drops it. */
export async function migratedSchema(): Promise<MigratedSchema> {
  const schema = await createTestSchema();
  // Named after the schema, so a test can find its own sessions in pg_stat_activity.
  const pool = createPgPool({ url: schema.url, max: 4, applicationName: schema.schema });
  try {
    await migratePostgres(pool);
  } catch (err) {
    await pool.end();
    await schema.cleanup();
    throw err;
  }
  return {
    ...schema,
    pool,
    cleanup: async () => {
      try {
        await pool.end();
      } finally {
        await schema.cleanup();
      }
    },
  };
}

/** Rejects with `what` timing out if `promise` has not settled within `ms`. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
