/** The connection pool of the PostgreSQL backend: one per process, shared by its adapters. */
import pg from 'pg';

export interface PgPoolOptions {
  /** Connection string, e.g. `postgres://user@host:5432/db?options=-c%20search_path%3Dtrawl`. */
  url: string;
  /** Most connections open at once. @default 10 */
  max?: number;
  /** Shown in `pg_stat_activity.application_name`. @default 'trawl' */
  applicationName?: string;
  /** Close a connection idle this long, ms. @default 30000 */
  idleTimeoutMillis?: number;
  /** Give up opening a connection (or waiting for a free one) after this long, ms. @default 5000 */
  connectionTimeoutMillis?: number;
  /**
   * Told about a failure of a connection that sat idle in the pool (server restarted, network
   * cut). The pool has already dropped that connection and opens a new one on the next query,
   * so this is for logging only. @default ignores it
   */
  onIdleError?: (err: Error) => void;
}

/**
 * Opens (lazily: no connection is made before the first query) a pg.Pool. The caller owns
 * it and ends it with `pool.end()`; the adapters handed this pool never do.
 */
export function createPgPool(options: PgPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'trawl',
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    // TCP keepalive finds a dead peer (a failed-over server, a dropped NAT entry) on idle
    // connections instead of on the next query, which would otherwise hang until the OS
    // gives up on the retransmits.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  const onIdleError = options.onIdleError ?? (() => {});
  // Without a listener, an idle client's 'error' (the server restarting, 57P01) would be an
  // unhandled 'error' event: it would crash the process.
  pool.on('error', (err) => onIdleError(err));
  return pool;
}
