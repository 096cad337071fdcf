/**
 * Isolation on the shared PostgreSQL: each test gets a schema of its own, reached through
 * a connection URL whose search_path is that schema, and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The shared test database (trust auth on 127.0.0.1); override with TRAWL_TEST_DATABASE_URL. */
export const TEST_DATABASE_URL =
  process.env.TRAWL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  /** The schema's name, e.g. 't_3f9a0c1b2d4e'. */
  readonly schema: string;
  /** TEST_DATABASE_URL with `options=-c search_path=<schema>`: every connection lands in it. */
  readonly url: string;
  /**
   * Drops the schema and everything in it. Connections the test opened should be closed
   * first: one holding a lock in the schema makes this fail after 5 s instead of hanging.
   */
  cleanup(): Promise<void>;
}

/**
 * Creates a uniquely named schema and returns a URL scoped to it. The prefix must be a plain
 * lower-case identifier, so the name never needs quoting by the code under test.
 */
export async function createTestSchema(prefix = 't'): Promise<TestSchema> {
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix)) throw new Error(`bad schema prefix: ${prefix}`);
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(TEST_DATABASE_URL, (c) => c.query(`CREATE SCHEMA ${schema}`));
  let dropped = false;
  return {
    schema,
    url: withSearchPath(TEST_DATABASE_URL, schema),
    cleanup: async () => {
      if (dropped) return;
      await withClient(TEST_DATABASE_URL, async (c) => {
        await c.query(`SET lock_timeout = '5s'`);
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      });
      dropped = true;
    },
  };
}

/**
 * The same connection URL with host and port replaced, e.g. to go through a TcpProxy.
 * User, database and query (search_path included) are kept.
 */
export function pgUrlThrough(url: string, host: string, port: number): string {
  const u = new URL(url);
  u.hostname = host.includes(':') ? `[${host}]` : host;
  u.port = String(port);
  return u.toString();
}

/**
 * Adds `options=-c search_path=<schema>` (the libpq startup option node-postgres passes on),
 * percent-encoded as `-c%20search_path%3D<schema>`.
 */
function withSearchPath(url: string, schema: string): string {
  const options = encodeURIComponent(`-c search_path=${schema}`);
  return `${url}${url.includes('?') ? '&' : '?'}options=${options}`;
}

/** Runs `fn` on a single connection that is always closed afterwards. */
async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
