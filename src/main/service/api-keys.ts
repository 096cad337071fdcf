/**
 * Where the service's API keys live, picked from the runtime config: embedded, the
 * api_keys table of `<dataDir>/service.db`; distributed (a database URL), PostgreSQL's.
 * `trawl serve` uses the service's own connection; `trawl keys` and the start-up bind
 * check open one of their own.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { ApiKeyStore } from '../../auth/api-key-store.js';
import { distributedServices, type RuntimeConfig } from '../../config/runtime-config.js';
import { UsageError } from '../../core/errors.js';
import { migratePostgres } from '../../backends/postgres/migrate.js';
import { createPgPool } from '../../backends/postgres/pg-pool.js';
import { createPostgresApiKeyStore } from '../../backends/postgres/postgres-api-key-store.js';
import {
  openServiceDatabase,
  SERVICE_DATABASE_FILE,
} from '../../backends/sqlite/service-database.js';
import { createSqliteApiKeyStore } from '../../backends/sqlite/sqlite-api-key-store.js';
import { redactUrl } from '../distributed-services.js';

export interface OpenedApiKeys {
  keys: ApiKeyStore;
  /** Where the keys are, for messages: the service database file or the redacted URL. */
  location: string;
  /** Closes what this opened (never a pool it was handed). */
  close(): Promise<void>;
}

function storeOptions(config: RuntimeConfig, log?: Logger) {
  return {
    cacheTtlMs: config.apiKeyCacheMs,
    onTouchError: (err: unknown) =>
      log?.warn({ err: (err as Error).message }, 'cannot record an API key last use'),
  };
}

/**
 * The key store of a running service: over `pool` (distributed) or a connection of its own
 * to the service database (embedded; the job service keeps its own, WAL lets both in).
 */
export function serviceApiKeys(
  config: RuntimeConfig,
  pool: pg.Pool | null,
  log?: Logger,
): OpenedApiKeys {
  if (pool !== null) {
    return {
      keys: createPostgresApiKeyStore(pool, storeOptions(config, log)),
      location: redactUrl(config.databaseUrl ?? 'PostgreSQL'),
      close: async () => {},
    };
  }
  const database = openServiceDatabase(config.dataDir);
  return {
    keys: createSqliteApiKeyStore(database, storeOptions(config, log)),
    location: join(config.dataDir, SERVICE_DATABASE_FILE),
    close: () => database.close(),
  };
}

export interface OpenApiKeysOptions {
  /** Embedded: create the data dir and service database when missing. @default true */
  create?: boolean;
  log?: Logger;
}

/**
 * Opens the key store on connections of its own: PostgreSQL when a database URL is
 * configured (migrated first: the table may not exist yet), else the data dir's service
 * database. Unreachable or missing storage is a UsageError naming it.
 */
export async function openApiKeys(
  config: RuntimeConfig,
  options: OpenApiKeysOptions = {},
): Promise<OpenedApiKeys> {
  if (config.databaseUrl === null) {
    const file = join(config.dataDir, SERVICE_DATABASE_FILE);
    if (options.create === false && !existsSync(file)) {
      throw new UsageError(
        `no service database in ${config.dataDir} (no key was created there: is --data-dir right?)`,
      );
    }
    return serviceApiKeys(config, null, options.log);
  }
  const where = `PostgreSQL at ${redactUrl(config.databaseUrl)}`;
  const pool = createPgPool({ url: config.databaseUrl, max: 2, applicationName: 'trawl-keys' });
  try {
    await migratePostgres(pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    if ((err as { code?: unknown }).code === 'pg_schema_too_new') throw err;
    throw new UsageError(`cannot use ${where}: ${(err as Error).message}`, { cause: err });
  }
  return {
    keys: createPostgresApiKeyStore(pool, storeOptions(config, options.log)),
    location: where,
    close: () => pool.end(),
  };
}

/** Whether keys exist where `config` keeps them (the bind check of `trawl serve`). */
export async function apiKeysExist(config: RuntimeConfig): Promise<boolean> {
  // Half a distributed configuration fails here, with its message, not in the wrong store.
  distributedServices(config);
  const opened = await openApiKeys(config);
  try {
    return await opened.keys.any();
  } finally {
    await opened.close();
  }
}
